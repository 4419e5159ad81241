"""The Mission: a bank of scored questions about the four problems, and the scoring.

Pure Python (no Streamlit, no torch): the Mission page draws these questions
and the live poll (`depthkit.poll`) checks what attendees send against them.

- `BANK`: every question, in the order the mission asks them. The first one
  is the lecture's own question, word for word.
- `questions(problem)`: the whole bank or one problem's questions.
- `option_order(question, seed)`: the options shuffled for one attempt; the
  same seed gives the same order, so a presenter can fix it for a room.
- `grade(questions, answers)`: the score, question by question.

Scoring rule (`credit`). A single-choice question earns 1 point for the
correct option, otherwise 0. A multiple-choice question with k correct
options earns 1/k for each correct option ticked and loses 1/k for each
wrong option ticked, never going below 0; full credit only for exactly the
correct set. Ticking everything therefore earns nothing extra: with k correct
of n options it scores max(0, (k - (n - k)) / k).

Questions with `reads_chart=True` ask what a challenge page's experiment
shows; tests/test_quiz_charts.py runs those experiments through depthkit
and checks that the answer marked correct is what really happens.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from depthkit import fmt

PROBLEMS = {
    "vanishing": "Vanishing gradients",
    "exploding": "Exploding gradients",
    "overfitting": "Overfitting",
    "speed": "Training speed",
}
PAGES = {name: f"pages/{name}.py" for name in PROBLEMS}
QUESTION_ID = re.compile(r"^[a-z][a-z0-9-]{2,40}$")
OPTION_ID = re.compile(r"^[a-f]$")
MAX_SEED = 999_999


@dataclass(frozen=True)
class Question:
    """One question; options are (id, text) pairs with ids "a", "b", ... in bank order."""

    id: str
    problem: str  # a key of PROBLEMS
    prompt: str
    options: tuple[tuple[str, str], ...]
    correct: frozenset[str]  # option ids
    explanation: str  # two sentences: why the answer is right
    multiple: bool = False  # tick every option that applies
    reads_chart: bool = False  # answer checked against the page's real experiment

    @property
    def page(self) -> str:
        """The challenge page that shows it (a `st.page_link` target)."""
        return PAGES[self.problem]

    def option_text(self, option_id: str) -> str:
        return dict(self.options)[option_id]

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(i for i, _ in self.options)


def _q(qid: str, problem: str, prompt: str, options: list[str], correct: str, explanation: str,
       reads_chart: bool = False) -> Question:
    """Build a question; `correct` lists the right options' letters ("c", or "abd")."""
    ids = "abcdef"[:len(options)]
    return Question(qid, problem, prompt, tuple(zip(ids, options)), frozenset(correct), explanation,
                    multiple=len(correct) > 1 or qid.endswith("-multi"), reads_chart=reads_chart)


# Numbers the explanations quote, written for people by depthkit.fmt. Each is
# a measured or exact fact that tests/test_quiz_charts.py checks.
# the Vanishing page's defaults: sigmoid, PyTorch's default weights, width 16, 20 layers
SIGMOID_WIDTH = 16
SIGMOID_BOUND = 0.26  # 0.25 * spectral norm of a default hidden weight at that width (median)
SIGMOID_TYPICAL = 0.14  # typical per-layer factor ||W^T diag(s') g|| / ||g||, default weights
SIGMOID_SHRINK_19 = round(-math.log10(SIGMOID_TYPICAL ** 19))  # 19 factors: 10^16
WEIGHT_TYPICAL = 0.3  # median |w| of the sigmoid network's first layer (0.23-0.46 over seeds)
FLOAT32_SPACING = 2.0 ** -25  # gap between float32 numbers in [0.25, 0.5), about 3 x 10^-8
RELU_GAIN2_20 = round(math.sqrt(2) ** 19, -2)  # (2/sqrt 2)^19, about 700
RELU_GAIN2_30 = round(math.sqrt(2) ** 29, -3)  # (2/sqrt 2)^29, about 23,000
UPDATE_BOUND = 1e-18  # the sigmoid network's first-layer updates stay below this
FLIPPED_LABELS = 12  # flipped training labels at the Overfitting page's defaults (20% of 60)
MEMORIZED_SHARE = 0.9  # '9 in 10': share of them the default network predicts flipped (mean)

