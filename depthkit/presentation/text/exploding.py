"""Every sentence of the Exploding gradients page, as pure functions of an exploding.Result.

The headline, the divergence warnings and notes, and the "What you are
seeing" summary; each number comes from the Result, written with depthkit.core.fmt.
Sentences that state a direction or a size are computed from the run, and the
claim tests (tests/test_exploding_claims.py) check them over seeds.
"""

from __future__ import annotations

import math

import numpy as np

from depthkit.core import fmt
from depthkit.engine.models import LEAKY_SLOPE
from depthkit.experiments import exploding as exp
from depthkit.experiments.exploding import COIN_FLIP_LOSS, ExplodingSettings, Result
from depthkit.experiments.record import Network
from depthkit.presentation.probed import at_init
from depthkit.presentation.text import plain

FLOAT32_MAX = float(np.finfo(np.float32).max)


def divergence_cause(net: Network) -> str:
    """The recorded cause in words: "loss became infinite", "gradient norm became not a number"."""
    what, kind = exp.divergence_parts(net.divergence)
    return f"{what} became {'infinite' if kind == 'inf' else 'not a number (NaN)'}"


def divergence_note(net: Network, role: str) -> str:
    """"problem diverged at step 2: loss became infinite", from the cause the run recorded."""
    return f"{role} diverged at step {net.diverged_step}: {divergence_cause(net)}"


def divergence_story(net: Network) -> str:
    """What the recorded cause means, in a clause; it follows the cause, never a fixed guess."""
    what, kind = exp.divergence_parts(net.divergence)
    limit = fmt.num(FLOAT32_MAX)
    if what == "loss" and kind == "inf":
        return (f"its loss became infinite: the network's outputs had grown past float32's largest "
                f"number (about {limit})")
    if what == "loss":
        return ("its loss became not a number (NaN): values inside the network had overflowed to "
                "infinity and met arithmetic such as ∞ − ∞, which has no value")
    if kind == "inf":
        return (f"its gradient became infinite while the loss was still finite: on the way back "
                f"the signal had been multiplied past float32's largest number (about {limit})")
    return ("its gradient became not a number (NaN) while the loss was still finite: the backward "
            "pass met arithmetic such as ∞ − ∞ or 0 × ∞")


def warnings(r: Result) -> list[str]:
    """One warning per run that diverged, shown above the charts."""
    return [f"The {divergence_note(net, role + ' run')}. The charts stop there and mark the step."
            for net, role in ((r.problem, "problem"), (r.fix, "compared")) if net.diverged]


def tanh_map_note(r: Result) -> str:
    """The gain × depth map's note for tanh, from the crossings it shows."""
    deep, c_deep = exp.deepest_crossing(r)
    where = f"tanh: ratio 1 at g ≈ {fmt.num(r.crossing_gain)} at depth {r.settings.depth}"
    if r.settings.depth < deep:
        where += f", {fmt.num(c_deep)} at depth {deep}"
    edge = "the edge of chaos with zero biases (Poole et al. 2016, Schoenholz et al. 2017)"
    if exp.crossing_moves_toward_1(r):
        return f"{where}: deeper, toward g = 1, {edge}"
    return f"{where}; g = 1 is {edge}"


def _fix_phrase(s: ExplodingSettings) -> str:
    """The compared change inside a sentence: "clipping at 1", "He initialization"."""
    return {"clipping": f"clipping at {fmt.num(s.clip_norm)}",
            "smaller lr": (f"a learning rate {fmt.num(exp.LR_FACTOR)} times smaller "
                           f"({fmt.num(s.lr / exp.LR_FACTOR)})"),
            "He init": "He initialization", "Xavier init": "Xavier initialization",
            "batch norm": "batch norm"}[s.fix]


def same_start(s: ExplodingSettings) -> str:
    """Why a per-layer chart at step 0 draws one line when the fix changes only training."""
    change, net = {"clipping": ("clipping", "the clipped network"),
                   "smaller lr": ("a smaller learning rate",
                                  f"the network with lr {fmt.num(s.lr / exp.LR_FACTOR)}")}[s.fix]
    return f"{change} changes only training: at step 0 {net} is this same network, so one line is drawn"


