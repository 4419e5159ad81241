"""The Mission: a bank of scored questions about the four problems, and the scoring.

Pure Python (no Streamlit, no torch): the Mission page draws these questions
and the live poll (`depthkit.workshop.poll`) checks what attendees send against them.

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

from depthkit.core import fmt

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
    explanation: str  # why the answer is right: first sentence alone (`short`), the rest (`more`)
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

    @property
    def short(self) -> str:
        """The explanation's first sentence: the why, short enough for a projector."""
        return sentences(self.explanation)[0]

    @property
    def more(self) -> str:
        """The rest of the explanation after its first sentence ("" if there is none)."""
        return " ".join(sentences(self.explanation)[1:])


# a sentence ends at . ! or ? followed by a space, except in "et al." (a citation, not an end)
_SENTENCE_END = re.compile(r"(?<!et al\.)(?<=[.!?])\s+")


def sentences(text: str) -> list[str]:
    """`text` split into its sentences, in order."""
    return [part for part in _SENTENCE_END.split(text.strip()) if part]


def _q(qid: str, problem: str, prompt: str, options: list[str], correct: str, explanation: str,
       reads_chart: bool = False) -> Question:
    """Build a question; `correct` lists the right options' letters ("c", or "abd")."""
    ids = "abcdef"[:len(options)]
    return Question(qid, problem, prompt, tuple(zip(ids, options)), frozenset(correct), explanation,
                    multiple=len(correct) > 1 or qid.endswith("-multi"), reads_chart=reads_chart)


# Numbers the explanations quote, written for people by depthkit.core.fmt. Each is
# a measured or exact fact that tests/test_quiz_charts.py checks.
# the Vanishing page's defaults: sigmoid, PyTorch's default weights, width 16, 20 layers
SIGMOID_WIDTH = 16
SIGMOID_BOUND = 0.26  # 0.25 * spectral norm of a default hidden weight at that width (median)
SIGMOID_TYPICAL = 0.14  # typical per-layer factor ||W^T diag(s') g|| / ||g||, default weights
SIGMOID_SHRINK_19 = round(-math.log10(SIGMOID_TYPICAL ** 19))  # 19 factors: 10^16
WEIGHT_TYPICAL = 0.3  # median |w| of the sigmoid network's first layer (0.23-0.46 over seeds)
FLOAT32_SPACING = 2.0 ** -25  # gap between float32 numbers in [0.25, 0.5), about 3 x 10^-8
FLOAT64_SPACING = 2.0 ** -54  # the same gap in float64, about 6 x 10^-17
RELU_GAIN2_20 = round(math.sqrt(2) ** 19, -2)  # (2/sqrt 2)^19, about 700
UPDATE_BOUND = 1e-18  # the sigmoid network's first-layer updates stay below this
FLIPPED_LABELS = 12  # flipped training labels at the Overfitting page's defaults (20% of 60)
MEMORIZED_SHARE = 0.9  # '9 in 10': share of them the default network predicts flipped (mean)
# Adam with |g| far below its epsilon (PyTorch's default, depthkit.engine.optim.ADAM_EPS): step ~ lr * g / eps
ADAM_EPS = 1e-8
ADAM_LR = 0.01
TINY_GRAD = 1e-15
ADAM_STEP = ADAM_LR * TINY_GRAD / ADAM_EPS  # 10^-9
SPEED_STEPS = 30  # the Training speed page's default number of Adam steps
XAVIER_SIGMOID_SHRINK = 12  # sigmoid + Xavier, 20 layers: the signal shrinks about 10^12
TANH_XAVIER_FACTOR = 0.9  # tanh + Xavier: a layer keeps about 0.9 of the signal