_N = fmt.num
_UPDATE = fmt.power_of_ten(round(math.log10(UPDATE_BOUND)))


BANK: tuple[Question, ...] = (
    # ------------------------------------------------------------------ vanishing
    _q("lecture-vanishing", "vanishing",
       "Which of the following correctly describes the vanishing gradient problem?",
       ["Training of the model becomes very slow.",
        "Gradients become too large, leading to very large weight updates.",
        "Little to no weight update occurs in the model.",
        "The model overfits the training data."],
       "c",
       "The gradient shrinks as it is propagated back through many layers, so the layers near the "
       "input get little to no weight update, which the Vanishing page measures layer by layer. "
       "Training does become very slow, but that is a symptom, one "
       "that a small learning rate or the cost of each step in a deep network can cause too, not "
       "what defines the problem."),
    _q("vanishing-sigmoid-ratio", "vanishing",
       "On the Vanishing page's default run (a deep sigmoid network with PyTorch's default "
       "initialization), at initialization: how does the first hidden layer's weight-gradient norm "
       "compare with the last hidden layer's?",
       ["About the same: the sigmoid's derivative is the same at every layer.",
        "Between 10 and 100 times smaller.",
        "More than a million times smaller, yet not zero.",
        "Zero: it underflows in float32."],
       "c",
       "Every layer multiplies the backward signal by Wᵀ·diag(σ′), typically about "
       f"{_N(SIGMOID_TYPICAL)} with these weights, so the signal shrinks by that factor at each layer "
       "between the last and the first. Over many layers that makes the first layer's gradient many "
       "orders of magnitude smaller, tiny but still an ordinary float32 number far above its "
       "smallest one.",
       reads_chart=True),
    _q("vanishing-relu-he", "vanishing",
       "Same page, same depth, but ReLU activations with He initialization (the page's fix network): "
       "the first hidden layer's weight-gradient norm at initialization is...",
       ["within a factor of 100 of the last hidden layer's.",
        "more than a million times smaller, as with the sigmoid.",
        "zero, because half of the ReLU units are dead.",
        "more than a million times larger: ReLU's slope of 1 makes it explode."],
       "a",
       "ReLU passes the backward signal unchanged through active units, and He initialization's "
       "variance 2/fan_in makes up for the half of the units that are off for any one input, so on "
       "average each layer neither shrinks nor grows the signal. The ratio still varies from one "
       "initialization to the next, by about ten times either way at this depth, but not by the "
       "millions of times the sigmoid network loses.",
       reads_chart=True),
    _q("vanishing-fixes-multi", "vanishing",
       "Which changes help the layers near the input of a deep sigmoid network learn? "
       "Tick every one that applies.",
       ["Switching to ReLU activations with He initialization.",
        "Adding batch normalization.",
        "Adding residual (skip) connections.",
        "Making the network even deeper.",
        "Adding dropout.",
        "Initializing every weight to zero."],
       "abc",
       "ReLU with He initialization, batch normalization and skip connections each keep the backward "
       "signal from shrinking layer after layer. More depth lengthens the product of small factors, "
       "dropout targets overfitting rather than gradient flow, and all-zero weights pass no signal "
       "back at all and make every unit of a layer learn the same thing."),
    _q("vanishing-sigmoid-derivative", "vanishing",
       "Why does the backward signal of a deep sigmoid network with PyTorch's default weights shrink "
       "layer after layer?",
       ["Each layer multiplies it by Wᵀ·diag(σ′), and with these small weights that factor is "
        "typically well below 1.",
        "Each layer multiplies it by at most 0.25, whatever the weights, because σ′ is never above "
        "0.25.",
        "Most sigmoid units start saturated, where their derivative is near 0.",
        "The sigmoid's outputs are all positive, so the gradients of different units cancel."],
       "a",
       "The per-layer factor Wᵀ·diag(σ′) is bounded by 0.25·‖W‖₂ (the spectral norm), not by 0.25: "
       f"with PyTorch's default weights at the page's width {SIGMOID_WIDTH} that bound is about "
       f"{_N(SIGMOID_BOUND)} and the typical factor about {_N(SIGMOID_TYPICAL)}, while large weights can "
       "push it above 1: the weights' scale sets the factor, which Glorot and Bengio's initialization "
       "balances. From "
       f"layer 20 back to layer 1 there are 19 such factors, so a typical {_N(SIGMOID_TYPICAL)} each "
       f"makes the first layer's signal about {fmt.power_of_ten(SIGMOID_SHRINK_19)} times smaller, with "
       "few units saturated; the page's first-layer gradient comes out 10¹⁴ to 10¹⁷ times smaller "
       "than the last layer's, depending on the seed."),
    _q("vanishing-float32-rounding", "vanishing",
       "In the Vanishing page's default run, the sigmoid network's first-layer gradient is tiny but "
       "not zero, yet after training that layer's weights are exactly what they were at the start. "
       "Why?",
       ["Each update is far smaller than half the gap between neighbouring float32 numbers near the "
        "weight, so w + Δw rounds back to w.",
        "The gradient underflows to zero in float32 before the update is applied.",
        "PyTorch skips the update of any layer whose gradient is below a tolerance.",
        "SGD updates the layers one after another from the output, and never reached the first."],
       "a",
       f"The update is the learning rate times the gradient, below {_UPDATE} here, while near a "
       f"typical weight (|w| ≈ {_N(WEIGHT_TYPICAL)}) float32 numbers are "
       f"{fmt.scientific(FLOAT32_SPACING)} apart, so a change under half that gap, "
       f"{fmt.scientific(FLOAT32_SPACING / 2)}, is rounded away. "
       "The gradient itself is an ordinary float32 number: the information is there, it is the sum "
       "w + Δw that cannot hold it.",
       reads_chart=True),
    _q("vanishing-residual-jacobian", "vanishing",
       "A residual block computes h_l = h_(l−1) + F(h_(l−1)). Why does that help the gradient reach "
       "the early layers?",
       ["Its Jacobian is I + ∂F/∂h, so the backward signal passes through the identity even where "
        "∂F/∂h is small.",
        "The backward pass skips the block entirely, which also saves its computation.",
        "It doubles the learning rate of the layers before it.",
        "It adds parameters, and more parameters make larger gradients."],
       "a",
       "Backpropagation multiplies the signal by each block's Jacobian, and for a residual block that "
       "is I + ∂F/∂h: the identity carries the signal through unchanged while ∂F/∂h adds the block's "
       "own part, and the block's weights still get their gradient. A plain layer's Jacobian is "
       "∂F/∂h alone, so where it is small a chain of them shrinks the signal geometrically, which the "
       "identity path prevents."),
    # ------------------------------------------------------------------ exploding
    _q("exploding-reference-loss", "exploding",
       "On the Exploding page's default problem network (ReLU, weights drawn with gain 2, plain SGD, "
       "no clipping), what happens to the training loss?",
       ["It falls smoothly, only faster than usual.",
        "It stays flat at its starting value.",
        "It becomes infinite or not a number (NaN) within the first few steps.",
        "It rises slowly but stays finite for hundreds of steps."],
       "c",
       "With gain 2 every ReLU layer multiplies the backward signal by about 2/√2 = √2 where He "
       f"initialization would keep it level, so over 20 layers it arrives about (√2)¹⁹ ≈ "
       f"{_N(RELU_GAIN2_20)} times larger than with He initialization and the first gradient is huge. "
       "Within a few SGD steps the weights are thrown so far that the loss becomes infinite or not a "
       "number, and the page marks the step where the run diverged.",
       reads_chart=True),
    _q("exploding-clipped-multi", "exploding",
       "The Exploding page's 'Clipped at 1' preset trains the same network with the gradient norm clipped "
       "at 1. What does the page show? Tick every statement that is true.",
       ["The clipped run's loss stays finite at every step.",
        "Clipping rescales the gradient on most steps, not only on a few spikes.",
        "The first loss differs, because clipping changes the network at initialization.",
        "Clipping removes the explosion in the backward signal, so the per-layer gradients at "
        "initialization become even."],
       "ab",
       "Clipping rescales the whole gradient to norm 1 whenever it is larger, and here it is larger "
       "on nearly every step, so every step has the same bounded length and the run stays finite. "
       "It changes only the size of each update: the network at initialization, its first loss and "
       "its exploding backward signal are exactly those of the unclipped run.",
       reads_chart=True),
    _q("exploding-phase-gain", "exploding",
       "On the Exploding page's gain × depth map of the backward-signal ratio (ReLU, weights drawn "
       "with gain g): at g = 2 and 30 layers, how does the backpropagated signal at the first layer "
       "compare with the last?",
       ["More than 100 times larger: it grows on its way back to the input.",
        "More than 100 times smaller: it vanishes.",
        "About equal: He initialization's variance is 2/fan_in, so g = 2 is the balanced point.",
        "About equal: ReLU's slope is 1, so the signal never changes size."],
       "a",
       "A ReLU layer keeps the signal's size on average at gain √2 ≈ 1.41 (He initialization, "
       "variance 2/fan_in), so a gain-g network's ratio over L layers is about (g/√2)ᴸ⁻¹ times "
       "the He network's. At g = 2 and 30 layers that factor is (√2)²⁹, about "
       f"{_N(RELU_GAIN2_30)}, so the signal at the first layer is far more than 100 times the last's.",
       reads_chart=True),
    _q("exploding-crossing", "exploding",
       "On the same map, at the Exploding page's default depth, near which gain does the ReLU "
       "network's backward-signal ratio cross 1?",
       ["Near g = 1: weights of variance 1/fan_in keep the signal's size.",
        "Near g = √2 ≈ 1.41, He initialization's gain, or a little above it.",
        "Near g = 2: He initialization's variance is 2/fan_in.",
        "Nowhere: in a ReLU network the signal always shrinks toward the input."],
       "b",
       "ReLU zeroes about half of the signal, so weights of variance 2/fan_in (gain √2) are needed to "
       "keep its size, and at finite width the measured crossing typically sits a little above √2. "
       "Unlike tanh, "
       "whose crossing near g ≈ 1 is the edge of chaos (Poole et al. 2016, Schoenholz et al. 2017), "
       "ReLU has no chaotic phase: above the crossing the signal simply grows and below it shrinks.",
       reads_chart=True),
    _q("exploding-signs-multi", "exploding",
       "Which of these are signs of exploding gradients? Tick every one that applies.",
       ["The loss suddenly becomes infinite or not a number (NaN).",
        "The gradient norm grows by orders of magnitude from step to step.",
        "Training accuracy rises steadily while validation accuracy falls.",
        "The loss stays flat near ln 2 from the first step on."],
       "ab",
       "Exploding gradients make the updates huge, so the weights and then the loss blow up, often to "
       "infinity or NaN. A widening gap between training and validation accuracy is overfitting, and a "
       "flat loss from the start points to the opposite problem, a signal that vanishes."),
    _q("exploding-clipping-what", "exploding",
       "What does gradient-norm clipping at a threshold c do?",
       ["Sets every gradient entry above c to c.",
        "When the whole gradient's norm exceeds c, scales it down to norm c, keeping its direction.",
        "Stops training when the gradient norm exceeds c.",
        "Lowers the learning rate permanently after a large gradient."],
       "b",
       "Norm clipping rescales the gradient vector as a whole, so the update still points the same way "
       "downhill. Gradients with a norm below c pass untouched and every larger one is shortened to "
       "length c, however often that happens: on the Exploding page's 'Clipped at 1' preset that is "
       f"every step ({_N(300)} of {_N(300)}), at the default threshold 3 on more than half of the steps "
       "but not on all of them."),
    _q("exploding-batchnorm-depth", "exploding",
       "A deep ReLU network with He initialization and batch normalization on every layer, but no "
       "skip connections: at initialization, what happens to its gradients as it gets deeper?",
       ["They grow toward the input, the more the deeper the network: batch norm alone does not "
        "keep them in check.",
        "They stay the same size at every depth: batch norm normalizes the gradients as well as the "
        "activations.",
        "They vanish toward the input, as in a sigmoid network.",
        "They only depend on the learning rate, not on the depth."],
       "a",
       "Batch norm removes the scale a too-large gain would add, yet in a deep batch-norm network "
       "without skip connections the gradient at initialization grows with depth (Yang et al. 2019): "
       "measured here, the first/last weight-gradient ratio is a few at depth 10 and tens to hundreds "
       "at depth 30. With residual connections the same networks stay far closer to 1: one reason "
       "batch norm is paired with skips in deep networks."),
    _q("exploding-lr-too-high", "exploding",
       "On the Exploding page, a network with He initialization, whose backward signal is balanced, "
       "can still blow up when the learning rate is too high. What is going on?",
       ["Each step is longer than the curvature of the loss allows, so it overshoots further every "
        "time: a step-size instability.",
        "He initialization explodes at this depth; the learning rate plays no part.",
        "The learning rate multiplies the gradient once per layer, so a large one compounds over "
        "the depth.",
        "A large learning rate kills ReLU units, and dead units make the loss infinite."],
       "a",
       "Gradient descent is stable only while the learning rate is below about 2 divided by the "
       "largest curvature of the loss, and beyond that every step overshoots the minimum by more "
       "than the one before. That is a different mechanism from layers amplifying the backward "
       "signal, and its fix is a smaller learning rate, not a different initialization."),
    # ------------------------------------------------------------------ overfitting
    _q("overfitting-memorize", "overfitting",
       "On the Overfitting page's default run (a deep network trained on a small, noisy training set, "
       "no remedy), how do training and validation accuracy compare at the end?",
       ["Both stay near 50%: the network learned nothing.",
        "Training accuracy is far higher than validation accuracy.",
        "Validation accuracy is higher than training accuracy.",
        "Both are near 100%: the network found the true boundary."],
       "b",
       "A network with thousands of weights can fit a few dozen training points almost exactly, "
       f"including the {FLIPPED_LABELS} whose labels were flipped (it predicts the flipped label for "
       "about 9 in 10 of them), so it scores far higher on its own points than on new ones. New points "
       "from the same "
       "distribution do not share that noise, and validation accuracy lags behind: the "
       "generalization gap.",
       reads_chart=True),
    _q("overfitting-remedies-multi", "overfitting",
       "Which of these usually reduce overfitting? Tick every one that applies.",
       ["Dropout.",
        "Weight decay.",
        "More training data from the same distribution.",
        "Adding more layers.",
        "Training for many more steps.",
        "Keeping the model with the highest training accuracy."],
       "abc",
       "Dropout and weight decay limit how closely the network can fit the training points, and more "
       "points for the same capacity make memorizing each one harder while their noise averages out. "
       "More layers and more steps give "
       "it more room to memorize, and the highest training accuracy picks the most memorized model, "
       "not the best one."),
    _q("overfitting-early-stopping", "overfitting",
       "With early stopping and 'restore best weights', which weights does the model end with?",
       ["The weights after the very last training step.",
        "The weights from the step with the lowest validation loss.",
        "The weights from the step with the lowest training loss.",
        "The initial weights, which have not yet memorized anything."],
       "b",
       "Early stopping watches the validation loss and stops once it has not improved for "
       "`patience` steps. Restoring the best weights rewinds to the step where validation loss was "
       "lowest, before further training made it worse on new points."),
    _q("overfitting-validation-test", "overfitting",
       "Early stopping picks its step on the validation set. Why report the final accuracy on a "
       "separate test set?",
       ["A score measured on the set used to choose something is biased upward; a test set never "
        "used for any choice gives an honest estimate.",
        "The validation set is too small to compute an accuracy on.",
        "After early stopping, the network is trained further on the test set.",
        "No reason: validation set and test set are two names for the same held-out data."],
       "a",
       "The validation set is for choosing, the stopping step, a remedy's strength, the settings, and "
       "every choice fits them a little to that set's particular points. A test set from the same "
       "distribution that played no part in any choice is what gives an unbiased estimate of how the "
       "final model does on new data."),
    _q("overfitting-dropout", "overfitting",
       "What does dropout (the lecture's next lesson) do?",
       ["During training it zeroes each hidden unit with probability p at every step, scaling the "
        "rest by 1/(1 − p); at evaluation every unit is used.",
        "After training it permanently removes the fraction p of units that contribute least.",
        "At every step it leaves out a fraction p of the training points.",
        "It zeroes a fraction p of the units at evaluation too, so that predictions are more robust."],
       "a",
       "Each step trains a different random thinned network, so no unit can rely on particular "
       "others being present (co-adaptation, Srivastava et al. 2014), which makes fitting the noise "
       "of single training points harder. At evaluation the full network runs, and the scaling "
       "during training keeps each unit's expected output the same in both modes."),
    _q("overfitting-weight-decay-adam", "overfitting",
       "Under Adam, how does an L2 penalty added to the loss differ from decoupled weight decay "
       "(AdamW)?",
       ["They are the same thing under any optimizer: weight decay is another name for an L2 penalty.",
        "Decoupled decay shrinks every weight by the same fraction each step; the L2 term is divided "
        "by Adam's running gradient size, so it acts hardest where the loss gradient is small.",
        "Decoupled decay acts only on the biases, the L2 penalty only on the weights.",
        "The L2 penalty only changes the reported loss, never the weights."],
       "b",
       "With plain SGD the two are the same, but Adam divides the whole gradient, L2 term included, "
       "by √v̂, so a weight whose loss gradient is small is pulled toward zero far harder than one "
       "whose gradient is large (Loshchilov and Hutter 2019). AdamW applies the decay outside that "
       "division, shrinking every weight by the fraction lr·λ per step whatever its gradient, a weak "
       "pull over a run as short as the page's."),
    _q("overfitting-moons-noise", "overfitting",
       "On the Overfitting page's default dataset (moons), the noise setting is scikit-learn's "
       "make_moons noise. What does it do?",
       ["It moves each point by Gaussian noise; the label stays that of the moon the point was drawn "
        "from.",
        "It flips the labels of a random fraction of the points.",
        "It adds noise to the network's weights at every training step.",
        "It removes a random fraction of the training points."],
       "a",
       "make_moons draws points on two interlocking half circles and then moves each one by Gaussian "
       "noise of that standard deviation, so with enough noise some points land on the other moon's "
       "side while keeping their own label. No label is ever flipped: memorizing truly random labels "
       "is a different experiment (Zhang et al. 2017)."),
    # ------------------------------------------------------------------ speed
    _q("speed-flops-depth", "speed",
       "On the Training speed page, going from 16 to 32 hidden layers of the same width makes the "
       "computation per training step...",
       ["about twice as large.",
        "about four times as large.",
        "about the same.",
        "about 32 times as large."],
       "a",
       "Each hidden layer adds one width × width matrix multiplication forward and two backward, so "
       "the work per step grows in proportion to depth. Doubling the depth roughly doubles the "
       "FLOPs, and the measured time per step grows too, though less than 2× at these small sizes, "
       "because each step has a fixed overhead.",
       reads_chart=True),
    _q("speed-plain-deep", "speed",
       "On the Training speed page, the plain network at the deepest setting (ReLU, PyTorch's default "
       "initialization, no normalization) keeps a training loss near ln 2 ≈ 0.69 while the 4-layer "
       "one learns. Why?",
       ["Its signal vanishes: each layer shrinks it, so the output barely depends on the input and "
        "the early layers' gradients are tiny.",
        "Degradation (He et al. 2016): its gradients flow well, but deeper networks fit the training "
        "data worse.",
        "It overfits: it memorizes the training points instead of learning the boundary.",
        "Each of its steps costs more, so it made fewer steps in the same time."],
       "a",
       "PyTorch's default initialization gives ReLU layers weights too small to keep the signal's "
       "size, so after dozens of layers the output barely depends on the input, the loss sits at "
       "ln 2 (a coin flip) and the gradients are tiny: a vanishing signal. Degradation is a different "
       "finding, in plain networks with batch norm and He initialization whose signal does flow and "
       "whose deeper version still reaches a higher training loss (He et al. 2016).",
       reads_chart=True),
    _q("speed-degradation", "speed",
       "What is the degradation problem that He et al. (2016) reported?",
       ["A deeper plain network, even with batch norm and He initialization, reached a higher "
        "training error than a shallower one.",
        "A deeper network reached a lower training error but a higher test error: it overfit.",
        "A deeper network's gradients vanished because its weights started too small.",
        "A deeper network took longer per step, so it reached a worse error in the same time."],
       "a",
       "Their plain networks used batch norm and He initialization, so signals and gradients did "
       "flow, and the deeper one still fit the training data worse, which rules out overfitting; He "
       "et al. checked that the gradients had healthy norms and argued it was not vanishing "
       "gradients. Residual connections removed the gap: with them the deeper "
       "network reached the lower training error, as depth promised."),
    _q("speed-residual-fix", "speed",
       "He et al. (2016) trained networks of over 100 layers, though their plain networks already "
       "trained worse than shallower ones at 34 layers (ImageNet) and 56 (CIFAR-10). What made it "
       "possible?",
       ["Residual (skip) connections.",
        "A much larger learning rate.",
        "Dropout after every layer.",
        "Training on much smaller batches."],
       "a",
       "A residual block adds its input to its output, so the signal and the gradient have a direct "
       "path through the network. With it and batch normalization they trained networks of "
       f"{_N(152)} layers on ImageNet and over {_N(1000)} on CIFAR-10."),
    _q("speed-hardware", "speed",
       "Why do deeper models typically need GPUs or longer training times?",
       ["Every extra layer adds matrix multiplications to each forward and backward pass.",
        "A GPU lets a deep network converge in fewer steps.",
        "Backpropagation through L layers costs L² times one layer's work.",
        "Deeper networks need more training data, and loading it is what takes the time."],
       "a",
       "The work per step grows in proportion to the number of layers, and hardware that does many "
       "multiply-adds in parallel shortens each step. A GPU speeds up the arithmetic but does not "
       "change how many steps a network needs, and a deeper network may need more of them."),
    _q("speed-time-to-target", "speed",
       "The Training speed page measures two things separately. What gives the time a network takes "
       "to reach a target loss?",
       ["The cost of one step times the number of steps needed; depth can raise both.",
        "The cost of one step alone: every depth needs the same number of steps.",
        "The number of steps alone: on a GPU a step costs the same at every depth.",
        "The number of parameters alone: time grows with the square of the parameter count."],
       "a",
       "Cost per step grows with depth because every layer adds matrix multiplications, and the "
       "number of steps depends on optimization difficulty, so a badly conditioned deep network may "
       "need many more steps or never reach the target. Residual connections and batch norm mostly "
       "cut the second factor, faster hardware the first."),
)