def where(loss: float) -> str:
    """A final loss against a coin flip's (within 0.01 of ln 2 is "at" it: nothing learned)."""
    if np.isfinite(loss) and abs(loss - COIN_FLIP_LOSS) <= exp.COIN_FLIP_MARGIN:
        return f"at a coin flip's {fmt.num(COIN_FLIP_LOSS)}: it learned nothing"
    if not np.isfinite(loss) or loss >= COIN_FLIP_LOSS:
        return f"above a coin flip's {fmt.num(COIN_FLIP_LOSS)}"
    return f"not far below a coin flip's {fmt.num(COIN_FLIP_LOSS)}"


def headline(r: Result) -> str:
    """One sentence above the charts: what happened to each network, from the result."""
    p, f = r.problem, r.fix
    phrase = _fix_phrase(r.settings)
    subject = phrase[0].upper() + phrase[1:]
    if p.diverged:
        first = f"The problem network diverged at step {p.diverged_step}: {divergence_cause(p)}."
    else:
        first = (f"The problem network stayed finite for all {exp.steps(p)} steps and ended at a loss "
                 f"of {fmt.num(p.training.final_train_loss)}.")
    if f.diverged:
        return (f"{first} {subject} did not rescue it: the compared network diverged too, at step "
                f"{f.diverged_step} ({divergence_cause(f)}).")
    if not exp.learned(f):
        return f"{first} {_not_rescued(r, subject, phrase)}"
    return (f"{first} With {phrase} the network stayed finite and learned: a loss of "
            f"{fmt.num(f.training.final_train_loss)}, well below a coin flip's {fmt.num(COIN_FLIP_LOSS)}, "
            f"and validation accuracy {fmt.percent(f.training.final_val_acc)}.")


def _not_rescued(r: Result, subject: str, phrase: str) -> str:
    """The compared network stayed finite but did not learn: what was measured, nothing more."""
    s, f = r.settings, r.fix
    loss, n = f.training.loss, exp.steps(f)
    end = f.training.final_train_loss
    steps = f"{n} steps"
    if s.fix == "clipping" and f.training.clipped.astype(bool).all():
        steps += (f" of length {fmt.num(s.lr * s.clip_norm)} (lr × {fmt.num(s.clip_norm)}: clipping "
                  "acted on every one)")
    text = (f"{subject} kept the compared network finite, and its loss {'fell' if end < loss[0] else 'rose'} "
            f"from {fmt.num(loss[0])} to {fmt.num(end)} in {steps}; that is {where(end)}: {phrase} "
            f"alone did not rescue it in {n} steps.")
    acc = fmt.percent(f.training.final_val_acc)
    wrong = exp.wrong_point_loss(f)
    if wrong > exp.CONFIDENT_LOSS:
        return (f"{text} {acc} of validation points are on the right side, but the wrong ones are "
                f"predicted with enormous confidence: a misclassified training point costs on average "
                f"at least {fmt.num(wrong)} (a coin flip's guess costs {fmt.num(COIN_FLIP_LOSS)}).")
    return f"{text} Validation accuracy {acc}."


