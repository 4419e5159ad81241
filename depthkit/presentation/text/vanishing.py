"""The words of the vanishing-gradients page: pure functions of a vanishing.Result.

Every number through depthkit.core.fmt; every sentence that depends on the run is
computed from it (which network did better, whether a step rounded away,
whether Adam moved the first layer, whether a network diverged).
"""

from __future__ import annotations

import numpy as np

from depthkit.core import fmt
from depthkit.engine.models import BN_MOMENTUM
from depthkit.engine.optim import ADAM_EPS
from depthkit.engine.probes import SATURATED_SLOPE, SIGMOID_BAND, TANH_BAND
from depthkit.experiments import vanishing as exp
from depthkit.experiments.record import Network
from depthkit.presentation.probed import at_end, at_init
from depthkit.presentation.text import plain

TITLE = "Vanishing gradients"
INTRO = ("In a deep network the gradient can shrink as it is propagated back, so the layers "
         "near the input get little to no weight update.")
SWEEP_HEADING = "Depth sweep at initialization"
# the legend name of the bound's line on the signal-ratio chart
# (depthkit.presentation.charts.vanishing.depth_sweep)
BOUND_NAME = f"{exp.SWEEP[0][2]}: upper bound ∏ 0.25·‖W_l‖₂ of its weights"
SWEEP_NOTE = ("Each point is a freshly initialized network (no training), probed on this page's data "
              "in float64 so that ratios below float32's range still show. Below the grey line at 1 "
              "the first layer gets the smaller gradient. On the signal-ratio chart, the line labelled "
              f"'{BOUND_NAME}' is a true upper bound for the sigmoid's signal ratio: each of the L − 1 "
              "layers between layer 1 and layer L multiplies the backward signal by Wᵀ·diag(σ′), at most "
              "0.25·‖W_l‖₂, computed here from the swept networks' own weights. It is not 0.25 per layer, "
              "and it is no bound on the weight-gradient ratio (the other chart), which also carries "
              "each layer's input. Where every ‖W_l‖₂ is under 4 the signal must shrink at every layer: "
              "Pascanu et al.'s (2013) sufficient condition for vanishing gradients in recurrent "
              "networks, λ₁ < 1/γ (λ₁ the largest singular value, γ = 1/4 the sigmoid's largest slope).")


def ratio_words(r: float) -> str:
    """A first/last ratio as words: '6.1 × 10¹⁵ times smaller', 'about the same'."""
    if np.isnan(r):
        return "not measurable (both gradients are 0)"
    if r == 0:
        return "infinitely smaller: it underflowed to exactly 0 in float32"
    return fmt.times(r)


def share(values: np.ndarray) -> str:
    """Mean share over layers, as a percentage ('under 1%' for small non-zero shares)."""
    v = float(np.mean(values))
    return "under 1%" if 0 < v < 0.005 else fmt.percent(v)


def moved(change: float) -> str:
    """A relative weight change, saying so when it is exactly 0."""
    return "exactly 0 (not one weight changed)" if change == 0 else fmt.percent(change)


def divergence_words(recorded: str) -> str:
    """The trainer's record ('gradient norm became inf') with the value in words."""
    what, sep, value = recorded.rpartition(" became ")
    try:
        return f"{what} became {fmt.num(float(value))}" if sep else recorded
    except ValueError:
        return recorded