BY_ID: dict[str, Question] = {q.id: q for q in BANK}
assert len(BY_ID) == len(BANK), "question ids must be unique"


def questions(problem: str | None = None) -> tuple[Question, ...]:
    """The whole bank (problem None or "all"), or one problem's questions, in bank order."""
    if problem in (None, "all"):
        return BANK
    if problem not in PROBLEMS:
        raise ValueError(f"unknown problem {problem!r}; expected one of {', '.join(PROBLEMS)}")
    return tuple(q for q in BANK if q.problem == problem)


def question(question_id: str) -> Question:
    """The question with this id; ValueError for anything that is not one."""
    if not isinstance(question_id, str) or not QUESTION_ID.match(question_id):
        raise ValueError("not a question id")
    if question_id not in BY_ID:
        raise ValueError("no such question")
    return BY_ID[question_id]


def check_options(q: Question, option_ids: Iterable[str]) -> frozenset[str]:
    """The chosen option ids, validated against the question; ValueError otherwise."""
    chosen = []
    for oid in option_ids:
        if not isinstance(oid, str) or not OPTION_ID.match(oid) or oid not in q.option_ids:
            raise ValueError(f"not an option of question {q.id}")
        chosen.append(oid)
    result = frozenset(chosen)
    if not result:
        raise ValueError("no option chosen")
    if not q.multiple and len(result) != 1:
        raise ValueError(f"question {q.id} takes exactly one option")
    return result