def _story(net: Network, role: str, s: ExplodingSettings) -> str:
    """What happened to one run, in a sentence or two."""
    t = net.training
    start = f"starts at a loss of {fmt.num(t.loss[0])} with a gradient norm of {fmt.num(t.grad_norm[0])}"
    if net.diverged:
        step = net.diverged_step
        assert step is not None  # net.diverged
        top = float(np.nanmax(t.grad_norm[:step])) if step else float("nan")
        grew = (f" (its gradient norm had reached {fmt.num(top)})"
                if step > 1 and top > 1.05 * t.grad_norm[0] else "")
        return f"The {role} {start}; at step {step} {divergence_story(net)}{grew}. Training stopped there."
    top = float(np.nanmax(t.grad_norm))
    growth = top / t.grad_norm[0] if t.grad_norm[0] > 0 else float("nan")
    n = exp.steps(net)
    text = (f"The {role} {start}, stays finite for all {n} steps and ends at a loss of "
            f"{fmt.num(t.final_train_loss)} with validation accuracy {fmt.percent(t.final_val_acc)}")
    if growth > 1.05:
        text += f" (largest gradient norm {fmt.num(top)}, {fmt.times(growth)} than at step 0)"
    clipped = int(t.clipped.astype(bool).sum())
    if clipped:
        text += (f"; clipping rescaled the gradient on {clipped} of {n} steps, so each of those steps "
                 f"moved the weights by exactly lr × {fmt.num(s.clip_norm)} = {fmt.num(s.lr * s.clip_norm)}")
        if not exp.learned(net):
            text += f". Its loss is {where(t.final_train_loss)}"
    return text + "."


def _signal_line(r: Result) -> str:
    signal = at_init(r.problem).signal_grad_norms
    ratio = exp.signal_ratio(r)
    if ratio > 10:
        verdict = "it grew on its way back to the input (exploding)"
    elif ratio < 0.1:
        verdict = "it shrank on its way back to the input (vanishing)"
    else:
        verdict = "within 10× of 1, so the layers neither amplify nor shrink it much"
    return (f"At initialization the backward signal ||dL/dh|| of the problem network is "
            f"{fmt.num(signal[-1])} at the last hidden layer and {fmt.num(signal[0])} at the first: "
            f"a ratio of {fmt.num(ratio)}: {verdict}.")


def _vanishing_line(r: Result) -> str:
    return (f"Here the layers shrink the backward signal (ratio {fmt.num(exp.signal_ratio(r))}): this "
            "network is vanishing, not exploding — see the Vanishing gradients page.")


def _step_size_line(r: Result) -> str:
    """For a problem network whose layers neither amplify nor shrink the signal: the other mechanism."""
    s, t = r.settings, r.problem.training
    top = float(np.nanmax(t.grad_norm[:exp.last_finite_step(r.problem) + 1]))
    what = (f"diverged at step {r.problem.diverged_step}" if r.problem.diverged
            else f"ended at a loss of {fmt.num(t.final_train_loss)}")
    growth = top / t.grad_norm[0]
    grew = (f"its gradient norm grew {fmt.times(growth)} (from {fmt.num(t.grad_norm[0])} to "
            f"{fmt.num(top)}) before it {what}" if growth > 1.05 else
            f"its gradient norm never rose above its start of {fmt.num(t.grad_norm[0])}, and it {what}")
    ratio = exp.signal_ratio(r)
    layers = ("neither amplify nor shrink the backward signal much" if ratio >= 0.1 else
              "do not amplify the backward signal (they shrink it)")
    return (f"**Another source of the same blow-up: the step is too large.** These layers {layers} (its "
            f"first/last ratio above is {fmt.num(ratio)}), yet with lr {fmt.num(s.lr)} {grew}. This is "
            "step-size instability, consistent with a step too large for the curvature of the loss (the "
            "curvature is not measured here): on a quadratic, a learning rate beyond 2 / curvature makes "
            "every step overshoot the minimum and land higher, so the loss and the gradient feed each "
            "other. A network's curvature changes as it trains, and full-batch gradient descent often "
            "keeps training, its loss falling unevenly, with the curvature hovering near 2 / lr (the "
            "\"edge of stability\", Cohen et al. 2021), so 2 / curvature is not a sharp line for a network. "
            "Here the layers do not "
            "amplify the signal: the learning rate alone makes each step too long. The fix is a smaller "
            "learning rate, or a warm-up that starts it small and raises it over the first steps, standard "
            "practice for this instability (Goyal et al. 2017), not another weight scale.")


# the activation's slope at 0 where it is not 1: Xavier's scale, derived for slope 1 (tanh), leaves
# these networks' signal shrinking by about that slope per layer
_SLOPE_AT_0 = {"sigmoid": "the sigmoid's slope there is only 1/4", "gelu": "GELU's slope there is only 1/2"}