def _slope_text(net: Network, depth: int) -> str:
    """The sigmoid's per-layer factor: bounded by 0.25 ||W_l||_2, typically well under it."""
    if net.model.activation != "sigmoid" or depth < 2:
        return ""
    lo, hi = exp.SIGMOID_SLOPE * net.scores["spectral_min"], exp.SIGMOID_SLOPE * net.scores["spectral_max"]
    typical = exp.per_layer(exp.signal_ratio(net), depth)
    spread = f"between {fmt.num(lo)} and {fmt.num(hi)}" if fmt.num(lo) != fmt.num(hi) else fmt.num(lo)
    text = (f" Each layer passes the backward signal through Wᵀ·diag(σ′) with σ′ ≤ 0.25, so it scales "
            f"the signal by at most 0.25·‖W_l‖₂ (spectral norm), here {spread} per layer")
    if hi < 1:
        text += (f": the signal must shrink at every one of the {depth - 1} layers between layer 1 "
                 f"and layer {depth}")
    else:
        text += ": where that exceeds 1 a layer may pass back more than it receives"
    if np.isfinite(typical):
        text += (f". Measured, it was multiplied by about {fmt.num(typical)} per layer on average "
                 f"({fmt.times(typical)}; typical, not a bound)")
    if float(np.mean(at_init(net).saturated)) < exp.FEW_SATURATED:
        text += "; almost no unit is saturated, so saturation is not the cause here"
    return text + "."


def _rounding_text(net: Network) -> str:
    """Why the first layer did (not) move: its step against half a float32 step at its typical |w|."""
    step, half = float(exp.update_max(net)[0]), float(exp.half_spacing(net)[0])
    if not np.isfinite(step):
        return ""
    change = float(net.training.weight_change[0])
    head = (f"- **The first layer's step against float32's:** its gradient is not zero "
            f"({fmt.num(at_init(net).weight_grad_norms[0])} at initialization), and the largest update it "
            f"got in any one step was at most {fmt.num(step)} (‖ΔW_1‖, which bounds every single weight's "
            f"step). Float32 numbers near its typical weight |w| ≈ {fmt.num(exp.weight_typical(net)[0])} "
            f"are {fmt.num(2 * half)} apart; ")
    if step < half:
        tail = (f"an update under half that step ({fmt.num(half)}, here {fmt.times(step / half)}) rounds "
                "away: w + Δw gives back w.")
        if change == 0:
            tail += " Indeed not one first-layer weight changed." + _precision_text(net, step)
        return head + tail
    return head + (f"its steps were {fmt.times(step / half)} than half that spacing, so they did register "
                   f"(the layer moved {moved(change)}).")


def _precision_text(net: Network, step: float) -> str:
    """Why more precision would not rescue the layer: float64's spacing, and the steps 1% would take."""
    w = float(exp.weight_typical(net)[0])
    spacing64 = float(np.spacing(np.float64(w)))
    # every weight's step is at most ‖ΔW_1‖, so 1% of a typical |w| takes at least this many steps
    steps = 0.01 * w / step if step > 0 else float("inf")
    if not np.isfinite(steps):
        return ""
    if step < spacing64 / 2:
        first = (f" Float64 would round it away too (its numbers near {fmt.num(w)} are "
                 f"{fmt.num(spacing64)} apart), and even exact arithmetic")
    else:
        first = f" Float64 (numbers {fmt.num(spacing64)} apart there) would register it, but"
    return (f"{first} would need at least {fmt.num(steps)} steps this size to move a typical weight by 1%: "
            "rounding explains why the change is exactly 0; the tiny gradient is why the layer cannot "
            "learn.")


def _adam_text(net: Network, lr: float) -> str:
    """When Adam hides a vanishing gradient and when it cannot, with this run's numbers."""
    g, step = exp.first_grad_max(net), float(exp.update_max(net)[0])
    text = ("- **Adam** divides each step by √v̂ + ε (ε = 10⁻⁸). A gradient well above ε gets a step "
            "of about the learning rate whatever its size, which hides a vanishing gradient in the weight "
            "change; a gradient far below ε gets only about lr·g/ε. ")
    if not (np.isfinite(g) and np.isfinite(step)):
        return text
    side = "below" if g < ADAM_EPS else "above"
    entries = "smaller still" if g < ADAM_EPS else "no larger than the norm"
    text += (f"Here the problem network's first-layer gradient norm was at most {fmt.num(g)}, "
             f"{fmt.times(g / ADAM_EPS)} than ε ({side} it); ε acts on each entry, and the entries "
             f"are {entries}. Its largest step was {fmt.num(step)} (lr = {fmt.num(lr)}): ")
    if step < float(exp.half_spacing(net)[0]):
        return text + ("still under half a float32 step, so even Adam does not move it. "
                       "The gradient-flow chart shows the vanishing gradient either way.")
    return text + ("enough to move it, so the weight-change chart no longer shows how small the gradient is; "
                   "the gradient-flow chart still does. Switch to SGD to see the effect plainly.")


