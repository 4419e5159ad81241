"""Figures for the Training Speed page: measured cost per step, computed FLOPs, steps to a target.

Pure builders: they take a `timing.Timing` or `speed.Result` and return plotly
figures; no training, no timing, no Streamlit. Numbers in titles, legends and
hover labels are written by `depthkit.core.fmt`.

Traces are handed to plotly as dicts (`type` names the kind): plotly validates a trace object
again when it is added to a figure, a dict once (a third less time a trace, measured). Axes are
changed with `common.update_axis` (one validated set per axis).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from depthkit.core import fmt
from depthkit.experiments.speed import Result
from depthkit.experiments.timing import Timing
from depthkit.presentation.charts.common import (
    BLUE,
    FIX,
    GREEN,
    NEUTRAL,
    NORMAL,
    ORANGE,
    PROBLEM,
    PURPLE,
    empty_note,
    hline,
    layout,
    plottable,
    restyle,
    series_style,
    update_axis,
    zero_count,
)

WIDTH_COLORS = (BLUE, ORANGE, PURPLE)
WIDTH_SYMBOLS = ("circle", "square", "diamond")
VARIANT_COLORS = (PROBLEM, ORANGE, GREEN, FIX)  # plain ... residual + batch norm
LONG = (1, 3)  # the long runs' variants among VARIANT_COLORS: batch norm, residual + batch norm
CUDA_COLOR = GREEN
LN2 = float(np.log(2.0))
# the axes of plotly's make_subplots(specs=[[{"secondary_y": True}]]), which costs 6 ms a figure
# (measured): the plot 94% of the width, a second y axis on the right over the first
SECONDARY_Y = dict(xaxis=dict(anchor="y", domain=[0.0, 0.94]), yaxis=dict(anchor="x", domain=[0.0, 1.0]),
                   yaxis2=dict(anchor="x", overlaying="y", side="right"))


def _depth_axis(fig: go.Figure, depths: np.ndarray, log: bool = False, **kwargs: Any) -> None:
    update_axis(fig, "xaxis", tickvals=[int(d) for d in depths], type="log" if log else "linear", **kwargs)


def _target_line(fig: go.Figure, result: Result, right: bool) -> None:
    """The target loss as a dashed line (call after layout: the y axis is log)."""
    target = result.settings.target_loss
    hline(fig, target, NEUTRAL, f"target {fmt.num(target)}", right=right, dash="dash")


def _spread(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median, and the distances down to the min and up to the max, over the last axis."""
    med = np.median(samples, axis=-1)
    return med, med - samples.min(axis=-1), samples.max(axis=-1) - med


def time_per_step(timing: Timing) -> go.Figure:
    """Measured wall time per step against depth, min-max bars, least-squares lines."""
    fig = go.Figure()
    ms = 1e3
    x = timing.depths
    line_x = np.array([0, x.max()])
    for w, width in enumerate(timing.widths):
        color, symbol = WIDTH_COLORS[w % len(WIDTH_COLORS)], WIDTH_SYMBOLS[w % len(WIDTH_SYMBOLS)]
        med, lo, hi = _spread(timing.seconds[w] * ms)
        fig.add_trace(dict(
            type="scatter", x=x, y=med, mode="markers", name=f"width {width}: wall time (median)",
            marker=dict(color=color, size=9, symbol=symbol),
            error_y=dict(type="data", symmetric=False, array=hi, arrayminus=lo, color=color)))
        cpu = np.median(timing.cpu_seconds[w], axis=-1) * ms
        fig.add_trace(dict(
            type="scatter", x=x, y=cpu, mode="markers", name=f"width {width}: CPU time of the thread",
            marker=dict(color=color, size=8, symbol=symbol + "-open")))
        fit = timing.fit(w)
        fig.add_trace(dict(
            type="scatter", x=line_x, y=(fit.intercept + fit.slope * line_x) * ms, mode="lines",
            line=dict(color=color, dash=("dash", "dot", "dashdot")[w % 3]),
            name=f"fit: +{fmt.seconds(fit.slope)} per layer, R² = {fit.r2:.3f}"))
    if timing.cuda_name:
        med, lo, hi = _spread(timing.cuda_seconds * ms)
        fig.add_trace(dict(
            type="scatter", x=x, y=med, mode="markers+lines",
            name=f"GPU ({timing.cuda_name}), width {timing.widths[0]}",
            marker=dict(color=CUDA_COLOR, size=9, symbol="triangle-up"), line=dict(color=CUDA_COLOR),
            error_y=dict(type="data", symmetric=False, array=hi, arrayminus=lo, color=CUDA_COLOR)))
    layout(fig, "Time per training step, measured", "hidden layers (depth)", "milliseconds per step",
           plot=280, notes=[f"{fmt.integer(timing.settings.time_points)} points; CPU series on "
                            f"{fmt.integer(timing.threads)} thread{'s' if timing.threads != 1 else ''}"])
    _depth_axis(fig, x, rangemode="tozero")
    return update_axis(fig, "yaxis", rangemode="tozero")


