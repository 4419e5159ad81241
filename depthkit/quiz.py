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

import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

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


BANK: tuple[Question, ...] = (
    _q("lecture-vanishing", "vanishing",
       "Which of the following correctly describes the vanishing gradient problem?",
       ["Training of the model becomes very slow.",
        "Gradients become too large, leading to very large weight updates.",
        "Little to no weight update occurs in the model.",
        "The model overfits the training data."],
       "c",
       "As the gradient is propagated back through many layers it shrinks, so the layers near "
       "the input receive tiny gradients. Their weights barely change, which is exactly what the "
       "Vanishing page's 'how much each layer learned' chart measures."),
    _q("vanishing-sigmoid-ratio", "vanishing",
       "On the Vanishing page, a 20-layer sigmoid network with PyTorch's default initialization, "
       "at initialization: how does the first layer's gradient norm compare with the last hidden "
       "layer's?",
       ["About the same (within a factor of 2).",
        "More than 100 times smaller.",
        "More than 100 times larger.",
        "Exactly zero in every layer."],
       "b",
       "Each sigmoid layer multiplies the backward signal by its derivative, at most 0.25, and by "
       "small weights, so the gradient shrinks layer after layer. Over 20 layers the first layer's "
       "gradient ends up many orders of magnitude below the last layer's.",
       reads_chart=True),
    _q("vanishing-relu-he", "vanishing",
       "Same page, same depth of 20, but ReLU activations with He initialization: the first "
       "layer's gradient norm at initialization is...",
       ["within a factor of 100 of the last hidden layer's.",
        "more than 1,000 times smaller than the last layer's.",
        "exactly zero, because ReLU units die.",
        "infinite."],
       "a",
       "ReLU passes gradients unchanged where a unit is active, and He initialization (variance "
       "2/fan_in) compensates for the half of the units that are off. The backward signal keeps "
       "its size from layer to layer, so every layer gets a usable gradient.",
       reads_chart=True),
    _q("vanishing-fixes-multi", "vanishing",
       "Which changes help the layers near the input of a deep sigmoid network learn? "
       "Tick every one that applies.",
       ["Switching to ReLU activations with He initialization.",
        "Adding batch normalization.",
        "Adding residual (skip) connections.",
        "Making the network even deeper.",
        "Adding dropout."],
       "abc",
       "ReLU with He initialization, normalization and skip connections each keep the backward "
       "signal from shrinking at every layer. More depth makes the product of small factors longer, "
       "and dropout addresses overfitting, not gradient flow."),
    _q("vanishing-sigmoid-derivative", "vanishing",
       "Why does a sigmoid activation make gradients shrink as they flow backwards?",
       ["Its derivative is at most 0.25, and near 0 when the unit saturates.",
        "Its output can be negative.",
        "It has no derivative at 0.",
        "It makes the loss non-convex."],
       "a",
       "Backpropagation multiplies by the activation's derivative at every layer, and sigmoid's "
       "is never above 0.25. Twenty such factors make the gradient at least 0.25^20, about 1e-12, "
       "times smaller, before counting saturated units."),
    _q("exploding-reference-loss", "exploding",
       "On the Exploding page's reference setting (ReLU, 20 layers, initialization gain 2, plain SGD "
       "at learning rate 0.05, no clipping), what happens to the training loss?",
       ["It falls smoothly to near zero.",
        "It stays flat at the starting value.",
        "It becomes non-finite (inf or NaN) within the first few steps.",
        "It rises slowly but stays finite for hundreds of steps."],
       "c",
       "With a gain of 2 every layer amplifies the backward signal, so the first gradient is "
       "thousands of times too large. One SGD step throws the weights so far that the next loss "
       "overflows, and the page marks the step where the run diverged.",
       reads_chart=True),
    _q("exploding-clipped-multi", "exploding",
       "Same setting, but the gradient norm is clipped at 1.0. What does the page show? "
       "Tick every statement that is true.",
       ["The clipped run's loss stays finite at every step.",
        "The clipped run ends with a lower loss than it started with.",
        "Clipping changes the initial gradient, so the first loss is different.",
        "The clipped run diverges too, just later."],
       "ab",
       "Clipping rescales the whole gradient to norm 1 whenever it is larger, keeping its direction, "
       "so each step is small enough to stay stable. The start is the same network, so the first "
       "loss is identical; what changes is the size of every update.",
       reads_chart=True),
    _q("exploding-phase-gain", "exploding",
       "On the Exploding page's phase diagram (ReLU, 30 layers, weights drawn with gain g): at "
       "g = 2, how does the backpropagated signal at the first layer compare with the last?",
       ["More than 100 times larger: the signal explodes toward the input.",
        "More than 100 times smaller: it vanishes.",
        "About equal: gain 2 is the balanced point.",
        "It is exactly zero."],
       "a",
       "A ReLU layer keeps the signal's size only at gain sqrt(2), about 1.41 (He initialization). "
       "At gain 2 each layer multiplies it by about 2/1.41, and thirty such layers make it "
       "thousands of times larger at the input.",
       reads_chart=True),
    _q("exploding-signs-multi", "exploding",
       "Which of these are signs of exploding gradients? Tick every one that applies.",
       ["The loss suddenly becomes NaN or inf.",
        "The gradient norm grows by orders of magnitude from step to step.",
        "Weight norms jump to very large values.",
        "Training accuracy rises steadily while validation accuracy falls."],
       "abc",
       "Exploding gradients make updates huge, so weights and losses blow up, often to inf or NaN. "
       "A widening gap between training and validation accuracy is overfitting, a different problem."),
    _q("exploding-clipping-what", "exploding",
       "What does gradient-norm clipping at a threshold c do?",
       ["Sets every gradient entry above c to c.",
        "When the whole gradient's norm exceeds c, scales it down to norm c, keeping its direction.",
        "Stops training when the gradient norm exceeds c.",
        "Lowers the learning rate permanently after a large gradient."],
       "b",
       "Norm clipping rescales the gradient vector as a whole, so the update still points downhill. "
       "Small gradients pass untouched; only the rare huge steps are shortened."),
    _q("overfitting-memorize", "overfitting",
       "On the Overfitting page, a 4-layer, 64-unit network trained on 60 noisy moons points: how do "
       "training and validation accuracy compare at the end?",
       ["Both are around 50%: the network learned nothing.",
        "Training accuracy is near 100% while validation accuracy is clearly lower.",
        "Validation accuracy is higher than training accuracy.",
        "Both are near 100%."],
       "b",
       "A network with thousands of weights can fit 60 points exactly, noise included, so it scores "
       "about 100% on them. New points from the same distribution do not share that noise, and "
       "validation accuracy lags well behind: the generalization gap.",
       reads_chart=True),
    _q("overfitting-remedies-multi", "overfitting",
       "Which of these usually reduce overfitting? Tick every one that applies.",
       ["Dropout.",
        "Weight decay (L2).",
        "Early stopping on the validation loss.",
        "More training data.",
        "Adding more layers.",
        "Training for many more steps."],
       "abcd",
       "Dropout, weight decay and early stopping limit how closely the network can fit the training "
       "points, and more data gives it less noise to memorize. More layers and more steps give it "
       "more room to memorize, not less."),
    _q("overfitting-early-stopping", "overfitting",
       "With early stopping and 'restore best weights', which weights does the model end with?",
       ["The weights after the very last training step.",
        "The weights from the step with the lowest validation loss.",
        "The weights from the step with the lowest training loss.",
        "The initial weights."],
       "b",
       "Early stopping watches the validation loss and stops once it has not improved for "
       "`patience` steps. Restoring the best weights rewinds to the step where validation loss "
       "was lowest, before the model started memorizing."),
    _q("speed-flops-depth", "speed",
       "On the Training speed page (width 32), going from 16 to 32 hidden layers makes the "
       "computation per training step...",
       ["about twice as large.",
        "about four times as large.",
        "about the same.",
        "about 32 times as large."],
       "a",
       "Each hidden layer adds one width x width matrix multiplication forward and two backward, "
       "so the work per step grows in proportion to depth. Doubling the depth roughly doubles "
       "the FLOPs, and the measured time per step follows."),
    _q("speed-plain-deep", "speed",
       "On the Training speed page, a plain 32-layer ReLU network (default initialization, Adam) "
       "is trained for the same number of steps as a 4-layer one. What happens to its training loss?",
       ["It ends lower than the 4-layer network's, because it has more capacity.",
        "It stays near 0.69 (chance level) while the 4-layer network's falls well below.",
        "It becomes NaN.",
        "Both end at the same loss."],
       "b",
       "Extra depth does not help if the network cannot be optimized: the deep plain network's "
       "signal fades before training gets going, the degradation He et al. (2015) reported. "
       "A deeper network is slower per step and may need far more steps, or never get there.",
       reads_chart=True),
    _q("speed-residual-fix", "speed",
       "He et al. (2015) found that a deeper plain network ended with higher training error than a "
       "shallower one. What let them train much deeper networks?",
       ["Residual (skip) connections.",
        "A larger learning rate.",
        "Removing the activation functions.",
        "Smaller training batches."],
       "a",
       "A residual block adds its input to its output, so the signal and the gradient have a "
       "direct path through the network. With it (and batch normalization) a 32-layer network "
       "on the Speed page reaches the target loss in a few dozen steps."),
    _q("speed-hardware", "speed",
       "Why do deeper models typically need GPUs or longer training times?",
       ["Every extra layer adds matrix multiplications to each forward and backward pass.",
        "Deeper models need a larger dataset file on disk.",
        "GPUs prevent vanishing gradients.",
        "Depth makes the learning rate smaller automatically."],
       "a",
       "The work per step grows with the number of layers, and hardware that does many "
       "multiply-adds in parallel shortens each step. A GPU speeds the arithmetic up but does "
       "not change how many steps a network needs."),
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