_N = fmt.num
_UPDATE = fmt.power_of_ten(round(math.log10(UPDATE_BOUND)))
_TINY = fmt.power_of_ten(round(math.log10(TINY_GRAD)))
_ADAM_STEP = fmt.power_of_ten(round(math.log10(ADAM_STEP)))
_EPS = fmt.power_of_ten(round(math.log10(ADAM_EPS)))


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
       "input get little to no weight update. "
       "Strictly, only those layers do: the last layers still learn, as the Vanishing page measures "
       "layer by layer. Training does become very slow, the symptom Hochreiter (1991) and Bengio et al. "
       "(1994) describe, but a small learning rate or costly steps can cause that too, so it does not "
       "define the problem."),
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
       f"{_N(SIGMOID_TYPICAL)} with these weights, so the first layer's gradient is many orders of "
       "magnitude smaller. It is tiny but still an ordinary float32 number, far above the smallest one.",
       reads_chart=True),
    _q("vanishing-relu-he", "vanishing",
       "Same page, same depth, but ReLU activations with He initialization (the page's fix network): "
       "the first hidden layer's weight-gradient norm at initialization is...",
       ["within a factor of 100 of the last hidden layer's.",
        "more than a million times smaller, as with the sigmoid.",
        "zero, because half of the ReLU units are dead.",
        "more than a million times larger: ReLU's slope of 1 makes it explode."],
       "a",
       "ReLU passes the signal unchanged through active units, and He's variance 2/fan_in makes up "
       "for the half that are off, so on average a layer neither shrinks nor grows it. "
       "The ratio still varies from one initialization to the next, by about ten times either way at "
       "this depth (finite width, Hanin 2018), but not by the millions of times the sigmoid network "
       "loses.",
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
       "signal from shrinking layer after layer. "
       "Batch norm does it with a larger learning rate, as the page's 'Sigmoid + batch norm' preset "
       f"shows (lr {_N(1)}). More depth lengthens the product of small factors, dropout targets "
       "overfitting rather than gradient flow, and all-zero weights pass no signal back at all and make "
       "every unit of a layer learn the same thing."),
    _q("vanishing-sigmoid-derivative", "vanishing",
       "Why does the backward signal of a deep sigmoid network with PyTorch's default weights shrink "
       "layer after layer?",
       ["Each layer multiplies it by Wᵀ·diag(σ′), which these small weights keep well below 1.",
        "Each layer multiplies it by at most 0.25, whatever the weights, because σ′ is never above "
        "0.25.",
        "Most sigmoid units start saturated, where their derivative is near 0.",
        "The sigmoid's outputs are all positive, so the gradients of different units cancel."],
       "a",
       f"With these small weights each layer's factor Wᵀ·diag(σ′) is typically about {_N(SIGMOID_TYPICAL)}, "
       f"so the 19 factors from layer 20 back to layer 1 shrink the signal about "
       f"{fmt.power_of_ten(SIGMOID_SHRINK_19)} times. "
       "The factor is bounded by 0.25·‖W‖₂ (the spectral norm), not by 0.25: at the page's width "
       f"{SIGMOID_WIDTH} that bound is about {_N(SIGMOID_BOUND)}, and large weights can push it above 1. "
       "Glorot and Bengio's initialization balances it for tanh (slope 1 at 0), not for the sigmoid, "
       "whose factor stays near a quarter with it. Few units are saturated, and the page's first-layer "
       "gradient comes out 10¹⁴ to 10¹⁷ times smaller than the last layer's, depending on the seed."),
    _q("vanishing-float32-rounding", "vanishing",
       "In the Vanishing page's default run, the sigmoid network's first-layer gradient is tiny but "
       "not zero, yet after training that layer's weights are exactly what they were at the start. "
       "Why?",
       ["Each update is under half the float32 spacing near w, so w + Δw rounds back to w.",
        "The gradient underflows to zero in float32 before the update is applied.",
        "The weights did change, by less than the digits shown; printed in full they would differ.",
        "The updates are real but small: the change would show once enough of them had added up."],
       "a",
       f"The update is below {_UPDATE}, while float32 numbers near a typical weight "
       f"(|w| ≈ {_N(WEIGHT_TYPICAL)}) are {fmt.scientific(FLOAT32_SPACING)} apart, so w + Δw rounds "
       "back to w. "
       f"Any change under half that gap, {fmt.scientific(FLOAT32_SPACING / 2)}, is lost at every step, "
       "so nothing adds up and the weight stays exactly what it was. Float64 would round it away too "
       f"(its spacing near {_N(WEIGHT_TYPICAL)} is about {fmt.scientific(FLOAT64_SPACING, 1)}), and even "
       "exact arithmetic would need over 10¹⁵ steps to move a typical weight by 1%: rounding explains "
       "why the change is exactly 0, the tiny gradient why the layer cannot learn.",
       reads_chart=True),
    _q("vanishing-residual-jacobian", "vanishing",
       "A residual block computes h_l = h_(l−1) + F(h_(l−1)). Why does that help the gradient reach "
       "the early layers?",
       ["Its Jacobian is I + ∂F/∂h, so the signal passes back even where ∂F/∂h is small.",
        "The backward pass skips the block entirely, which also saves its computation.",
        "Adding the input keeps each block's activations near zero, so no unit saturates.",
        "It rescales the signal like batch norm, so that each block's output has unit variance."],
       "a",
       "A residual block's Jacobian is I + ∂F/∂h, so the signal passes back through the identity even "
       "where ∂F/∂h is small, while the block's own weights still get their gradient. "
       "A plain layer's Jacobian is ∂F/∂h alone, so where it is small a chain of them shrinks the "
       "signal geometrically. The identity stops it from vanishing but not from growing: with large "
       "∂F/∂h the product of the (I + ∂F/∂h) can still explode, and nothing in the skip normalizes the "
       "activations, whose variance adds up block after block, which is why deep residual networks "
       "also use normalization or small initial branches (Hanin and Rolnick 2018; Zhang et al. 2019)."),
    _q("vanishing-diagnose", "vanishing",
       "A colleague's 30-layer sigmoid network: the first layer's gradient is about 10⁻¹⁵, the "
       "training loss has sat at ln 2 ≈ 0.69 since the first step, and nothing is NaN. Which diagnosis "
       "and fix fit?",
       ["A vanishing signal: switch to ReLU with He init, or add batch norm or skip connections.",
        "Exploding gradients that have not overflowed yet: clip the gradient norm at 1 before each step.",
        "Overfitting: the network memorized its points, so add dropout or weight decay.",
        "Too small a learning rate: raise it a hundredfold so the first layer takes real steps."],
       "a",
       "A tiny first-layer gradient, a loss flat at a coin flip's and no NaN are the signs of a "
       "vanishing signal, and the fixes keep each layer's factor near 1. "
       "Exploding gradients show as huge or NaN values, and overfitting needs a training loss that "
       "falls. Under SGD a larger learning rate scales every layer's step alike, so the last layers "
       "would overshoot long before the first one moved."),
    _q("vanishing-adam-epsilon", "vanishing",
       f"A first-layer weight (|w| ≈ {_N(WEIGHT_TYPICAL)}) has a gradient of {_TINY}. Does switching "
       f"from SGD to Adam (lr {_N(ADAM_LR)}, ε = {_EPS}, PyTorch's default) give it a useful step?",
       [f"No: with |g| far below ε, Adam's step is about lr·g/ε, here {_ADAM_STEP}.",
        "Yes: Adam divides by the gradient's own size, so every weight moves by about lr.",
        "No: Adam skips any weight whose gradient is below ε and leaves it as it is.",
        "Yes, but only once its running averages have warmed up, after about a hundred steps."],
       "a",
       f"Adam's step is lr·m̂/(√v̂ + ε), so when |g| is far below ε = {_EPS} the ε dominates and the "
       f"step is about lr·g/ε, here {_ADAM_STEP}. "
       "Only gradients well above ε get a step of about lr, which is how Adam masks a moderately "
       f"vanishing gradient but cannot rescue one of {_TINY}, at any step of the run. Nothing is "
       f"skipped: the step of {_ADAM_STEP} is applied, and near |w| ≈ {_N(WEIGHT_TYPICAL)} it is under "
       f"half float32's gap of {fmt.scientific(FLOAT32_SPACING)}, so it even rounds away."),
    _q("vanishing-standardize", "vanishing",
       "A sigmoid network is trained on raw inputs: one feature is in the hundreds, the other near 1 "
       "(say, one feature × 100). What goes wrong at the first layer, compared with standardized "
       "inputs?",
       ["Its pre-activations are dominated by the large feature and land far from 0, where σ′ is "
        "nearly 0.",
        "Nothing: the first layer's weights simply learn to rescale each feature, so no preprocessing "
        "is needed.",
        "The large feature's weights get 100 times smaller gradients, so they barely learn.",
        "Standardizing only speeds up the arithmetic; the trained network ends up the same."],
       "a",
       "Weights sized for unit-scale inputs make the first layer's pre-activations about 100 times too "
       "large, so most of its sigmoid units saturate, where σ′ is nearly 0. "
       "The large feature's weights also get gradients about 100 times larger and a curvature about "
       "10⁴ times larger (it grows with the input's square), so gradient descent must take steps the "
       "steep direction allows and crawls along the rest (LeCun et al. 1998, Efficient BackProp). "
       "Standardizing each feature to mean 0 and variance 1, as this app does for every dataset, "
       "avoids both."),
    _q("vanishing-tanh-xavier", "vanishing",
       "Two 20-layer networks use Xavier (Glorot) initialization, one with tanh, one with the sigmoid. "
       "Whose backward signal shrinks less, and why?",
       ["Tanh's: Xavier's scale assumes slope 1 at 0, which tanh has; the sigmoid's slope there is 1/4.",
        "The sigmoid's: its outputs stay between 0 and 1, so its backward signal cannot change much.",
        "Both alike: Xavier's variance 2/(fan_in + fan_out) balances the signal for any activation.",
        "The sigmoid's: tanh saturates sooner, at ±1, so its derivatives are the smaller ones."],
       "a",
       "Xavier's scale suits slope 1 at 0, which tanh has; the sigmoid's slope there is 1/4, so each of "
       "its layers keeps only about a quarter of the signal. "
       f"On the Vanishing page's width-{SIGMOID_WIDTH} network a tanh layer keeps about "
       f"{_N(TANH_XAVIER_FACTOR)} of it, while the sigmoid's signal shrinks about "
       f"{fmt.power_of_ten(XAVIER_SIGMOID_SHRINK)} times over the 19 layers (Glorot and Bengio 2010). "
       "Bounded outputs do not bound the shrinking, and tanh's saturation matters only once units "
       "saturate, which at this scale almost none do."),
    # ------------------------------------------------------------------ exploding
    _q("exploding-reference-loss", "exploding",
       "On the Exploding page's default problem network (ReLU, weights drawn with gain 2, full-batch "
       "gradient descent, no clipping), what happens to the training loss?",
       ["It falls smoothly, only faster than usual, since larger gradients mean larger steps.",
        "It stays flat at its starting value.",
        "It becomes infinite or NaN within the first few steps.",
        "It rises slowly but stays finite for hundreds of steps."],
       "c",
       "With gain 2 every ReLU layer multiplies the backward signal by about √2 where He's gain keeps "
       f"it level, so 19 layers make it about {_N(RELU_GAIN2_20)} times larger. "
       "Within a few gradient-descent steps the weights are thrown so far that the loss becomes "
       "infinite or not a number (NaN), and the page marks the step where the run diverged.",
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
       "Clipping rescales the whole gradient to norm 1 whenever it is larger, which here is nearly every "
       "step, so every step has a bounded length and the run stays finite. "
       "It changes only the size of each update: the network at initialization, its first loss and "
       "its exploding backward signal are exactly those of the unclipped run.",
       reads_chart=True),
    _q("exploding-gain-ratio", "exploding",
       "On the Exploding page's ReLU network (zero biases, 20 layers), raising the init gain from He's "
       f"√2 to 2 makes the backward signal's first/last ratio about {_N(RELU_GAIN2_20)} times larger. "
       "What happens to the first/last ratio of the weight gradients?",
       ["It changes far less: the gain scales every layer's weight gradient by about the same factor.",
        f"It grows about {_N(RELU_GAIN2_20)} times as well: a layer's weight gradient follows its "
        "backward signal.",
        f"It shrinks about {_N(RELU_GAIN2_20)} times: the last layer's input grows with the gain, the "
        "first's does not.",
        f"It grows about {_N(RELU_GAIN2_20)}² times: a layer's input and its signal both grow with the "
        "gain."],
       "a",
       "With zero biases, layer l's weight gradient is its input, (g/√2)ˡ⁻¹ times He's, times its "
       "signal, (g/√2)ᴸ⁻ˡ times: about the same (g/√2)ᴸ⁻¹ at every layer. "
       "So the gain changes the whole gradient's size, not the ratio between layers: what explodes in "
       "a ReLU network is the backward signal and the overall scale. Measured on the page's network, "
       "the weight-gradient ratio moves by under twenty times (the loss's slope weights the points "
       f"differently at each gain), while the signal's grows about {_N(RELU_GAIN2_20)} times.",
       reads_chart=True),
    _q("exploding-crossing", "exploding",
       "On the Exploding page's gain × depth map of the backward-signal ratio (ReLU, weights drawn "
       "with gain g), at the default depth: near which gain does the ratio cross 1?",
       ["Near g = 1: weights of variance 1/fan_in keep the signal's size.",
        "Near g = √2 ≈ 1.41, He initialization's gain, or a little above it.",
        "Near g = 2: He initialization's variance is 2/fan_in.",
        "Nowhere: in a ReLU network the signal always shrinks toward the input."],
       "b",
       "A ReLU zeroes half the units, halving the signal's mean square, so weights of variance "
       "2/fan_in (gain √2) keep its size; at finite width the crossing sits a little above. "
       "Gain 2 would be variance 4/fan_in: that option confuses the variance with the gain. Unlike "
       "tanh, whose crossing near g ≈ 1 is the edge of chaos (Poole et al. 2016, Schoenholz et al. "
       "2017), ReLU has no chaotic phase: above the crossing the signal simply grows and below it "
       "shrinks.",
       reads_chart=True),
    _q("exploding-signs-multi", "exploding",
       "Which of these are signs of exploding gradients? Tick every one that applies.",
       ["The loss suddenly becomes infinite or not a number (NaN).",
        "The gradient norm grows by orders of magnitude from step to step.",
        "Training accuracy rises steadily while validation accuracy falls.",
        "The loss stays flat near ln 2 from the first step on."],
       "ab",
       "Exploding gradients make the updates huge, so the weights and then the loss blow up, often to "
       "infinity or NaN. "
       "A widening gap between training and validation accuracy is overfitting, and a flat loss from "
       "the start usually points to the opposite problem, a signal that vanishes, though one huge "
       "step that kills every ReLU or saturates every tanh unit can also leave the loss flat."),
    _q("exploding-clipping-what", "exploding",
       "What does gradient-norm clipping at a threshold c do?",
       ["Sets every gradient entry above c to c, and every entry below −c to −c.",
        "Rescales the gradient to norm c whenever its norm exceeds c, keeping its direction.",
        "Stops training at the first step whose gradient norm exceeds c, as a divergence guard.",
        "Lowers the learning rate for good after a gradient larger than c, like a schedule."],
       "b",
       "Norm clipping shortens the whole gradient vector to length c whenever it is longer, so the "
       "update still points the same way downhill and only its size is bounded. "
       "Gradients below c pass untouched, and every longer one is shortened however often that "
       "happens: on the Exploding page's 'Clipped at 1' preset that is nearly every step, at the "
       "default threshold 3 many of the steps but not all of them."),
    _q("exploding-clipping-cause", "exploding",
       "A 20-layer ReLU network drawn with init gain 2 diverges to NaN within a few gradient-descent "
       "steps; with gradient-norm clipping it stays finite. Which change removes the cause rather "
       "than treating the symptom?",
       ["Drawing the weights with He's gain √2, so layers neither grow nor shrink the signal.",
        "Clipping at a lower threshold, so that no single step is ever long enough to diverge.",
        "Clipping each gradient entry at the threshold instead, so no single weight explodes.",
        "Adding dropout, so that fewer units pass the growing signal back toward the input."],
       "a",
       "Gain 2 makes every layer multiply the backward signal by about √2, and He's gain √2 keeps it "
       "level, while clipping of any kind only shortens the steps it produces. "
       "Clipping leaves the network, its first loss and its exploding backward signal exactly as they "
       "were, and at threshold 1 it rescales nearly every step. Treating the symptom can be the right "
       "call, as for the rare spikes of recurrent networks that Pascanu et al. (2013) clip, but here "
       "the cause is the weights' scale."),
    _q("exploding-batchnorm-depth", "exploding",
       "A deep ReLU network with He initialization and batch normalization on every layer, but no "
       "skip connections: at initialization, what happens to its gradients as it gets deeper?",
       ["They grow toward the input, more the deeper the network: batch norm alone does not stop it.",
        "They stay the same size at every depth: batch norm normalizes the gradients as well as the "
        "activations.",
        "They vanish toward the input: each batch norm divides the signal by its spread once more.",
        "They depend only on the learning rate, not on the depth: batch norm removes the weights' "
        "scale."],
       "a",
       "Batch norm removes the scale a too-large gain would add, yet without skip connections a deep "
       "batch-norm network's gradient at initialization grows with depth (Yang et al. 2019). "
       "Measured here, the first/last weight-gradient ratio is a few at depth 10 and tens to hundreds "
       "at depth 30; with residual connections the same networks stay far closer to 1, one reason "
       "batch norm is paired with skips. This is at initialization: Yang et al. find that the range "
       "shrinks sharply after the first step, consistent with He et al.'s healthy norms during "
       "training."),
    _q("exploding-lr-too-high", "exploding",
       "On the Exploding page, a network with He initialization, whose backward signal is balanced, "
       "can still blow up when the learning rate is too high. What is going on?",
       ["Each step is too long for the loss's curvature and overshoots further: a step-size "
        "instability.",
        "He initialization itself explodes at this depth, whatever the learning rate is.",
        "The learning rate multiplies the gradient once per layer, so a large one compounds over "
        "the depth.",
        "A large learning rate kills ReLU units, and dead units make the loss infinite."],
       "a",
       "On a quadratic, gradient descent diverges once the learning rate exceeds 2 / curvature, and "
       f"lr {_N(1)} is past what this network's curvature tolerates, so each step overshoots further. "
       "A network's curvature changes as it trains, and full-batch training can even run at the edge "
       "of stability (Cohen et al. 2021); the page infers the cause from a balanced signal that still "
       "diverged and does not measure the curvature. It is another source of the same blow-up, and its "
       "fix is a smaller learning rate (or a warm-up), not another weight scale."),
    # ------------------------------------------------------------------ overfitting
    _q("overfitting-memorize", "overfitting",
       "On the Overfitting page's default run (a deep network trained on a small, noisy training set, "
       "no remedy), how do training and validation accuracy compare at the end?",
       ["Both stay near 50%: the network learned nothing.",
        "Training accuracy is far higher than validation accuracy.",
        "Validation accuracy is higher, since only the training labels were flipped.",
        "Both are near 100%: the network found the true boundary."],
       "b",
       "A network with thousands of weights can fit a few dozen training points, flipped labels "
       "included, so it scores far higher on its own points than on new ones. "
       f"It predicts the flipped label for about 9 in 10 of the {FLIPPED_LABELS} whose labels were "
       "flipped. New points from the same distribution do not share that noise, and validation "
       "accuracy lags behind: the generalization gap.",
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
       "points for the same capacity make memorizing each one harder. "
       "More layers and more steps usually give it more room to memorize, in the classical regime: "
       "past the interpolation threshold, where label noise like this page's makes it strongest, test "
       "error can fall again (double descent; Belkin et al. 2019, Nakkiran et al. 2020). The highest "
       "training accuracy picks the most memorized model, not the best one."),
    _q("overfitting-early-stopping", "overfitting",
       "With early stopping and 'restore best weights', which weights does the model end with?",
       ["The weights after the very last training step.",
        "The weights from the step with the lowest validation loss.",
        "The weights from the step with the lowest training loss.",
        "The initial weights, which have not yet memorized anything."],
       "b",
       "Restoring the best weights rewinds to the step where the validation loss was lowest, before "
       "further training made it worse on new points. "
       "Early stopping watches the validation loss and stops once it has not improved for `patience` "
       "steps."),
    _q("overfitting-validation-test", "overfitting",
       "Early stopping picks its step on the validation set. Why report the final accuracy on a "
       "separate test set?",
       ["Choosing on the validation set biases its score upward; an unused test set stays honest.",
        "The validation set is too small for a reliable accuracy, and a test set is always larger.",
        "The validation score is already unbiased, as the network never trained on it; a test set "
        "adds data.",
        "No reason: validation set and test set are two names for the same held-out data."],
       "a",
       "Every choice made on the validation set, the stopping step, a remedy's strength, the settings, "
       "fits them a little to its particular points, so its score is biased upward. "
       "Never having trained on those points is not enough: a test set from the same distribution "
       "that played no part in any choice is what gives an unbiased estimate of how the final model "
       "does on new data."),
    _q("overfitting-dropout", "overfitting",
       "What does dropout (the lecture's next lesson) do?",
       ["In training it zeroes each hidden unit with probability p and scales the rest by 1/(1 − p).",
        "After training it permanently removes the fraction p of units that contribute least to the "
        "output.",
        "At every step it leaves out a random fraction p of the training points, like a smaller batch.",
        "It zeroes a fraction p of the units at evaluation too, so that predictions are more robust "
        "to noise."],
       "a",
       "Each step trains a different random thinned network, so no unit can rely on particular others "
       "being present (Srivastava et al. 2014), which makes fitting single points' noise harder. "
       "At evaluation the full network runs, and the 1/(1 − p) scaling keeps each unit's expected "
       "output the same in both modes (p is the drop probability, as in PyTorch; Srivastava et al.'s p "
       "is the keep probability, and they rescale the weights at test time instead: same "
       "expectation). Keeping dropout on at evaluation is Monte Carlo dropout (Gal and Ghahramani "
       "2016), a way to estimate uncertainty, not to make predictions more robust."),
    _q("overfitting-weight-decay-adam", "overfitting",
       "Under Adam, how does an L2 penalty added to the loss differ from decoupled weight decay "
       "(AdamW)?",
       ["They are the same thing under any optimizer: weight decay is another name for an L2 penalty.",
        "AdamW shrinks each weight by the same fraction; Adam divides the L2 term by its gradient scale.",
        "AdamW decays only the weights with large gradients, while the L2 penalty decays every weight alike.",
        "The L2 penalty only changes the reported loss, never the weights, under Adam or SGD."],
       "b",
       "Adam divides the gradient, L2 term included, by √v̂, so the L2 pull is strongest on weights "
       "with small loss gradients; AdamW decays outside that division (Loshchilov and Hutter 2019). "
       "AdamW shrinks every weight by the same fraction per step whatever its gradient (PyTorch's "
       "AdamW: lr × λ), a weak pull over a run as short as the page's. With plain SGD (no momentum) "
       "the two are the same up to rescaling λ by the learning rate."),
    _q("overfitting-moons-noise", "overfitting",
       "On the Overfitting page's default dataset (moons), the noise setting is scikit-learn's "
       "make_moons noise. What does it do?",
       ["It moves each point by Gaussian noise; each point keeps its moon's label.",
        "It flips the labels of a random fraction of the points, the noise the network memorizes.",
        "It adds Gaussian noise to the network's weights at every training step, as a regularizer.",
        "It removes a random fraction of the training points."],
       "a",
       "make_moons moves each point by Gaussian noise of that standard deviation, so some points land "
       "on the other moon's side while keeping their own label. "
       "This setting flips no label; the page's separate 'Flipped training labels' setting does, and "
       "those are the labels the network memorizes (Zhang et al. 2017)."),
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
       "the work per step grows in proportion to depth: twice the layers, twice the FLOPs. "
       "The measured time per step grows too, though usually less than 2× at these small sizes, "
       "because each step also has a fixed cost that does not grow with depth.",
       reads_chart=True),
    _q("speed-plain-deep", "speed",
       "On the Training speed page, the plain network at the deepest setting (ReLU, PyTorch's default "
       "initialization, no normalization) keeps a training loss near ln 2 ≈ 0.69 while the 4-layer "
       "one learns. Why?",
       ["Its signal vanishes: each layer shrinks it, so the output barely depends on the input.",
        "Degradation (He et al. 2016): its gradients flow well, but deeper networks fit the training "
        "data worse.",
        "It overfits: it memorizes the training points instead of learning the boundary.",
        "Each of its steps costs more, so it made fewer steps in the same time."],
       "a",
       "PyTorch's default weights are too small for ReLU, so after dozens of layers the output barely "
       "depends on the input and the loss sits at ln 2, a coin flip. "
       "Adam gives any gradient well above its ε a step of about lr, so small gradients alone do not "
       f"explain it: within the page's {SPEED_STEPS} Adam steps no update has yet made the output "
       "depend on the points. Degradation is a different finding, in plain networks with batch norm and "
       "He initialization whose signal does flow and whose deeper version still reaches a higher "
       "training loss (He et al. 2016).",
       reads_chart=True),
    _q("speed-degradation", "speed",
       "What is the degradation problem that He et al. (2016) reported?",
       ["A deeper plain network, batch norm and He init included, fit its training data worse.",
        "A deeper network reached a lower training error but a higher test error: it overfit.",
        "A deeper network's gradients vanished, because its weights started too small for its depth.",
        "A deeper network took longer per step, so it reached a worse error in the same time."],
       "a",
       "Their plain networks had batch norm and He initialization, so signals did flow, and the deeper "
       "one still fit its training data worse, which rules out overfitting. "
       "He et al. checked that the gradients had healthy norms during training; Yang et al. (2019) find "
       "batch norm's gradient growth with depth at initialization and a range that shrinks sharply "
       "after the first step, so the two agree. Residual connections removed the gap: with them the "
       "deeper network reached the lower training error, as depth promised."),
    _q("speed-residual-fix", "speed",
       "He et al. (2016) trained networks of over 100 layers, though their plain networks already "
       "trained worse than shallower ones at 34 layers on ImageNet and from 32 on CIFAR-10. What made "
       "it possible?",
       ["Residual (skip) connections.",
        "Batch normalization, which on its own keeps very deep plain networks trainable.",
        "He initialization, which keeps a ReLU network's signal from vanishing at any depth.",
        "Dropout after every layer."],
       "a",
       "Their plain networks already had batch norm and He initialization and still degraded; residual "
       "blocks, which add each block's input to its output, removed the gap. "
       "With them the signal and the gradient have a direct path through the network, and they trained "
       f"networks of {_N(152)} layers on ImageNet and over {_N(1000)} on CIFAR-10."),
    _q("speed-hardware", "speed",
       "Why do deeper models typically need GPUs or longer training times?",
       ["Every extra layer adds matrix multiplications to each forward and backward pass.",
        "A GPU lets a deep network converge in fewer steps.",
        "Backpropagation through L layers costs L² times one layer's work.",
        "Deeper networks need more training data, and loading that data is what takes the time."],
       "a",
       "Each layer adds matrix multiplications to every step, so the work per step grows with depth, "
       "and parallel hardware does each layer's multiply-adds at once. "
       "The parallelism is within each layer (batch × width); layers still run one after another, so a "
       "deep, narrow network uses a GPU poorly, and networks as small as these may gain little from "
       "one. A GPU speeds up the arithmetic but does not change how many steps a network needs, and a "
       "deeper network may need more of them."),
    _q("speed-time-to-target", "speed",
       "The Training speed page measures two things separately. What gives the time a network takes "
       "to reach a target loss?",
       ["The cost of one step times the number of steps needed; depth can raise both.",
        "The cost of one step alone: every depth needs the same number of steps.",
        "The number of steps alone: on a GPU a step costs the same at every depth.",
        "The learning rate alone: a larger one reaches any target in proportionally fewer steps."],
       "a",
       "Cost per step grows with depth because every layer adds matrix multiplications, and the number "
       "of steps depends on how hard the optimization is: the time is their product. "
       "A badly conditioned deep network may need many more steps or never reach the target, and a "
       "larger learning rate helps only until the steps become unstable. Residual connections and "
       "batch norm mostly cut the second factor, faster hardware the first."),
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