def _network_text(net: Network, depth: int) -> str:
    grads = at_init(net).weight_grad_norms
    return (f"the first hidden layer's weight gradient is **{ratio_words(exp.grad_ratio(net))}** than "
            f"layer {depth}'s ({fmt.num(grads[0])} vs {fmt.num(grads[-1])}; "
            f"the backpropagated signal ratio ‖dL/dh_1‖ / ‖dL/dh_{depth}‖ is "
            f"{fmt.num(exp.signal_ratio(net))})")


def _moved_text(net: Network, depth: int) -> str:
    change = net.training.weight_change
    return (f"its first layer's weights changed by **{moved(float(change[0]))}**, layer {depth}'s "
            f"by **{moved(float(change[-1]))}** (‖W_end − W_start‖ / ‖W_start‖)")


def _verdict(p: Network, f: Network) -> str:
    diff = f.training.final_val_acc - p.training.final_val_acc
    if abs(diff) < 0.005:
        return "- **Result:** both networks reach the same validation accuracy."
    better, worse = ("fix", "problem") if diff > 0 else ("problem", "fix")
    return (f"- **Result:** the {better} network reaches the higher validation accuracy, "
            f"{fmt.points(abs(diff)).lstrip('+')} above the {worse} network's.")


def _sweep_text(result: exp.Result) -> str:
    sw = result.sweep
    i = sw.column(result.settings.depth)
    d = int(sw.depths[i])
    grad, signal, act = (float(a[exp.SUBTLE, i]) for a in (sw.grad_ratio, sw.signal_ratio, sw.act_ratio))
    text = (f"- **Two ratios (depth sweep, depth {d}):** for {sw.labels[exp.SUBTLE]} the "
            f"weight-gradient ratio is {fmt.num(grad)} while the backpropagated signal ratio "
            f"‖dL/dh_1‖ / ‖dL/dh_L‖ is {fmt.num(signal)}. A weight gradient is (layer input) × "
            "(σ′ × signal), σ′ the activation's slope")
    # said of how far the weight-gradient ratio understates the signal's, not of it being near 1:
    # finite width scatters that ratio 0.05-20 over seeds, the understatement stays above 100x
    if signal < grad / 30 and act < 1 / 30:
        text += (f": here the layer outputs shrink toward the output (last over first: {fmt.num(act)}) "
                 "as the signal shrinks toward the input, so the two largely cancel in each layer's weight "
                 f"gradient, whose first/last ratio is {fmt.num(grad / signal)} times the signal's: only the "
                 "signal ratio, or the absolute scale, shows how far the signal vanished.")
    else:
        text += ", so the two ratios can differ."
    bound, sig = float(sw.sigmoid_bound[i]), float(sw.signal_ratio[0, i])
    text += (f" For {sw.labels[0]} the signal ratio is {fmt.num(sig)}, under its upper bound "
             f"∏ 0.25·‖W_l‖₂ = {fmt.num(bound)} computed from the same weights (the line labelled "
             f"'{BOUND_NAME}'; "
             f"{fmt.num(exp.per_layer(bound, d))} per layer on average, against a measured "
             f"{fmt.num(exp.per_layer(sig, d))}). The bound is not 0.25 per layer: it grows with the "
             "weights, and with ‖W_l‖₂ above 4 a layer's factor could exceed 1.")
    return text