def compute_per_step(timing: Timing) -> go.Figure:
    """Computed FLOPs per step (left axis) and parameters (right axis) against depth."""
    fig = go.Figure(layout=SECONDARY_Y)
    for w, width in enumerate(timing.widths):
        color, symbol = WIDTH_COLORS[w % len(WIDTH_COLORS)], WIDTH_SYMBOLS[w % len(WIDTH_SYMBOLS)]
        fig.add_trace(dict(type="scatter", x=timing.depths, y=timing.flops_per_step[w] / 1e9,
                           mode="lines+markers", name=f"width {width}: GFLOP per step",
                           line=dict(color=color), marker=dict(symbol=symbol), xaxis="x", yaxis="y"))
        fig.add_trace(dict(type="scatter", x=timing.depths, y=timing.params[w], mode="lines+markers",
                           name=f"width {width}: parameters", line=dict(color=color, dash="dot"),
                           marker=dict(symbol=symbol + "-open"), xaxis="x", yaxis="y2"))
    layout(fig, "Compute per step, counted (not measured)", "hidden layers (depth)",
           "GFLOP per training step", plot=280, notes=[f"{timing.settings.time_points} training points"])
    update_axis(fig, "yaxis2", title=dict(text="parameters"), rangemode="tozero")
    update_axis(fig, "yaxis", rangemode="tozero")
    _depth_axis(fig, timing.depths)
    return restyle(fig, NORMAL)


def achieved_speed(timing: Timing) -> go.Figure:
    """Counted FLOPs / measured median time: how busy the arithmetic units were."""
    fig = go.Figure()
    g = timing.gflops()
    for w, width in enumerate(timing.widths):
        look = series_style(w, WIDTH_COLORS[w % len(WIDTH_COLORS)])
        look["marker"]["symbol"] = WIDTH_SYMBOLS[w % len(WIDTH_SYMBOLS)]
        fig.add_trace(dict(type="scatter", x=timing.depths, y=plottable(g[w]), mode="lines+markers",
                           name=f"width {width}", **look))
    layout(fig, "Achieved speed: counted FLOPs / measured time", "hidden layers (depth)", "GFLOP/s")
    _depth_axis(fig, timing.depths)
    return update_axis(fig, "yaxis", rangemode="tozero")


def hardware(timing: Timing) -> go.Figure:
    """Time per step of the deepest timed network: 1 thread, all threads, GPU if present."""
    labels, samples, colors = [], [], []
    w0 = int(timing.widths[0])
    if len(timing.thread_counts):
        for h, s in zip(timing.thread_counts, timing.thread_seconds):
            labels.append(f"CPU, {h} thread{'s' if h > 1 else ''}")
            samples.append(s)
            colors.append(NEUTRAL if h == 1 else WIDTH_COLORS[0])
    else:
        labels.append("CPU, 1 thread")
        samples.append(timing.seconds[0, -1])
        colors.append(NEUTRAL)
    if timing.cuda_name:
        labels.append(f"GPU: {timing.cuda_name}")
        samples.append(timing.cuda_seconds[-1])
        colors.append(CUDA_COLOR)
    med, lo, hi = _spread(np.array(samples) * 1e3)
    fig = go.Figure([dict(type="bar", x=labels, y=med, marker=dict(color=colors),
                          error_y=dict(type="data", symmetric=False, array=hi, arrayminus=lo),
                          text=[fmt.seconds(m / 1e3) for m in med], textposition="outside")])
    update_axis(fig, "yaxis", rangemode="tozero")
    notes = [] if timing.cuda_name else ["no CUDA GPU on this machine"]
    return layout(fig, f"Hardware: one step at depth {timing.settings.time_max_depth}, width {w0}", "",
                  "milliseconds per step (median, min–max)", notes=notes)