def _xavier_line(r: Result) -> str:
    s = r.settings
    ratio = at_init(r.fix).signal_ratio
    if s.activation not in ("relu", "leaky_relu"):
        # Glorot & Bengio derive the scale for an activation with slope 1 at 0 (tanh); the
        # sigmoid's slope there is 1/4 and GELU's 1/2, so with Xavier weights their signal still shrinks
        smaller = s.activation in _SLOPE_AT_0
        slope = f"; {_SLOPE_AT_0[s.activation]}" if smaller else ""
        still = ", so its signal still shrinks" if smaller and ratio < 1 else ""
        return (f"Xavier initialization is the scale Glorot & Bengio (2010) derived for activations with "
                f"slope 1 at 0, such as tanh{slope}. With it this {s.activation} network's backward-signal "
                f"ratio at initialization is {fmt.num(ratio)}{still}.")
    # a leaky ReLU with negative slope a keeps (1 + a²)/2 of the mean square: with a = 0.01, ReLU's 1/2
    name = ("ReLU" if s.activation == "relu" else
            f"leaky ReLU (negative slope {fmt.num(LEAKY_SLOPE)}, so nearly a ReLU)")
    unit = "ReLU" if s.activation == "relu" else "leaky ReLU"
    predicted = (1 / math.sqrt(2)) ** (s.depth - 1)
    direction = ("so it swaps explosion for vanishing" if ratio < 0.1 else
                 "and here the ratio stays within 10× of 1")
    return (f"Xavier initialization on this {name} network: its variance 2/(fan_in + fan_out) is half of "
            f"He's 2/fan_in (fan-in equals fan-out here), so each {unit} layer scales the backward signal "
            f"by about 1/√2: {s.depth - 1} layers, {s.depth - 1} factors of 1/√2, give {fmt.num(predicted)}, "
            f"and the measured ratio at initialization is {fmt.num(ratio)}, {direction}. He et al. (2015) "
            "report a 30-layer ReLU network with Xavier init that fails to converge.")


def _relu_crossing(r: Result) -> str:
    """Where the ReLU crossing sits against √2, and how the gain rescales the ratio."""
    s, c = r.settings, r.crossing_gain
    side = ("a little above" if 1.43 < c <= 1.8 else "at" if 1.39 <= c <= 1.43 else
            "a little below" if 1.25 <= c < 1.39 else "far from")
    gains = list(np.round(r.phase_gains, 2))
    row = r.phase_log_ratio[list(r.phase_depths).index(s.depth)]
    change = 10 ** (row[gains.index(2.0)] - row[gains.index(1.0)])
    return (f", {side} √2 ≈ 1.41 (He initialization). He init balances the signal on average; "
            "at finite width one network's crossing scatters around √2, typically a little above it "
            "(the fluctuation grows with depth over width: Hanin 2018). "
            "A ReLU network has "
            "no chaotic phase: with zero biases the gain only rescales the backward signal, by "
            "about (g/√2)^(L−1) against He init. Here doubling g from 1 to 2 multiplied the "
            f"ratio by {fmt.num(change)}; the rule predicts {s.depth - 1} factors of 2: "
            f"{fmt.num(2.0 ** (s.depth - 1))}.")


def _tanh_trend(r: Result) -> str:
    """The tanh crossing against depth, then the edge of chaos it moves toward (or not)."""
    deep, c_deep = exp.deepest_crossing(r)
    edge = ("the edge of chaos of tanh with zero biases (Poole et al. 2016, Schoenholz et al. 2017), "
            "between the ordered phase (smaller g: signals converge and gradients vanish) and the "
            "chaotic phase (larger g: nearby inputs pull apart and gradients explode)")
    if exp.crossing_moves_toward_1(r):
        return (f"; deeper, the crossing moves toward g = 1 ({fmt.num(c_deep)} at depth {deep}), "
                f"{edge}.")
    if r.settings.depth < deep and np.isfinite(c_deep):
        return f"; at depth {deep} it is {fmt.num(c_deep)}. With zero biases g = 1 is {edge}."
    return f". With zero biases g = 1 is {edge}."