def _running_stats_text() -> str:
    """Why a batch-norm fix can score below its training loss: evaluation uses running statistics."""
    return (f"- **Batch norm in evaluation:** accuracy, validation and training alike, is measured in "
            f"evaluation mode, where batch norm uses running averages of the batch statistics (each step "
            f"moves them {fmt.percent(BN_MOMENTUM)} of the way to the current batch's). In a short run "
            "they lag behind the changing weights, so a batch-norm network can score worse than its "
            "training loss suggests; that is not batch norm failing to carry the gradient.")


# ---------------------------------------------------------------- the lecture's remedies, said from the run

HISTORY = ("The problem was first found in recurrent networks, which multiply the backward signal by the "
           "same weight matrix at every time step: Hochreiter (1991) analysed the vanishing (and exploding) "
           "error signal, and Bengio, Simard & Frasconi (1994) showed that gradient descent struggles to "
           "learn long-term dependencies for that reason. A deep feedforward network repeats the same "
           "product over its layers, with a different matrix at each.")
ACTIVATIONS_HEADING = "The activations and their slopes"
ACTIVATIONS_NOTE = ("Each activation the page offers (left) and its derivative (right), computed with "
                    "PyTorch's own functions and autograd. The backward signal is multiplied by the "
                    "derivative at every layer: the sigmoid's is at most 0.25 (at 0), tanh's at most 1 (at "
                    "0), ReLU's is 0 or 1, leaky ReLU's 0.01 or 1, GELU's runs from about −0.13 to 1.13 and "
                    "is 0.5 at 0. This is why switching the activation is one of the lecture's remedies: a "
                    "slope of 1 passes the signal on unshrunk, a slope of at most 0.25 shrinks it at every "
                    "layer.")
RELU_LIKE = ("relu", "leaky_relu")
INPUT_GAP = 0.10  # a saturated (or dead) share this much above the standardized one is called out
GAIN_WORTH = 0.05  # validation points that standardization must add before the text says it helped
SCALE_GROWN = 3.0  # last-layer RMS this many times the standardized one is called out


def _range(x: np.ndarray) -> str:
    return f"{fmt.num(float(x.min()))} to {fmt.num(float(x.max()))}"


def _units_text(name: str, net: Network, ref: exp.Standardized) -> str:
    """The first layer's saturated (or dead) share at init, raw against standardized."""
    sat, base = float(at_init(net).saturated[0]), float(ref.saturated[0])
    if sat < base + INPUT_GAP:
        return ""
    if net.model.activation in ("sigmoid", "tanh"):
        what = (f"saturated units (slope under {fmt.percent(SATURATED_SLOPE)} of its peak: output within "
                f"{fmt.num(SIGMOID_BAND)} of 0 or 1 for the sigmoid, beyond ±{fmt.num(TANH_BAND)} for tanh)")
        why = ("a unit's pre-activation w·x + b grows with x, so more of them sit where the slope is "
               "near 0 and pass back almost no gradient")
    elif net.model.activation in RELU_LIKE:
        what = "dead units (inactive on every point)"
        why = ("with inputs far from 0, w·x + b has the same sign for nearly every point, so a unit is "
               "either on for all of them or off for all of them")
    else:
        return ""
    return (f" At initialization the {name} network's first layer has {fmt.percent(sat)} {what}, against "
            f"{fmt.percent(base)} with standardized inputs: {why}.")


def _scale_text(name: str, net: Network, ref: exp.Standardized) -> str:
    """ReLU + He without normalization keeps each layer at its input's scale: the output grows with it."""
    if net.model.activation not in RELU_LIKE or net.model.norm != "none":
        return ""
    rms, base = float(exp.act_rms(at_init(net))[-1]), float(ref.act_rms[-1])
    if not (np.isfinite(rms) and base > 0 and rms > SCALE_GROWN * base):
        return ""
    return (f" A ReLU layer is positively homogeneous (scaling its input scales its output), so the {name} "
            f"network's last hidden layer starts at {fmt.num(rms / base)} times the scale it has with "
            f"standardized inputs (RMS {fmt.num(rms)} against {fmt.num(base)}), and so do its logits and "
            "their gradients.")