def option_order(q: Question, seed: int) -> tuple[str, ...]:
    """The option ids in the order shown for this attempt (same seed, same order)."""
    ids = list(q.option_ids)
    random.Random(f"{int(seed)}:{q.id}").shuffle(ids)
    return tuple(ids)


def new_seed() -> int:
    """A fresh random seed for an attempt's option order."""
    return random.SystemRandom().randint(0, MAX_SEED)


# `credit`'s rule for a question with several answers, in words (the Mission page and the poll show it)
SEVERAL_RULE = ("each correct tick earns 1/k of the point (k = number of correct options), each wrong "
                "tick takes 1/k away, never below 0")


def credit(q: Question, chosen: Iterable[str]) -> float:
    """Points in [0, 1] for the options ticked (see the module docstring for the rule)."""
    picked = set(chosen)
    if not q.multiple:
        return 1.0 if picked == set(q.correct) else 0.0
    k = len(q.correct)
    right = len(picked & q.correct)
    wrong = len(picked - q.correct)
    return max(0.0, (right - wrong) / k)


@dataclass(frozen=True)
class Graded:
    """One question's outcome."""

    question: Question
    chosen: frozenset[str]
    credit: float

    @property
    def answered(self) -> bool:
        return bool(self.chosen)

    @property
    def right(self) -> bool:
        return self.credit == 1.0


@dataclass(frozen=True)
class Score:
    """An attempt's score: `points` out of `total`, and each question's outcome."""

    graded: tuple[Graded, ...]

    @property
    def points(self) -> float:
        return sum(g.credit for g in self.graded)

    @property
    def total(self) -> int:
        return len(self.graded)

    @property
    def n_right(self) -> int:
        return sum(g.right for g in self.graded)

    def text(self) -> str:
        """'7 / 12', or '7.5 / 12' with partial credit."""
        pts = round(self.points, 2)
        return f"{pts:g} / {self.total}"


def grade(qs: Iterable[Question], answers: Mapping[str, Iterable[str]]) -> Score:
    """Score `answers` (question id -> chosen option ids); unanswered questions earn 0."""
    graded = []
    for q in qs:
        chosen = frozenset(answers.get(q.id, ()) or ())
        graded.append(Graded(q, chosen, credit(q, chosen) if chosen else 0.0))
    return Score(tuple(graded))


def progress(qs: Iterable[Question], answers: Mapping[str, Iterable[str]]) -> tuple[int, int]:
    """(answered, total), shown like the lecture's 'Mission 3 / 12'."""
    qs = tuple(qs)
    return sum(bool(answers.get(q.id)) for q in qs), len(qs)
