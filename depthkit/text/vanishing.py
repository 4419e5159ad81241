"""The words of the vanishing-gradients page: pure functions of a vanishing.Result.

Every number through depthkit.fmt; every sentence that depends on the run is
computed from it (which network did better, whether a step rounded away,
whether Adam moved the first layer, whether a network diverged).
"""

from __future__ import annotations

import numpy as np

from depthkit import fmt
from depthkit.experiments import vanishing as exp
from depthkit.models import BN_MOMENTUM
from depthkit.optim import ADAM_EPS
from depthkit.record import Network

TITLE = "Vanishing gradients"
INTRO = ("In a deep network the gradient can shrink as it is propagated back, so the layers "
         "near the input get little to no weight update.")
SWEEP_HEADING = "Depth sweep at initialization"
# the legend name of the bound's line on the signal-ratio chart (depthkit.charts.vanishing.depth_sweep)
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
    if float(np.mean(net.at_init.saturated)) < exp.FEW_SATURATED:
        text += "; almost no unit is saturated, so saturation is not the cause here"
    return text + "."


def _rounding_text(net: Network) -> str:
    """Why the first layer did (not) move: its step against half a float32 step at its typical |w|."""
    step, half = float(exp.update_max(net)[0]), float(exp.half_spacing(net)[0])
    if not np.isfinite(step):
        return ""
    change = float(net.training.weight_change[0])
    head = (f"- **The first layer's step against float32's:** its gradient is not zero "
            f"({fmt.num(net.at_init.weight_grad_norms[0])} at initialization), and the largest update it "
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
    grads = net.at_init.weight_grad_norms
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
        f"{_moved_text(p, depth)}. Saturated or dead units: {share(p.at_init.saturated)} at initialization, "
        f"{share(p.at_end.saturated)} after training. "
        f"Validation accuracy: **{fmt.percent(p.training.final_val_acc)}**.",
        _rounding_text(p),
        f"- **Fix ({f.label}):** {_network_text(f, depth)}; {_moved_text(f, depth)}. "
        f"Validation accuracy: **{fmt.percent(f.training.final_val_acc)}**.",
        _verdict(p, f),
        _sweep_text(result),
    ]
    if s.optimizer == "adam":
        lines.append(_adam_text(p, s.lr))
    if s.batch_norm:
        lines.append(_running_stats_text())
    for name, net in (("problem", p), ("fix", f)):
        if net.diverged:
            lines.append(f"- The {name} network **diverged at step {net.diverged_step}** "
                         f"({divergence_words(net.divergence)}); it keeps the weights from before "
                         "that step.")
    return "\n".join(line for line in lines if line)