def _outcome_text(net: Network, ref: exp.Standardized) -> str:
    """'89% (here 71%)': validation accuracy standardized, and with these inputs."""
    acc, base = net.training.final_val_acc, ref.final_val_acc
    text = f"{fmt.percent(base)} (here {fmt.percent(acc)}"
    if net.diverged and ref.diverged_step is None:
        text += f", where it diverged at step {net.diverged_step}"
    return text + ")"


def inputs_text(result: exp.Result) -> str:
    """With raw-scale inputs: what they did to the first layer and to training, against standardized."""
    ref = result.standardized
    if ref is None:
        return ""
    s, X = result.settings, result.X_train
    text = (f"- **Inputs not standardized ({s.inputs}):** here x1 runs from {_range(X[:, 0])} and x2 from "
            f"{_range(X[:, 1])}; standardized, each has mean 0 and standard deviation 1 on the training "
            "set (LeCun et al. 1998).")
    for name, net in (("problem", result.problem), ("fix", result.fix)):
        text += _units_text(name, net, ref[name]) + _scale_text(name, net, ref[name])
    text += (" Trained alike from the same initial weights on the standardized points instead, "
             f"the problem network reaches {_outcome_text(result.problem, ref['problem'])} validation "
             f"accuracy and the fix network {_outcome_text(result.fix, ref['fix'])}.")
    gain = ref["fix"].final_val_acc - result.fix.training.final_val_acc
    if gain >= GAIN_WORTH:
        text += (f" Standardizing the inputs is worth {fmt.points(gain).lstrip('+')} of validation accuracy "
                 "to the fix network here.")
    return text


def residual_text(result: exp.Result) -> str:
    """When the fix has residual connections: the block's Jacobian, and what the identity does not stop."""
    if not result.settings.residual:
        return ""
    return ("- **Why residual connections help:** a block computes h_l = h_(l−1) + F(h_(l−1)), so its "
            "Jacobian is ∂h_l/∂h_(l−1) = I + ∂F/∂h. The identity passes the backward signal on even where "
            "∂F/∂h is small, so it cannot vanish the way a product of small factors does. It can still "
            "grow: the product of the (I + ∂F/∂h) over the blocks expands into a sum over paths (Veit et "
            "al. 2016) and can explode with depth, which is why deep residual networks also use "
            "normalization or small initial branches (Hanin & Rolnick 2018; Zhang, Dauphin & Ma 2019, "
            "Fixup).")


def norm_text(result: exp.Result) -> str:
    """When the fix normalizes: why batch norm helps, and what layer norm does differently."""
    norm = result.settings.norm
    if norm == "batch":
        return ("- **Why batch norm helps:** it keeps every hidden layer's pre-activations at mean 0 and "
                "variance 1 over the batch, so a layer's output no longer depends on the scale of the "
                "weights before it (the loss is invariant to it), and it makes the loss and its gradient "
                "change more smoothly, which lets larger steps work (Santurkar et al. 2018), rather than "
                "reducing the 'internal covariate shift' that first motivated it (Ioffe & Szegedy 2015).")
    if norm == "layer":
        return ("- **Layer norm** normalizes each example's pre-activations over the layer's units instead "
                "of over the batch: it does not depend on the other examples, keeps no running statistics, "
                "and computes the same thing in training and evaluation. It is the normalization "
                "Transformers use (Ba, Kiros & Hinton 2016).")
    return ""