def band_line(r: Result) -> str:
    """How wide the band of balanced gains is at the shallowest and the deepest depth."""
    first, last = r.phase_depths[0], r.phase_depths[-1]
    wide, narrow = exp.band_width(r.phase_log_ratio[0]), exp.band_width(r.phase_log_ratio[-1])
    trend = "narrows" if narrow < wide else "does not narrow"
    whole = bool(np.all(np.abs(r.phase_log_ratio[0]) < 1))
    at_first = (f"the whole grid (g from {fmt.num(r.phase_gains[0])} to {fmt.num(r.phase_gains[-1])}) "
                f"at depth {first}" if whole else f"{fmt.num(wide)} wide at depth {first}")
    return (f"The band of gains where the ratio stays within 10× of 1 {trend} with depth: "
            f"{at_first}, {fmt.num(narrow)} wide at depth {last}.")


def map_line(r: Result) -> str:
    """The gain × depth map in words: where the ratio crosses 1, and the balanced band."""
    s = r.settings
    name = "Gain × depth map of the backward-signal ratio"
    if not np.isfinite(r.crossing_gain):
        return (f"{name}: for {s.activation} at depth {s.depth} the ratio does not cross 1 for any gain "
                f"from {fmt.num(r.phase_gains[0])} to {fmt.num(r.phase_gains[-1])}.")
    cross = fmt.num(r.crossing_gain)
    text = f"{name}: for {s.activation} at depth {s.depth} the ratio crosses 1 at g ≈ {cross}"
    if s.activation == "relu":
        text += _relu_crossing(r)
    elif s.activation == "tanh":
        text += f" at this depth{_tanh_trend(r)}"
    else:
        text += "."
    return f"{text} {band_line(r)}"


def _batch_norm_line(r: Result) -> str:
    med = exp.bn_medians(r)
    depths = list(r.bn_depths)
    picks = [d for d in (depths[0], 10, 30, depths[-1]) if d in depths]

    def at(row: np.ndarray) -> str:
        return ", ".join(f"{fmt.num(row[depths.index(d)])} at depth {d}" for d in picks)
    plain, res = med
    grows = plain[-1] > 10 * plain[0] and plain[-1] > 10
    verdict = ("the weight gradients grow toward the input, faster the deeper the network "
               "(Yang et al. 2019)" if grows else "no steady growth with depth here")
    within = bool(np.all((res > 0.1) & (res < 10)))
    res_verdict = ("stays within 10× of 1 at every depth" if within
                   else f"stays between {fmt.num(res.min())} and {fmt.num(res.max())}")
    return (f"Batch norm removes the gain's scale (at initialization a batch-norm layer's output does "
            f"not depend on g), but not depth's effect. Without skip connections the first/last "
            f"weight-gradient ratio at initialization is {at(plain)} (median of {r.bn_ratio.shape[1]} "
            f"initializations): {verdict}.{_after_first_step(grows)} With residual connections it "
            f"{res_verdict} ({at(res)}).")


def _after_first_step(grows: bool) -> str:
    """Yang et al.'s growth is an initialization fact; He et al. looked during training: both hold."""
    if not grows:
        return ""
    return (" That is at initialization: Yang et al. find the range shrinks sharply after the first step "
            "of training, which is consistent with He et al. (2016) seeing healthy gradient norms in "
            "such networks during training.")


def _contrast_line(r: Result) -> str:
    lo, hi = float(np.nanmin(r.relu_weight_ratio)), float(np.nanmax(r.relu_weight_ratio))
    g0, g1 = fmt.num(r.contrast_gains[0]), fmt.num(r.contrast_gains[-1])
    sig = r.sigmoid_weight_ratio[list(r.contrast_gains).index(1.0)]
    return (f"What explodes in ReLU is the backward signal and the overall gradient scale, not the ratio "
            f"between layers: in a ReLU network of this shape, from g = {g0} to {g1} the signal ratio goes "
            f"from {fmt.num(r.relu_signal_ratio[0])} to {fmt.num(r.relu_signal_ratio[-1])}, yet the "
            f"first/last *weight*-gradient ratio stays between {fmt.num(lo)} and {fmt.num(hi)} (every "
            f"layer's gradient is scaled by about the same factor). In a sigmoid network of the same shape "
            f"that ratio itself collapses: {fmt.num(sig)} at g = 1.")


