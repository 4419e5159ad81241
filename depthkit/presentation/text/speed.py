"""The words of the Training speed page: both halves' summaries, the header and section texts.

Two layers: the plain one (POINT, COST_PLAIN and the `plain_*` lines under each row of charts, in
everyday words, each picking its words from the run's or the timing's own numbers) and the expert
one (CLAIM, COST_INTRO, `summary`, `degradation_summary`, `timing_summary`: today's full text,
shown under "The numbers behind it").
Pure functions of `depthkit.experiments.speed.Result` and
`depthkit.experiments.timing.Timing`; every number through `depthkit.core.fmt` or
`depthkit.presentation.text.plain`.
"""

from __future__ import annotations

import os

import numpy as np

from depthkit.core import fmt
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
from depthkit.presentation.text.plain import times

TITLE = "Training speed"
# the plain point at the top (the header's claim); CLAIM, the expert's, moved under the numbers
POINT = ("A deeper network takes longer to train, for two reasons. Every step costs more work, and a "
         "deep network can need many more steps, or never get there. Residual connections and batch "
         "norm can cut the steps.")
CLAIM = ("Deeper networks take longer to train for two reasons that multiply: every step costs more "
         "compute, and a deep network can need more steps, or never reach the target at all "
         "(optimization difficulty). Time to a loss = steps needed × time per step.")
COST_HEADING = "1. Every step costs more: time per step, measured now"
COST_INTRO = ("These timings are live measurements on the machine serving this page, so they take a "
              "moment and change with its load. Training results below are cached; timings are kept "
              "for at most an hour or until you measure again.")
COST_PLAIN = "Timed now, on the computer serving this page: the numbers change with its load."
STEPS_HEADING = "2. More steps: how many a network needs to reach a target loss"
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


# ---------------------------------------------------------------- the plain layer
# Everyday words for a beginner, one line under each row of charts. Each picks its words from the
# numbers it states, so no run and no machine (a slower one, a busier one) contradicts it.
CLEAR = 1.5  # a ratio at least this far from 1 is said as "N times"; closer, as "about the same"
AT_COIN_FLIP = 0.01  # a final loss within this of ln 2: "stayed at a coin flip's loss"


def plain_loss(x: float) -> str:
    """A training loss for a beginner: '0.38', 'under 0.01', 'not a number' (diverged)."""
    if not np.isfinite(x):
        return "not a number"
    return "under 0.01" if x < 0.01 else fmt.num(x)


def _ms(seconds: float) -> str:
    """'7.83 milliseconds': one unit for every timing in the plain lines, so they compare at a glance."""
    return f"{fmt.num(seconds * 1e3)} milliseconds"


def _range(values: np.ndarray) -> str:
    """'17 to 23' or '7': the whole numbers' range in words."""
    lo, hi = int(np.min(values)), int(np.max(values))
    return fmt.integer(lo) if lo == hi else f"{fmt.integer(lo)} to {fmt.integer(hi)}"


def _got_there(result: Result, v: int, i: int) -> str:
    """'got there in 17 to 23 steps', '… on 2 of 3 seeds', or 'never got there in 30 steps'."""
    s = result.steps_to_target[v, i]
    hit = s[np.isfinite(s)]
    if len(hit) == 0:
        return f"never got there in {fmt.integer(result.settings.steps)} steps"
    seeds = "" if len(hit) == len(s) else f" on {len(hit)} of {len(s)} seeds"
    return f"got there in {_range(hit)} steps{seeds}"


def plain_cost(timing: Timing) -> str:
    """Under the time-per-step and compute charts: how much longer the deepest network's step took."""
    med, d = timing.median[0], timing.depths
    ratio = float(med[-1] / med[0])
    work = float(timing.flops_per_step[0, -1] / timing.flops_per_step[0, 0])
    how = (f"{times(ratio, 'longer')} than" if ratio >= CLEAR else
           "about as long as" if ratio > 1 / CLEAR else "less time than")
    took = (f"One step of the {int(d[-1])}-layer network took {how} one of the {int(d[0])}-layer network "
            f"({fmt.num(med[-1] * 1e3)} against {_ms(med[0])}).")
    if ratio >= CLEAR:
        return took + f" Every extra layer adds work to every step: {times(work, 'more')} arithmetic here."
    return took + (f" Its arithmetic grows {times(work, 'more')}, but this time the extra work did not "
                   "show clearly: at these small sizes a step's fixed overhead can hide it, or the "
                   "computer may be busy. Try measuring again.")


