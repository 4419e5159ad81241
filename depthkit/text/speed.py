"""The words of the Training speed page: both halves' summaries, the header and section texts.

Pure functions of `depthkit.experiments.speed.Result` and
`depthkit.experiments.timing.Timing`; every number through `depthkit.fmt`.
"""

from __future__ import annotations

import os

import numpy as np

from depthkit import fmt
from depthkit.experiments.speed import (
    COIN_FLIP_BAND,
    LN2,
    NO_REACH,
    Result,
    degradation,
    shallow_depth,
    still_falling,
)
from depthkit.experiments.timing import EXTRAPOLATE_DEPTH, EXTRAPOLATE_STEPS, Timing

TITLE = "Training speed"
CLAIM = ("Deeper networks take longer to train for two reasons that multiply: every step costs more "
         "compute, and a deep network can need more steps, or never reach the target at all "
         "(optimization difficulty). Time to a loss = steps needed × time per step.")
COST_HEADING = "1. Every step costs more: time per step, measured now"
COST_INTRO = ("These timings are live measurements on the machine serving this page, so they take a "
              "moment and change with its load. Training results below are cached; timings are kept "
              "for at most an hour or until you measure again.")
STEPS_HEADING = "2. Optimization difficulty: the steps a network needs to reach a target loss"
CODE_LABEL = "PyTorch code for the deepest plain network"
# the first/last gradient ratio at initialization above which the page says the gradient grew
# with depth (the claim test checks it on the presets where the sentence appears)
GRAD_GROWTH = 10.0
TRAINING_GROUP = "Steps to a target (trained)"
TIMING_GROUP = "Cost per step (measured)"


def _span(values: np.ndarray) -> str:
    """'7' or '6–10': the whole numbers' range."""
    lo, hi = int(np.min(values)), int(np.max(values))
    return fmt.integer(lo) if lo == hi else f"{fmt.integer(lo)}–{fmt.integer(hi)}"


def _steps_text(result: Result, v: int, i: int) -> str:
    """'reached it in 3–9 steps on 3 of 3 seeds' or 'did not reach it in 80 steps on any of 3 seeds'."""
    s = result.steps_to_target[v, i]
    n = len(s)
    hit = s[np.isfinite(s)]
    if len(hit) == 0:
        return f"did not reach it in {fmt.integer(result.settings.steps)} steps on any of {n} seeds"
    return f"reached it in {_span(hit)} steps on {len(hit)} of {n} seeds"