def _per_depth_markers(fig: go.Figure, result: Result, values: np.ndarray, scale: float,
                       ceiling: float, unit: str) -> None:
    """Median over seeds per variant and depth; 'not reached' (NaN) counts as above `ceiling`."""
    n_seeds, steps = values.shape[-1], result.settings.steps
    for v, label in enumerate(result.variants):
        vals = np.where(np.isfinite(values[v]), values[v] * scale, np.inf)  # [D, S]
        med = np.median(vals, axis=-1)
        reached = np.isfinite(vals).sum(axis=-1)
        look = series_style(v, VARIANT_COLORS[v % len(VARIANT_COLORS)])
        color = look["line"]["color"]
        look["marker"]["size"] = 9
        ok = np.isfinite(med)
        safe = np.where(ok, med, 0.0)
        lo = np.where(ok, safe - np.where(ok, vals.min(axis=-1), 0.0), 0.0)
        hi = np.where(ok, np.clip(np.minimum(vals.max(axis=-1), ceiling) - safe, 0.0, None), 0.0)
        text = [f"{fmt.num(m) + ' ' + unit if good else 'not reached'}<br>reached on {r} of {n_seeds} seeds"
                for m, good, r in zip(med, ok, reached)]
        fig.add_trace(dict(
            type="scatter", x=result.depths, y=[float(m) if good else None for m, good in zip(med, ok)],
            mode="lines+markers", name=label, **look,
            error_y=dict(type="data", symmetric=False, array=hi, arrayminus=lo, color=color),
            text=text, hovertemplate="depth %{x}: %{text}<extra>" + label + "</extra>"))
        if (~ok).any():
            fig.add_trace(dict(
                type="scatter", x=result.depths[~ok], y=[ceiling] * int((~ok).sum()), mode="markers",
                marker=dict(symbol="x", size=12, color=color), showlegend=False,
                text=[f"{label}: not reached in {steps} steps (median seed)"] * int((~ok).sum()),
                hovertemplate="depth %{x}<br>%{text}<extra></extra>"))


def steps_to_target(result: Result) -> go.Figure:
    """Steps until the training loss first reaches the target; x = not reached."""
    fig = go.Figure()
    _per_depth_markers(fig, result, result.steps_to_target, 1.0, float(result.settings.steps), "steps")
    target = fmt.num(result.settings.target_loss)
    layout(fig, f"Steps to reach training loss {target}", "hidden layers (depth)", "training steps",
           plot=280, notes=["median, min–max over seeds; x = not reached"])
    hline(fig, result.settings.steps, NEUTRAL, f"limit: {fmt.integer(result.settings.steps)} steps")
    _depth_axis(fig, result.depths, log=True)
    return update_axis(fig, "yaxis", rangemode="tozero")


def time_to_target(result: Result) -> go.Figure:
    """Wall time until the target: the model's share of its batched run."""
    fig = go.Figure()
    finite = result.seconds_to_target[np.isfinite(result.seconds_to_target)]
    per_step_max = float(np.nanmax(result.seconds_per_step)) * result.settings.steps * 1e3
    ceiling = max(float(finite.max()) * 1e3 if len(finite) else 0.0, per_step_max)
    _per_depth_markers(fig, result, result.seconds_to_target, 1e3, ceiling, "ms")
    layout(fig, "Wall time to reach the target", "hidden layers (depth)", "milliseconds", plot=280,
           notes=["wall time recorded when this result was computed (each network's share of a "
                  "batched run, possibly on another machine); median, min–max over seeds; "
                  "x = not reached"])
    _depth_axis(fig, result.depths, log=True)
    return update_axis(fig, "yaxis", rangemode="tozero")


def final_loss(result: Result) -> go.Figure:
    """Training loss after the last step against depth (median, min-max), log scale."""
    fig = go.Figure()
    for v, label in enumerate(result.variants):
        vals = result.final_loss[v]  # [D, S]
        look = series_style(v, VARIANT_COLORS[v % len(VARIANT_COLORS)])
        color = look["line"]["color"]
        look["marker"]["size"] = 9
        med = np.array([np.nanmedian(r) if np.isfinite(r).any() else np.nan for r in vals])
        lo = np.array([np.nanmin(r) if np.isfinite(r).any() else np.nan for r in vals])
        hi = np.array([np.nanmax(r) if np.isfinite(r).any() else np.nan for r in vals])
        fig.add_trace(dict(
            type="scatter", x=result.depths, y=plottable(med, log=True), mode="lines+markers", name=label,
            **look, customdata=fmt.nums(med),
            hovertemplate="depth %{x}: %{customdata}<extra>" + label + "</extra>",
            error_y=dict(type="data", symmetric=False, array=np.nan_to_num(hi - med),
                         arrayminus=np.nan_to_num(np.clip(med - lo, 0, None)), color=color)))
    steps = fmt.integer(result.settings.steps)
    notes = ["median, min–max over seeds"]
    n_div = int(result.diverged.sum())
    if n_div:
        notes.append(f"{n_div} run(s) diverged (NaN/inf) and are left out")
    zeros = zero_count(result.final_loss)
    if zeros:
        notes.append(f"{zeros} loss value(s) are exactly 0 in float32 and cannot be drawn on a log axis")
    layout(fig, f"Training loss after {steps} steps", "hidden layers (depth)", "training loss (log scale)",
           log_y=True, plot=280, notes=notes)
    hline(fig, LN2, NEUTRAL, "ln 2 = 0.693: a coin flip", above=True)
    _target_line(fig, result, right=True)
    _depth_axis(fig, result.depths, log=True)
    return fig