def summary(result: exp.Result) -> str:
    """'What you are seeing', every number from `result`."""
    s, p, f = result.settings, result.problem, result.fix
    depth = s.depth
    # every run is full batch: deterministic gradient descent, no gradient noise (said once a page)
    rate = f"learning rate {fmt.num(s.lr)}"
    opt = (f"full-batch gradient descent (plain SGD on the whole training set, {rate})"
           if s.optimizer == "sgd" else f"full-batch Adam ({rate})")
    lines = [
        "**What you are seeing**",
        "",
        f"- **Problem ({p.label}, {depth} layers):** at initialization {_network_text(p, depth)}."
        f"{_slope_text(p, depth)} In {s.steps} steps of {opt} "
        f"{_moved_text(p, depth)}. Saturated or dead units: {share(at_init(p).saturated)} at initialization, "
        f"{share(at_end(p).saturated)} after training. "
        f"Validation accuracy: **{fmt.percent(p.training.final_val_acc)}**.",
        _rounding_text(p),
        f"- **Fix ({f.label}):** {_network_text(f, depth)}; {_moved_text(f, depth)}. "
        f"Validation accuracy: **{fmt.percent(f.training.final_val_acc)}**.",
        _verdict(p, f),
        _sweep_text(result),
        inputs_text(result),
        residual_text(result),
        norm_text(result),
    ]
    if s.optimizer == "adam":
        lines.append(_adam_text(p, s.lr))
    if s.norm == "batch":
        lines.append(_running_stats_text())
    for name, net in (("problem", p), ("fix", f)):
        if net.diverged:
            lines.append(f"- The {name} network **diverged at step {net.diverged_step}** "
                         f"({divergence_words(net.divergence)}); it keeps the weights from before "
                         "that step.")
    return "\n".join(line for line in lines if line)


# ---------------------------------------------------------------- the plain layer: one line per chart row
# Shown by default (the text above sits one click away, under glossary.EXPERT_LABEL). Every sentence is
# computed from the run, and every word that judges ("almost no", "did not change at all", "higher")
# is picked from its numbers, so no visitor's run contradicts it.

POINT = ("In a deep network the backward signal can shrink at every layer on its way back, so the layers "
         "near the input barely learn. Below, a problem network and a fix train side by side.")
NO_SIGNAL = 1e-3  # a first/last gradient ratio under this is "almost no signal"
BARELY = 0.1  # a first layer that moved under this share of its last layer's change "changed by only" …
COIN_FLIP = 0.55  # a validation accuracy up to this is "no better than a coin flip" (two classes)
UNSURE = 0.1  # a boundary whose P(class 1) stays within this of 50% everywhere has learned no boundary
COIN_LOSS = float(np.log(2))  # the cross-entropy of answering 50/50 for every point
STEADY_LOSS = 0.01  # a loss ending this close to COIN_LOSS (from near it) "stalled" there
SATURATED_FIRST = 0.3  # a first layer with at least this share of saturated (or dead) units is called out
LAST = "its last layer's"
PROBLEMS, FIXS = "the problem network's", "The fix's"


def _than(ratio: float, whose: str = "") -> str:
    """'about 6 quadrillion times smaller than its last layer's', 'about the same as …', 'of exactly zero'
    (without `whose`: 'about 6 quadrillion times smaller')."""
    if ratio == 0:
        return "of exactly zero"
    if np.isnan(ratio):
        return "that cannot be measured"
    words = plain.times(ratio)
    if not whose:
        return words
    return f"about the same as {whose}" if words == "about the same" else f"{words} than {whose}"


def _than_last(ratio: float) -> str:
    """`_than(ratio)`, naming the last layer only where the words need it ('about the same as …')."""
    return _than(ratio, LAST) if plain.times(ratio) == "about the same" else _than(ratio)


def _reaches(ratio: float) -> str:
    """What a first/last weight-gradient ratio means for the first layer: how much it has to learn from
    (said of its weight gradient, not of the backward signal, which can vanish where the weight-gradient
    ratio stays near 1: the expert layer's "two ratios")."""
    if ratio == 0:
        return "it gets nothing at all to learn from"
    if np.isnan(ratio) or ratio < NO_SIGNAL:
        return "it gets almost nothing to learn from" if ratio > 0 else "it gets nothing to learn from"
    return "it still gets a gradient to learn from"