def _median(values: np.ndarray) -> float:
    """Median of the finite values; NaN when none (every run diverged)."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if len(finite) else float("nan")


def _loss(x: float) -> str:
    return "diverged (not a number)" if not np.isfinite(x) else fmt.num(x)


def _reach_text(result: Result) -> str:
    """What the input-reach measurement says about the deepest plain network."""
    reach = _median(result.input_reach)
    deep = int(result.depths[-1])
    spread = ("does not vary across the training points at all (its spread is exactly 0 in float32)"
              if reach == 0 else
              f"varies across the training points {fmt.times(reach, 'more', 'less')} than its first")
    text = (f"At initialization the last hidden layer of the depth-{deep} plain network {spread} "
            f"(median over seeds). ")
    if reach < NO_REACH:
        return text + ("The input no longer reaches the output: at the start every point gets about "
                       "the same prediction. That is the vanishing-signal problem of PyTorch's default "
                       "weights (U(±1/√fan_in): variance 1/(3·fan_in), a sixth of He's 2/fan_in) in a "
                       "deep network without normalization (see the Vanishing gradients "
                       "page), not He et al.'s degradation, which is about networks that do carry the "
                       "signal (below). ")
    return text


def summary(result: Result) -> str:
    """'What you are seeing' for the steps-to-target part; numbers from `result`."""
    d, s = result.depths, result.settings
    deep = len(d) - 1
    shallow = list(d).index(shallow_depth(d))
    fix = len(result.variants) - 1
    plain_deep = result.final_loss[0, deep]
    near_ln2 = int(np.sum(np.abs(plain_deep - LN2) < 0.01))
    return (
        "**What you are seeing — optimization difficulty.** "
        f"Each network trained for {fmt.integer(s.steps)} full-batch Adam steps (learning rate "
        f"{fmt.num(s.lr)}, width {s.width}, {s.activation}, PyTorch's default initialization) "
        f"from {len(result.seeds)} seeds; the target is a training loss of "
        f"{fmt.num(result.settings.target_loss)}. "
        f"The **plain** network at depth {d[shallow]} {_steps_text(result, 0, shallow)} "
        f"(median final loss {_loss(_median(result.final_loss[0, shallow]))}); at depth {d[deep]} it "
        f"{_steps_text(result, 0, deep)}: median final loss {_loss(_median(plain_deep))}, within 0.01 "
        f"of ln 2 = 0.693 on {near_ln2} of {len(plain_deep)} seeds (ln 2 is the loss of predicting ½ "
        "for every point, a coin flip). "
        + _reach_text(result) +
        f"With **residual connections and batch norm**, depth {d[deep]} {_steps_text(result, fix, deep)}. "
        "The time to reach a loss is the product of the two parts of this page: steps needed × time "
        "per step (last chart). Wall times: the seeds of one network train together; each model gets "
        "its share of that batch's time, measured when this result was computed (it is cached).")


def _coin_flip_text(result: Result, g: dict[str, np.ndarray]) -> str:
    """When the deep plain batch-norm network ended near ln 2 on most seeds: it barely learned, and why."""
    n, dd = len(result.seeds), int(result.long_depths[-1])
    near = int(np.sum(np.abs(g["plain_deep"] - LN2) < COIN_FLIP_BAND))
    if near <= n / 2:
        return ""
    text = (f"At depth {dd} it ended within {fmt.num(COIN_FLIP_BAND)} of a coin flip's ln 2 = 0.693 on "
            f"{near} of {n} seeds: it barely learned at all, so this is not He et al.'s modest gap. ")
    ratio = _median(result.bn_grad_ratio)
    if ratio > GRAD_GROWTH:  # said only where this run shows the growth clearly
        # Adam rescales each weight's step, so a larger gradient is not a larger step: the run
        # shows the growth beside the stall, not that one causes the other
        text += ("At initialization its first hidden layer's gradient was "
                 f"{fmt.times(ratio, 'larger')} than its last layer's (median over seeds), as Yang et al. "
                 "(2019) predict for batch norm without skip connections: the gradient grows with depth "
                 "(see the Exploding gradients page). That is at initialization: Yang et al. find the "
                 "range shrinks sharply after the first step, which is consistent with He et al.'s "
                 "healthy gradient norms during training. The run shows the two together, not that the "
                 "growth is why it stalled. ")
    return text

def _gap_text(result: Result, g: dict[str, np.ndarray]) -> str:
    """Whether the deeper network ends higher, said of these steps, and how its loss was moving."""
    n, T = len(result.seeds), result.long_steps
    higher = int(np.sum(g["plain_deep"] > g["plain_shallow"]))
    if higher <= n / 2:
        return (f"The deeper network ends higher on only {higher} of {n} seeds: at these settings "
                "the batch-norm network does not show degradation. ")
    curves = result.long_losses[0, -1]
    half = (curves.shape[-1] - 1) // 2
    falling = int(still_falling(result).sum())
    above_own = int(np.sum(g["plain_deep"] > g["plain_lowest"] + 0.01))
    only = "" if falling > n / 2 else "only "
    return (f"Within these {fmt.integer(T)} steps the deeper network ends with the higher *training* loss "
            f"on {higher} of {n} seeds: the start of what He et al. called degradation (a run this short "
            "cannot tell a lasting gap from slower progress), and since it is the "
            f"training loss it is not overfitting. Its loss was still falling over their second half on "
            f"{only}{falling} of {n} seeds (median {_loss(_median(curves[:, half]))} at step "
            f"{fmt.integer(half)}, {_loss(_median(curves[:, -1]))} at step {fmt.integer(T)}), and "
            f"unevenly: on {above_own} of {n} seeds it ended more than 0.01 above its own lowest loss. "
            "With more steps it may keep falling slowly; He et al. saw the gap persist through training. ")


def degradation_summary(result: Result) -> str:
    """'What you are seeing' for the batch-norm networks trained `long_steps`; numbers from `result`."""
    g = degradation(result)
    ds, dd = (int(x) for x in result.long_depths[[0, -1]])
    n, T = len(result.seeds), result.long_steps
    reached = np.isfinite(g["shallow_steps"])
    if reached.any():
        most = float(np.max(g["shallow_steps"][reached]))
        need = (f"reached the target ({fmt.num(result.settings.target_loss)}) in "
                f"{_span(g['shallow_steps'][reached])} steps on {int(reached.sum())} of {n} seeds")
        if most > 0:
            need += f", so {fmt.integer(T)} steps are {fmt.times(T / most, 'more')} than it needed"
    else:
        need = f"did not reach the target ({fmt.num(result.settings.target_loss)}) on any of {n} seeds"
    lowest_above = int(np.sum(g["plain_lowest"] > g["plain_shallow"]))
    below = int(np.sum(g["residual_deep"] <= result.settings.target_loss))
    verdict = _coin_flip_text(result, g) or _gap_text(result, g)
    return (
        f"**What you are seeing — degradation.** The batch-norm networks at depths {ds} and {dd} "
        f"kept training, to {fmt.integer(T)} steps in all. Batch norm rescales every layer's "
        "pre-activations to mean 0 and variance 1 over the batch, so the signal cannot fade as in the "
        "plain network above "
        "(in the forward pass the weights' scale, PyTorch's default or He's, is divided out; it still "
        "sets the effective step size: an Adam step is about the learning rate whatever that scale, so "
        "smaller weights change by a larger fraction of themselves each step). He et al. (2016) found "
        "that a deeper plain network *with* batch norm and He initialization still reaches a higher "
        "training error than a shallower one: degradation. Here, at depth "
        f"{ds} the plain batch-norm network {need}; it ended at a training loss of "
        f"{_loss(_median(g['plain_shallow']))} (median). At depth {dd}, given the same "
        f"{fmt.integer(T)} steps, it ended at {_loss(_median(g['plain_deep']))} (median), and even its "
        f"lowest loss along the way ({_loss(_median(g['plain_lowest']))}, median) was above depth "
        f"{ds}'s final loss on {lowest_above} of {n} seeds. " + verdict +
        f"With **residual connections** and batch norm, depth {dd} ended at "
        f"{_loss(_median(g['residual_deep']))} (median; depth {ds}: "
        f"{_loss(_median(g['residual_shallow']))}), at or below the target on {below} of {n} seeds. "
        "Healthy gradient norms are not the whole story: Balduzzi et al. (2017) find that the gradients "
        "at nearby inputs lose their correlation exponentially with depth in a plain network "
        "(\"shattered gradients\"), and far more slowly with residual connections.")


# ---------------------------------------------------------------- cost per step (live)
def timing_caption(timing: Timing) -> str:
    """Where and when the timings were taken."""
    where = f"GPU {timing.cuda_name} and CPU" if timing.cuda_name else "CPU only (no CUDA GPU here)"
    return (f"Measured {timing.measured_at} in {fmt.seconds(timing.measure_seconds)} on "
            f"{timing.cpu_name}: {where}.")


def thread_text(timing: Timing) -> str:
    """What the 1-thread vs all-threads comparison measured, and nothing it did not (no cause)."""
    one, many = np.median(timing.thread_seconds, axis=1)[[0, -1]]
    h = int(timing.thread_counts[-1])
    text = (f"With {h} threads a depth-{timing.settings.time_max_depth} step took {fmt.seconds(many)}, "
            f"against {fmt.seconds(one)} on 1 thread: {fmt.times(one / many, 'faster', 'slower')} "
            f"(median of {timing.thread_seconds.shape[-1]} repeats each).")
    if one / many < 1.05:
        text += (" More threads do not always help: for small matrices, splitting each product "
                 "across threads can cost more than it saves even on an idle machine, and other work "
                 "on the machine competes for the same cores; this measurement does not tell which.")
    if np.isfinite(timing.load_average):
        text += (f" The machine's 1-minute load average just before the comparison, this measurement "
                 f"included, was {fmt.num(timing.load_average)} on {os.cpu_count() or 1} logical CPUs.")
    return text


def timing_summary(timing: Timing) -> str:
    """'What you are seeing' for the measured part; numbers from `timing`."""
    fit, med, g = timing.fit(0), timing.median, timing.gflops()
    per_repeat = timing.settings.steps_per_repeat
    lines = [
        f"**What you are seeing — cost per step.** Measured at {timing.measured_at} on "
        f"{timing.cpu_name}, 1 torch thread: one full-batch training step (forward, backward, Adam "
        f"update) of one plain ReLU network on {timing.settings.time_points} points, "
        f"median of {timing.seconds.shape[-1]} repeats per depth"
        f"{'' if per_repeat == 1 else f' ({per_repeat} steps each)'}. "
        f"At width {int(timing.widths[0])}, each extra layer adds **{fmt.seconds(fit.slope)} per step** "
        f"(R² = {fit.r2:.3f}); depth {int(timing.depths[-1])} takes "
        f"{fmt.seconds(med[0, -1])} per step against {fmt.seconds(med[0, 0])} at depth "
        f"{int(timing.depths[0])}, while its FLOPs per step grow "
        f"{fmt.times(timing.flops_per_step[0, -1] / timing.flops_per_step[0, 0])}. "
        f"Achieved speed: {fmt.num(g[0].min())}–{fmt.num(g[0].max())} GFLOP/s.",
    ]
    if len(timing.widths) > 1:
        fit2 = timing.fit(1)
        lines.append(f"At width {int(timing.widths[1])} each layer adds {fmt.seconds(fit2.slope)} "
                     f"(R² = {fit2.r2:.3f}).")
    lines.append(f"At this rate, {EXTRAPOLATE_DEPTH} layers × {fmt.integer(EXTRAPOLATE_STEPS)} steps would "
                 f"take about **{fmt.seconds(timing.extrapolate())}** on this machine.")
    if len(timing.thread_counts) > 1:
        lines.append(thread_text(timing))
    if timing.cuda_name:
        lines.append(f"On the GPU ({timing.cuda_name}) a depth-{int(timing.depths[-1])} step took "
                     f"{fmt.seconds(float(np.median(timing.cuda_seconds[-1])))}.")
    else:
        lines.append("No CUDA GPU is available here, so every timing ran on the CPU.")
    return " ".join(lines)