def loss_curves(result: Result, depth_index: int = -1) -> go.Figure:
    """Training loss over steps at one depth, every variant and seed (thin lines)."""
    fig = go.Figure()
    depth = int(result.depths[depth_index])
    steps = np.arange(result.losses.shape[-1])
    drawn = False
    for v, label in enumerate(result.variants):
        look = series_style(v, VARIANT_COLORS[v % len(VARIANT_COLORS)])["line"]
        for j, seed in enumerate(result.seeds):
            y = plottable(result.losses[v, depth_index, j], log=True)
            drawn = drawn or any(val is not None for val in y)
            fig.add_trace(dict(type="scatter", x=steps, y=y, mode="lines", line=dict(look, width=1.5),
                               name=label, legendgroup=label, showlegend=j == 0,
                               customdata=fmt.nums(result.losses[v, depth_index, j]),
                               hovertemplate=f"{label}, seed {seed}<br>step %{{x}}: %{{customdata}}"
                                             "<extra></extra>"))
    n_div = int(result.diverged[:, depth_index].sum())
    notes = ["one line per seed"]
    if n_div:
        notes.append(f"{n_div} run(s) diverged: their lines stop where the loss became NaN/inf")
    layout(fig, f"Training loss during training, depth {depth}", "training steps (updates)",
           "training loss (log scale)", log_y=True, plot=280, notes=notes)
    _target_line(fig, result, right=False)
    if not drawn:
        empty_note(fig, "nothing finite to plot: every run diverged at once")
    return fig


def degradation(result: Result) -> go.Figure:
    """The batch-norm networks trained `long_steps`: training loss over steps at the shallow and the
    deepest depth (dotted and solid), without and with residual connections, one line per seed."""
    fig = go.Figure()
    steps = np.arange(result.long_losses.shape[-1])
    depths = [int(d) for d in result.long_depths]
    drawn = False
    for v, label in enumerate(result.long_variants):
        look = series_style(LONG[v % len(LONG)], VARIANT_COLORS[LONG[v % len(LONG)]])
        color = look["line"]["color"]
        # colour and marker: the variant (as on the other charts); solid: the deeper network
        marker = dict(symbol=look["marker"]["symbol"], color=color, size=8, maxdisplayed=12)
        for i, depth in enumerate(depths):
            name = f"{label}, depth {depth}"
            dash = "solid" if i == len(depths) - 1 else "dot"
            for j, seed in enumerate(result.seeds):
                curve = result.long_losses[v, i, j]
                y = plottable(curve, log=True)
                drawn = drawn or any(val is not None for val in y)
                fig.add_trace(dict(
                    type="scatter", x=steps, y=y, mode="lines+markers",
                    line=dict(color=color, width=1.5, dash=dash),
                    marker=marker, name=name,
                    legendgroup=name, showlegend=j == 0, customdata=fmt.nums(curve),
                    hovertemplate=f"{name}, seed {seed}<br>step %{{x}}: %{{customdata}}<extra></extra>"))
    layout(fig, f"Batch-norm networks, {fmt.integer(result.long_steps)} steps: training loss at depths "
                f"{' and '.join(str(d) for d in depths)}",
           "training steps (updates)", "training loss (log scale)", log_y=True, plot=300,
           notes=["one line per seed"])
    _target_line(fig, result, right=False)
    hline(fig, LN2, NEUTRAL, "ln 2 = 0.693: a coin flip", above=True)
    if not drawn:
        empty_note(fig, "nothing finite to plot: every run diverged at once")
    return fig


# the page's two-column rows, in order
TIMING_PAIRS = ((time_per_step, compute_per_step), (hardware, achieved_speed))
TRAINED_PAIRS = ((loss_curves, final_loss), (steps_to_target, time_to_target))