def plain_flow(result: exp.Result) -> str:
    """Under the gradient-flow chart: how much gradient each network's first layer gets at the start."""
    p, f = result.problem, result.fix
    rp, rf = exp.grad_ratio(p), exp.grad_ratio(f)
    return (f"Look at the left end of each line. At the start, the first layer of the problem network "
            f"({p.label}) gets a gradient {_than(rp, LAST)}: {_reaches(rp)}. In the fix ({f.label}) it "
            f"gets one {_than_last(rf)}: {_reaches(rf)}.")


def step_ratios(net: Network) -> np.ndarray:
    """First over last hidden layer's gradient norm at every training step (finite steps only)."""
    g = net.training.layer_grad_norms
    with np.errstate(divide="ignore", invalid="ignore"):
        r = g[:, 0] / g[:, -1]
    return r[np.isfinite(r)]


def _over_training(net: Network, who: str) -> str:
    """'…'s first layer got a gradient at least N times smaller than its last layer's in every step'."""
    r = step_ratios(net)
    if not r.size:
        return f"{who} first layer has no finite gradient to show"
    if r.max() == 0:  # underflowed to 0 in float32 at every step
        return f"{who} first layer got no gradient at all, in any step"
    if r.max() < NO_SIGNAL:
        return (f"{who} first layer got, in every step, a gradient at least "
                f"{_than(float(r.max()), LAST).removeprefix('about ')}")
    return f"{who} first layer typically got one {_than_last(float(np.median(r)))}"


def plain_heatmaps(result: exp.Result) -> str:
    """Under the two gradient heatmaps (problem, fix)."""
    return ("Each row is a layer, layer 1 at the bottom; dark means a tiny gradient. "
            f"{_over_training(result.problem, PROBLEMS.capitalize())}. "
            f"{_over_training(result.fix, FIXS)}.")


def _percent(x: float) -> str:
    """A share in everyday form: '0.64%', 'less than 0.01%' (never a power of ten)."""
    return "less than 0.01%" if 0 < x < 1e-4 else fmt.percent(x)


def _changed(net: Network) -> str:
    """'weights did not change at all; its last layer's changed by 1%', 'weights changed by only 0.01%, its
    last layer's by 1%', 'weights changed by 0.64%, …'."""
    first, last = (float(net.training.weight_change[i]) for i in (0, -1))
    if first == 0 and last == 0:
        return "weights did not change at all, nor did its last layer's"
    if first == 0:
        return f"weights did not change at all; its last layer's changed by {_percent(last)}"
    word = "changed by only" if first < BARELY * last else "changed by"
    return f"weights {word} {_percent(first)}, its last layer's by {_percent(last)}"


def _saturation(net: Network, grad_ratio: float) -> str:
    """The right-hand chart, said of the problem network: saturated or dead units at the start."""
    if net.model.activation in ("sigmoid", "tanh"):
        kind = "saturated"
    elif net.model.activation in RELU_LIKE:
        kind = "dead"
    else:
        return ""
    first, mean = float(at_init(net).saturated[0]), float(np.mean(at_init(net).saturated))
    if first >= SATURATED_FIRST:
        return (f" On the right: at the start {fmt.percent(first)} of the problem network's first-layer "
                f"units are {kind}, so they pass back almost no signal.")
    if mean < exp.FEW_SATURATED and grad_ratio < NO_SIGNAL:
        few = "none" if mean == 0 else f"almost none ({share(at_init(net).saturated)})"
        return (f" On the right: {few} of the problem network's units are {kind}, so that is not why its "
                "signal fades.")
    return f" On the right: at the start {share(at_init(net).saturated)} of its units are {kind}."