def _product_line(r: Result) -> str:
    k = r.product_norms.shape[1] - 1
    ends = ", ".join(f"g = {fmt.num(g)}: {fmt.num(r.product_norms[i, -1])}"
                     for i, g in enumerate(r.product_gains))
    return (f"Repeated multiplication: a vector of norm 1 after {k} random matrices has norm {ends}. "
            "Only g ≈ 1 keeps it in range. A ReLU zeroes about half the units, halving the signal's mean "
            "square, so the gain that keeps its size is √2 (variance 2/fan_in).")


def summary(r: Result) -> str:
    """The "What you are seeing" text; every number comes from `r`."""
    s = r.settings
    # every run is full batch: deterministic gradient descent, no gradient noise (said once a page)
    shape = (f"{s.activation}, {s.depth} layers, gain {fmt.num(s.init_gain)}, full-batch gradient descent "
             f"(plain SGD on the whole training set), lr {fmt.num(s.lr)}")
    lines = [_story(r.problem, f"problem network ({shape})", s),
             _story(r.fix, f"same network {s.label('fix')}", s), _signal_line(r)]
    if exp.signal_ratio(r) < 0.1:
        lines.append(_vanishing_line(r))
    if exp.step_size_unstable(r):
        lines.append(_step_size_line(r))
    if s.fix == "Xavier init":
        lines.append(_xavier_line(r))
    lines += [map_line(r), _batch_norm_line(r), _contrast_line(r), _product_line(r)]
    return "\n".join(["**What you are seeing**", ""] + [f"- {line}" for line in lines])


# --- the plain layer: what a beginner reads before opening "The numbers behind it" ----------------
# Each sentence below is a function of the run and picks its words from the numbers; the claim tests
# (tests/test_exploding_claims.py) check what the words say over seeds.

# the page's claim as it stood before the plain layer; now the first part of the expert layer
CLAIM = ("When each layer amplifies the backward signal, the gradient of a deep network grows so large "
         "that a few updates can throw the weights to huge values, often until the loss is infinite or "
         "not a number.")
POINT = ("When every layer makes the backward signal bigger, a deep network's gradient becomes huge. "
         "A few giant steps can then throw the weights so far that training breaks down.")

RELU_LIKE = ("relu", "leaky_relu")

def amount(x: float) -> str:
    """A size in everyday words: "4,107", "850 thousand", "2.4 million", "26 trillion" (two figures
    from 100 thousand up; fmt.num below that and beyond a quintillion's thousandfold)."""
    x = float(x)
    if not math.isfinite(x) or abs(x) < 1e5 or abs(x) >= 1e21:
        return fmt.num(x)
    lead, name = plain.named(x, figures=2)
    return f"{fmt.num(lead)} {name}"


def _length(ratio: float) -> str:
    """A vector's length after the product against its start: "about 850 thousand times longer"."""
    said = plain.times(ratio, "longer", "shorter")
    return "about the same length" if said == "about the same" else said


def _against(ratio: float, other: str) -> str:
    """A ratio against `other`: "about 9 thousand times larger than the last's", "about the same as …"."""
    said = plain.times(ratio)
    return f"about the same as {other}" if said == "about the same" else f"{said} than {other}"


def _step_size(ratio: float) -> str:
    """How far one step moves a layer's weights against their size: "about 7.2 times their own size"."""
    if not math.isfinite(ratio):
        return "an amount too large to store"
    if ratio >= 1:
        return f"about {amount(float(f'{ratio:.2g}'))} times their own size"
    return f"{fmt.percent(ratio)} of their size"