def plain_hardware(timing: Timing) -> str:
    """Under the hardware and achieved-speed charts: what more threads (or a GPU) did to one step."""
    deep = timing.settings.time_max_depth
    if len(timing.thread_counts) > 1:
        one, many = np.median(timing.thread_seconds, axis=1)[[0, -1]]
        h, r = int(timing.thread_counts[-1]), float(one / many)
        if r >= CLEAR:
            left = f"Left: with {h} threads a step ran {times(r, 'faster')} than on 1 thread."
        elif r <= 1 / CLEAR:
            left = (f"Left: with {h} threads a step ran {times(r, 'faster', 'slower')} than on 1 thread: "
                    "more threads do not always help.")
        else:
            left = f"Left: {h} threads made little difference against 1 thread."
    else:
        left = f"Left: one step at depth {deep} took {_ms(float(np.median(timing.seconds[0, -1])))}."
    if timing.cuda_name:
        left += f" On the GPU it took {_ms(float(np.median(timing.cuda_seconds[-1])))}."
    g = timing.gflops()[0]
    right = (f"Right: the computer did {fmt.num(g.min())} to {fmt.num(g.max())} billion operations a second"
             + (", more for the deeper networks." if g[-1] >= CLEAR * g[0] else "."))
    return f"{left} {right}"


def plain_curves(result: Result) -> str:
    """Under the loss curves and final-loss charts: the deepest plain network against the full fix."""
    deep, fix = int(result.depths[-1]), len(result.variants) - 1
    plain, fixed = result.final_loss[0, -1], result.final_loss[fix, -1]
    n = len(plain)
    stuck = int(np.sum(np.abs(plain - LN2) < AT_COIN_FLIP))
    # "it learned nothing" only where nearly every seed stayed there (tanh's plain net is split: 5-6 of
    # 10 under other kernels); otherwise the median, and the stuck seeds counted
    if stuck >= n - 1:
        first = (f"At depth {deep} the plain network's loss stayed at a coin flip's 0.69 on {stuck} of {n} "
                 "seeds: it learned nothing.")
    else:
        first = f"At depth {deep} the plain network's loss ended at {plain_loss(_median(plain))} (median)."
        if stuck:
            first += f" On {stuck} of {n} seeds it stayed at a coin flip's 0.69, learning nothing."
    a, b = _median(fixed), _median(plain)
    where = "lower" if a < b else "no lower"  # NaN (all diverged) compares False: not said to be lower
    return first + f" With residual connections and batch norm it ended {where}, at {plain_loss(a)}."


def plain_steps(result: Result) -> str:
    """Under the steps-to-target and time-to-target charts: steps needed, shallow, deep and fixed."""
    d = result.depths
    shallow, deep = list(d).index(shallow_depth(d)), len(d) - 1
    fix = len(result.variants) - 1
    return (f"To reach the target loss of {fmt.num(result.settings.target_loss)}, the plain network at "
            f"depth {d[shallow]} {_got_there(result, 0, shallow)}; at depth {d[deep]} it "
            f"{_got_there(result, 0, deep)}. With residual connections and batch norm, depth {d[deep]} "
            f"{_got_there(result, fix, deep)}. Time to the target (right) is steps times time per step.")


def plain_degradation(result: Result) -> str:
    """Under the degradation chart: did the deeper batch-norm network end worse, and did shortcuts fix it."""
    g = degradation(result)
    ds, dd = (int(x) for x in result.long_depths[[0, -1]])
    n = len(result.seeds)
    near = int(np.sum(np.abs(g["plain_deep"] - LN2) < COIN_FLIP_BAND))
    higher = int(np.sum(g["plain_deep"] > g["plain_shallow"]))
    losses = f"{plain_loss(_median(g['plain_deep']))} against {plain_loss(_median(g['plain_shallow']))}"
    if near > n / 2:
        first = (f"With batch norm but no shortcuts, the {dd}-layer network barely learned: it stayed near "
                 f"a coin flip's loss on {near} of {n} seeds ({losses} at depth {ds}).")
    elif higher > n / 2:
        first = (f"With batch norm but no shortcuts, the {dd}-layer network ended with a higher training "
                 f"loss than the {ds}-layer one on {higher} of {n} seeds ({losses}): in these steps more "
                 "layers made it worse, not better (degradation; a run this short cannot show that it "
                 "lasts).")
    else:
        first = (f"With batch norm but no shortcuts, the {dd}-layer network ended higher than the "
                 f"{ds}-layer one on only {higher} of {n} seeds: here more layers did not clearly "
                 "make it worse.")
    below = int(np.sum(g["residual_deep"] <= result.settings.target_loss))
    return first + (f" With residual connections, depth {dd} ended at or below the target on {below} of "
                    f"{n} seeds.")