def plain_change(result: exp.Result) -> str:
    """Under the weight-change and saturation charts."""
    p, f = result.problem, result.fix
    return (f"The problem network's first-layer {_changed(p)}. The fix's first-layer "
            f"{_changed(f)}.{_saturation(p, exp.grad_ratio(p))}")


def _loss_moved(net: Network) -> str:
    """'stalled at 0.69, the loss of a 50/50 guess', 'fell to 0.57', 'broke down (diverged) at step 4 …'."""
    if net.diverged:  # a warning the visitor must see, in plain words
        return f"broke down (diverged) at step {net.diverged_step}, so its curves stop there"
    loss = net.training.loss[np.isfinite(net.training.loss)]
    if not loss.size:
        return "has no finite value"
    start, end = float(loss[0]), float(loss[-1])
    if abs(end - COIN_LOSS) < STEADY_LOSS and abs(start - COIN_LOSS) < 0.1:
        return f"stalled at {fmt.num(end)}, the loss of a 50/50 guess"
    return f"{'fell' if end < start else 'rose'} to {fmt.num(end)}"


def _accuracy(acc: float) -> str:
    """'84%', '50%, near a coin flip' (two classes)."""
    return fmt.percent(acc) + (", near a coin flip" if acc <= COIN_FLIP else "")


def plain_training(result: exp.Result) -> str:
    """Under the loss and accuracy curves."""
    p, f = result.problem, result.fix
    a, b = p.training.final_val_acc, f.training.final_val_acc
    return (f"The problem network's loss {_loss_moved(p)}; the fix's {_loss_moved(f)}. Validation "
            f"accuracy: problem {_accuracy(a)}; fix {_accuracy(b)}.")


def _boundary(net: Network, who: str) -> str:
    """What a decision-boundary chart shows: no finite output, 50/50 everywhere, one class, or a line."""
    proba = net.boundary
    if proba is None or not np.isfinite(proba).any():
        return f"{who} output is not finite: there is no boundary to draw"
    if float(np.nanmax(np.abs(proba - 0.5))) < UNSURE:
        return f"{who} plane stays almost white: close to 50/50 everywhere, it has learned no boundary"
    if not np.nanmin(proba) < 0.5 < np.nanmax(proba):
        return f"{who} plane is all one class: it has drawn no line"
    return f"{who} line splits the plane in two"


def plain_boundary(result: exp.Result) -> str:
    """Under the two decision boundaries."""
    problem = _boundary(result.problem, PROBLEMS.capitalize())
    return f"The colour shows which class a network picks. {problem}. {_boundary(result.fix, FIXS)}."


def _sweep_index(activation: str, init: str) -> int:
    return [(a, i) for a, i, _ in exp.SWEEP].index((activation, init))


def plain_sweep(result: exp.Result) -> str:
    """Under the two depth-sweep charts: how the sigmoid's first-layer gradient falls with depth, and
    how ReLU with He initialization keeps it."""
    sw = result.sweep
    depths = [int(d) for d in sw.depths]
    shallow, deep = depths.index(min(d for d in depths if d >= 5)), len(depths) - 1
    sig = sw.grad_ratio[_sweep_index("sigmoid", "default")]
    text = (f"At the start, a sigmoid network's first layer gets a gradient "
            f"{_than(float(sig[shallow]), LAST)} at {depths[shallow]} layers, and "
            f"{_than(float(sig[deep]))} at {depths[deep]} layers")
    if sig[deep] < sig[shallow] / 100:
        text += ": the deeper, the less signal"
    he = sw.grad_ratio[_sweep_index("relu", "he")]
    factor = float(np.nanmax(np.maximum(he, 1 / he)))
    spread = plain.times(factor).removesuffix(" larger")
    text += (". With ReLU and He starting weights the two stay " +
             ("about the same at every depth." if spread == "about the same"
              else f"within {spread} of each other at every depth."))
    return text