def _plain_fix(s: ExplodingSettings) -> str:
    """The compared change for a beginner: "clipping at 3", "a learning rate 20 times smaller"."""
    return (f"a learning rate {fmt.num(exp.LR_FACTOR)} times smaller" if s.fix == "smaller lr"
            else _fix_phrase(s))


def _plain_where(loss: float) -> str:
    """A final loss against a coin flip's, in plain words (the expert `where`'s thresholds)."""
    coin = fmt.num(COIN_FLIP_LOSS)
    if np.isfinite(loss) and abs(loss - COIN_FLIP_LOSS) <= exp.COIN_FLIP_MARGIN:
        return f"at a coin flip's {coin}: it learned nothing"
    if not np.isfinite(loss) or loss >= 10 * COIN_FLIP_LOSS:
        return f"far above a coin flip's {coin}"
    if loss >= COIN_FLIP_LOSS:
        return f"above a coin flip's {coin}"
    return f"only a little below a coin flip's {coin}"


def plain_headline(r: Result) -> str:
    """The alert above the charts: what became of each network, in two short sentences."""
    p, f = r.problem, r.fix
    phrase = _plain_fix(r.settings)
    acc = f"{fmt.percent(f.training.final_val_acc)} of validation points right, where a coin flip gets 50%"
    if p.diverged:
        first = f"Left alone, this network broke down at step {p.diverged_step}."
    elif exp.learned(p):
        first = (f"Left alone, this network stayed finite and learned anyway: "
                 f"{fmt.percent(p.training.final_val_acc)} of validation points right.")
    else:
        first = ("Left alone, this network stayed finite but its loss ended "
                 f"{_plain_where(p.training.final_train_loss)}.")
    if f.diverged:
        return f"{first} With {phrase} it broke down too, at step {f.diverged_step}."
    if exp.learned(f):
        return f"{first} With {phrase} the same network trained: {acc}."
    return (f"{first} With {phrase} it stayed finite, but after {exp.steps(f)} steps its loss is still "
            f"{_plain_where(f.training.final_train_loss)}.")


def plain_training(r: Result) -> str:
    """Under the gradient-norm and loss charts: how big the gradient was, and where each loss went."""
    p, f, s = r.problem.training, r.fix.training, r.settings
    text = f"The problem network's gradient starts at {amount(p.grad_norm[0])}"
    before = p.grad_norm[:r.problem.diverged_step] if r.problem.diverged else p.grad_norm
    finite = before[np.isfinite(before)]
    growth = float(finite.max() / p.grad_norm[0]) if finite.size and p.grad_norm[0] > 0 else float("nan")
    if growth >= 1.5:
        text += f" and grows {plain.times(growth)}"
    if r.problem.diverged:
        text += f"; at step {r.problem.diverged_step} training breaks down."
    else:
        text += f"; its loss ends at {amount(p.final_train_loss)}."
    phrase = _plain_fix(s)
    if s.fix == "clipping":
        clipped, n = int(f.clipped.astype(bool).sum()), exp.steps(r.fix)
        phrase += f" (it acted on {'every one of the' if clipped == n else f'{clipped} of'} {n} steps)"
    if r.fix.diverged:
        return f"{text} With {phrase} training breaks down too, at step {r.fix.diverged_step}."
    start, end = f.loss[0], f.final_train_loss
    text += (f" With {phrase} the loss {'falls' if end < start else 'rises'} from {amount(start)} "
             f"to {amount(end)}")
    return f"{text}." if exp.learned(r.fix) else f"{text}, still {_plain_where(end)}."


def plain_layers(r: Result) -> str:
    """Under the per-layer charts: which way the backward signal goes, and how far one step moves."""
    s, ratio = r.settings, exp.signal_ratio(r)
    said = f"At the start, the backward signal is {plain.times(ratio)} at the first layer than at the last"
    if ratio > 10:
        text = f"{said}: the layers make it bigger on its way back."
    elif ratio < 0.1:
        text = f"{said}: these layers shrink it, so this network's gradients vanish instead."
    else:
        text = ("At the start, the backward signal changes less than 10 times between the last layer and "
                "the first: these layers do not blow it up.")
        if exp.step_size_unstable(r):
            text += (" Yet the run broke down or its loss rose: here the steps themselves are too large "
                     "for this network, a learning rate problem.")
    phrase = _plain_fix(s)
    if s.changes_init:
        fixed = plain.times(at_init(r.fix).signal_ratio)
        text += (f" With {phrase} it is about the same size at both ends." if fixed == "about the same"
                 else f" With {phrase} it is {fixed} at the first layer.")
    step = [float(net.training.update_ratio[0, -1]) for net in (r.problem, r.fix)]
    return (f"{text} The first training step moves layer {s.depth}'s weights by {_step_size(step[0])}; "
            f"with {phrase}, by {_step_size(step[1])}.")


def plain_weights(r: Result) -> str:
    """Under the weight-norm and repeated-product charts: how far the weights went, and why."""
    s = r.settings
    sizes = exp.total_weight_norm(r.problem)
    finite = np.flatnonzero(np.isfinite(sizes))
    top = int(finite[np.argmax(sizes[finite])])
    if sizes[top] >= 1.5 * sizes[0]:
        text = (f"The problem network's weights, all layers together, grow from {amount(sizes[0])} to "
                f"{amount(sizes[top])} in {top} step{'s' if top > 1 else ''}.")
    else:
        text = f"The problem network's weights stay near their starting size of {amount(sizes[0])}."
    fixed = exp.total_weight_norm(r.fix)
    start, end = fixed[0], fixed[exp.last_finite_step(r.fix)]
    verb = ("barely change" if abs(end / start - 1) < 0.05 else "grow" if end > start else "shrink")
    text += f" With {_plain_fix(s)} they {verb}: {amount(start)} to {amount(end)}."
    gains = list(r.product_gains)
    mine = r.product_norms[int(np.argmin(np.abs(np.array(gains) - s.init_gain))), s.depth]
    text += (f" A vector multiplied by {s.depth} random matrices of gain {fmt.num(s.init_gain)}, one per "
             f"layer, ends {_length(mine)}")
    if not np.isclose(s.init_gain, 1.0):
        text += f"; with gain 1, {_length(r.product_norms[gains.index(1.0), s.depth])}"
    text += "."
    if s.activation in RELU_LIKE:
        # a bare product balances at gain 1; a ReLU layer switches about half its units off
        text += (" In a ReLU network about half the units are off, so there the gain that keeps the size "
                 "is about 1.4 (He initialization), not 1.")
    return text


def plain_depth(r: Result) -> str:
    """Under the gain × depth map and the batch-norm chart: the safe gains, and depth's own effect."""
    s = r.settings
    if np.isfinite(r.crossing_gain):
        text = (f"At {s.depth} layers the backward signal keeps its size only near a gain of "
                f"{fmt.num(r.crossing_gain)}.")
    else:
        text = f"At {s.depth} layers no gain on the map keeps the backward signal's size."
    wide, narrow = exp.band_width(r.phase_log_ratio[0]), exp.band_width(r.phase_log_ratio[-1])
    text += (" The deeper the network, the narrower this safe range of gains." if narrow < wide
             else " Here the safe range of gains does not narrow with depth.")
    plain_bn, res = exp.bn_medians(r)
    deep = int(r.bn_depths[-1])
    grows = plain_bn[-1] > 10 * plain_bn[0] and plain_bn[-1] > 10
    last = "the last's"
    said = f"at the start, at {deep} layers, the first layer's gradient is {_against(plain_bn[-1], last)}"
    if grows:
        text += f" Batch norm alone does not fix depth: {said}."
    elif 0.1 < plain_bn[-1] < 10:
        text += f" Batch norm keeps the layers' gradients in balance here: {said}."
    else:
        text += f" With batch norm alone, {said}."
    only = "only " if res[-1] < plain_bn[-1] / 10 else ""
    return f"{text} With residual connections it is {only}{_against(res[-1], last)}."


# the plain line under each row of two charts (charts.CHARTS, two to a row)
PLAIN_ROWS = (plain_training, plain_layers, plain_weights, plain_depth)
