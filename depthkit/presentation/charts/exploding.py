"""Figures for the exploding-gradients page: pure functions of an exploding.Result.

A run that became non-finite keeps every chart readable: its curve stops at
the last finite value, a cross marks the step where it diverged, and a dashed
line carries the note ("problem diverged at step 2: loss became infinite"), worded from the
cause the run recorded. Hover labels are preformatted with depthkit.core.fmt.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import plotly.graph_objects as go

from depthkit.core import fmt
from depthkit.experiments import exploding as exp
from depthkit.experiments.exploding import Result
from depthkit.experiments.record import Network
from depthkit.presentation.charts import common
from depthkit.presentation.charts.common import (
    BLACK,
    DIVERGING,
    FIX,
    NEUTRAL,
    PROBLEM,
    YELLOW,
    plottable,
    series_style,
)
from depthkit.presentation.text import exploding as text

# two notes at one step do not overlap: the problem's at the top, the fix's at the bottom
_NOTE_TOP = {PROBLEM: True, FIX: False}
# each network's line and marker, told apart without colour: the problem's solid with circles
_LOOK = {PROBLEM: ("solid", "circle"), FIX: ("dash", "square")}


def _finish(fig: go.Figure, title: str, x_title: str, y_title: str, *, log_y: bool = True,
            notes: list[str] | None = None, plot: int = 280) -> go.Figure:
    """common.layout with the notes under the title."""
    return common.layout(fig, title, x_title, y_title, log_y=log_y, plot=plot, notes=notes or [])


def _hover(values: np.ndarray, what: str, x_name: str) -> dict:
    """customdata and hovertemplate so the hover label shows fmt's numbers, never 2.4e+03."""
    return dict(customdata=fmt.nums(np.asarray(values, dtype=float)),
                hovertemplate=f"{x_name} %{{x}}<br>{what} %{{customdata}}<extra>%{{fullData.name}}</extra>")


def _finite_top(*series: np.ndarray) -> float:
    """The largest finite positive value of the series (1.0 if none): where crosses are drawn."""
    values = np.concatenate([np.asarray(s, dtype=float).ravel() for s in series])
    ok = values[np.isfinite(values) & (values > 0)]
    return float(ok.max()) if ok.size else 1.0


def _mark(fig: go.Figure, net: Network, role: str, color: str, y: float) -> None:
    """Cross at the diverged step plus a dashed line with the note (common.mark_step)."""
    step = net.diverged_step
    if step is None:  # it did not diverge
        return
    note = text.divergence_note(net, role)
    # the note runs into the chart, away from the nearer edge
    xanchor = "left" if step < 0.6 * exp.steps(net) else "right"
    common.mark_step(fig, step, color, note, top=_NOTE_TOP[color], xanchor=xanchor)
    fig.add_trace(dict(type="scatter", x=[step], y=[y], mode="markers", name=f"{role} diverged",
                       marker=dict(symbol="x", size=14, color=color), showlegend=False,
                       hovertext=[note], hoverinfo="text"))


def _series(fig: go.Figure, net: Network, values: np.ndarray, color: str, what: str) -> None:
    fig.add_trace(dict(type="scatter", x=np.arange(len(values)).tolist(), y=plottable(values, log=True),
                       mode="lines", name=net.label, line=dict(color=color, width=2, dash=_LOOK[color][0]),
                       **_hover(values, what, "step")))


def _over_steps(r: Result, values: Callable[[Network], np.ndarray], what: str, title: str,
                y_title: str) -> go.Figure:
    """Both runs' `values(net)` over the training steps, log scale, divergences marked."""
    fig = go.Figure()
    runs = ((r.problem, "problem", PROBLEM), (r.fix, "compared", FIX))
    for net, _, color in runs:
        _series(fig, net, values(net), color, what)
    top = _finite_top(*(values(net) for net, _, _ in runs))
    for net, role, color in runs:
        _mark(fig, net, role, color, top)
    if all(not any(v is not None for v in plottable(values(net), log=True)) for net, _, _ in runs):
        common.empty_note(fig, "nothing finite to plot: both runs were non-finite from the start")
    _finish(fig, title, "training step", y_title)
    # notes near step 0 would stretch the autorange to negative steps
    return common.update_axis(fig, "xaxis", range=[-0.5, max(exp.steps(r.problem), exp.steps(r.fix)) - 0.5])


def losses(r: Result) -> go.Figure:
    """Training loss of both runs (log scale) with the divergence marked."""
    return _over_steps(r, lambda net: net.training.loss, "loss", "Training loss",
                       "binary cross-entropy (log scale)")


def grad_norms(r: Result) -> go.Figure:
    """Gradient norm before clipping (log scale); crosses where a run diverged, dots where clipping acted."""
    fig = _over_steps(r, lambda net: net.training.grad_norm, "grad norm",
                      "Gradient norm over training (before clipping)", "||gradient|| (log scale)")
    fix = r.fix
    if r.settings.fix == "clipping":
        clip = r.settings.clip_norm
        steps = np.flatnonzero(fix.training.clipped)
        # ticks along the threshold, so the gradient curve itself stays readable
        fig.add_trace(dict(type="scatter", x=steps.tolist(), y=[clip] * len(steps), mode="markers",
                           name=f"clipping acted ({len(steps)} of {exp.steps(fix)} steps)",
                           marker=dict(symbol="line-ns-open", size=8, color=FIX)))
        common.hline(fig, clip, NEUTRAL, f"clip threshold {fmt.num(clip)}", right=False)
        common.restyle(fig, common.NORMAL)  # the new legend entry counts in the height
    return fig


def weight_norms(r: Result) -> go.Figure:
    """Norm of all hidden weights together over training (log scale)."""
    return _over_steps(r, exp.total_weight_norm, "weight norm", "Weight norm over training",
                       "||W|| of all hidden layers (log scale)")


def _per_layer(r: Result, field: str, title: str, y_title: str) -> go.Figure:
    """One line per network that differs at step 0: the probe's `field` per hidden layer."""
    fig = go.Figure()
    runs = [(r.problem, PROBLEM)] + ([(r.fix, FIX)] if r.settings.changes_init else [])
    zeros = 0
    for net, color in runs:
        values = getattr(net.at_init, field)
        zeros += common.zero_count(values)
        fig.add_trace(dict(type="scatter", x=np.arange(1, len(values) + 1).tolist(),
                           y=plottable(values, log=True), mode="lines+markers", name=net.label,
                           line=dict(color=color, width=2, dash=_LOOK[color][0]),
                           marker=dict(symbol=_LOOK[color][1]),
                           **_hover(values, y_title.split(" (")[0], "layer")))
    notes = []
    if not r.settings.changes_init:
        notes.append(text.same_start(r.settings))
    if zeros:
        notes.append(f"{zeros} value(s) are exactly 0 (below float32's range) and not drawn")
    return _finish(fig, title, "hidden layer l (1 = next to the input)", y_title, notes=notes)


def signal_per_layer(r: Result) -> go.Figure:
    """||dL/dh_l|| at initialization, per hidden layer."""
    return _per_layer(r, "signal_grad_norms", "Backward signal at initialization",
                      "||dL/dh_l|| (log scale)")


def weight_grad_per_layer(r: Result) -> go.Figure:
    """||dL/dW_l|| at initialization, per hidden layer."""
    return _per_layer(r, "weight_grad_norms", "Weight gradient at initialization",
                      "||dL/dW_l|| (log scale)")


def repeated_product(r: Result) -> go.Figure:
    """Norm of a unit vector after k random matrices of each gain (log scale)."""
    fig = go.Figure()
    k = np.arange(r.product_norms.shape[1]).tolist()
    for i, (gain, norms) in enumerate(zip(r.product_gains, r.product_norms)):
        mine = bool(np.isclose(gain, r.settings.init_gain))
        look = series_style(i)
        look["line"]["width"] = 4 if mine else 1.5
        look["marker"].update(size=7, maxdisplayed=12)  # a few markers: told apart without colour
        fig.add_trace(dict(
            type="scatter", x=k, y=plottable(norms, log=True), mode="lines+markers",
            name=f"g = {fmt.num(gain)}" + (" (this page's gain)" if mine else ""), **look,
            **_hover(norms, "||x||", "matrices")))
    common.mark_step(fig, r.settings.depth, NEUTRAL, f"this page's depth: {r.settings.depth}", dash="dot")
    return _finish(fig, f"Repeated multiplication: a {r.settings.width}-d vector, random matrices",
                   "matrices multiplied (entries ~ N(0, g<sup>2</sup>/width))", "||x|| (log scale)",
                   notes=["a new matrix at each step, as in a deep feedforward network; a recurrent network "
                          "multiplies by the same matrix at every time step (Pascanu et al. 2013)"])


def gain_depth_map(r: Result) -> go.Figure:
    """The gain × depth map of the backward-signal ratio log10 ||dL/dh_1|| / ||dL/dh_L||, the
    ratio-1 line and this setting. Not a phase diagram: for ReLU there is no chaotic phase,
    the gain only rescales the ratio."""
    z = np.asarray(r.phase_log_ratio, dtype=float)
    finite = z[np.isfinite(z)]
    zmax = float(np.clip(np.abs(finite).max(), 1.0, 30.0)) if finite.size else 1.0
    # hover: the ratio itself, written for people ("5.2 × 10⁵"), not its logarithm
    with np.errstate(over="ignore"):
        ratio = [[fmt.num(10 ** v) if np.isfinite(v) else "not measurable (under- or overflow)"
                  for v in row] for row in z]
    s = r.settings
    missing = int(z.size - finite.size)
    notes = ["red-orange: ratio above 1, the signal grows on its way back to the input (exploding); "
             "blue: below 1 (vanishing)"]
    if missing:
        notes.append(f"{missing} blank cell(s): a norm under- or overflowed float32")
    if s.activation == "relu":
        notes.append("ReLU has no chaotic phase: the gain only rescales the ratio, about (g/√2)<sup>L−1</sup>"
                     " times He init's")
    elif s.activation == "tanh":
        notes.append(text.tanh_map_note(r))
    ticks = list(range(-int(zmax), int(zmax) + 1, max(1, int(zmax) // 4)))
    traces = [dict(type="heatmap", x=r.phase_gains.tolist(), y=r.phase_depths.tolist(),
                   z=[[float(v) if np.isfinite(v) else None for v in row] for row in z], customdata=ratio,
                   zmin=-zmax, zmax=zmax, zmid=0, colorscale=DIVERGING,
                   hovertemplate="g = %{x}<br>depth %{y}<br>ratio %{customdata}<extra></extra>",
                   colorbar=dict(title="ratio", tickvals=ticks,
                                 ticktext=[fmt.power_of_ten(t) for t in ticks]))]
    ok = np.isfinite(r.phase_crossing)
    if ok.any():
        traces.append(dict(type="scatter", x=r.phase_crossing[ok].tolist(), y=r.phase_depths[ok].tolist(),
                           customdata=fmt.nums(r.phase_crossing[ok]),
                           hovertemplate="ratio 1 at g ≈ %{customdata}, depth %{y}<extra></extra>",
                           mode="lines+markers", name="ratio = 1", line=dict(color=BLACK, width=2)))
    traces.append(dict(type="scatter", x=[s.init_gain], y=[s.depth], mode="markers", name="this setting",
                       hovertemplate=f"this setting: g = {fmt.num(s.init_gain)}, depth {s.depth}"
                                     "<extra></extra>",
                       marker=dict(symbol="star", size=16, color=YELLOW, line=dict(color=BLACK, width=1))))
    fig = go.Figure(traces)
    return _finish(fig, f"Gain × depth map ({s.activation}, at init): backward-signal ratio "
                        "||dL/dh<sub>1</sub>|| / ||dL/dh<sub>L</sub>||",
                   "init gain g (weights ~ N(0, g<sup>2</sup>/fan_in))", "depth (hidden layers)",
                   log_y=False, notes=notes, plot=320)


def batch_norm_depth(r: Result) -> go.Figure:
    """First/last weight-gradient ratio at initialization against depth, batch norm without and
    with residual connections: median line, range band over the initializations."""
    fig = go.Figure()
    depths = r.bn_depths.tolist()
    med = exp.bn_medians(r)
    n = r.bn_ratio.shape[1]
    for i, (name, color) in enumerate((("batch norm, no skips", PROBLEM),
                                       ("batch norm + residual connections", FIX))):
        dash, symbol = _LOOK[color]
        lo, hi = r.bn_ratio[i].min(axis=0), r.bn_ratio[i].max(axis=0)
        fig.add_trace(dict(type="scatter", x=depths + depths[::-1],
                           y=plottable(np.r_[hi, lo[::-1]], log=True), fill="toself", fillcolor=color,
                           opacity=0.18, line=dict(width=0),
                           hoverinfo="skip", showlegend=False, name=f"{name}: range"))
        fig.add_trace(dict(type="scatter", x=depths, y=plottable(med[i], log=True), mode="lines+markers",
                           name=f"{name} (median of {n})", line=dict(color=color, width=2, dash=dash),
                           marker=dict(symbol=symbol),
                           customdata=[f"{fmt.num(m)} (range {fmt.num(a)} to {fmt.num(b)})"
                                       for m, a, b in zip(med[i], lo, hi)],
                           hovertemplate="depth %{x}<br>ratio %{customdata}<extra></extra>"))
    common.append(fig, shapes=(dict(type="line", x0=0, x1=1, y0=1, y1=1, xref="paper", yref="y",
                                    line=dict(color=NEUTRAL, dash="dot")),))
    return _finish(fig, f"Batch norm at initialization ({r.settings.activation}): "
                        "||dL/dW<sub>1</sub>|| / ||dL/dW<sub>L</sub>|| against depth",
                   "depth (hidden layers)", "first / last layer's weight gradient (log scale)",
                   notes=["Yang et al. 2019: without skips, a batch-norm network's gradients grow with "
                          "depth at initialization; the dotted line is a ratio of 1"])


# The page's charts in reading order, two to a row: (builder, key)
CHARTS = ((grad_norms, "grad_norms"), (losses, "losses"), (signal_per_layer, "signal"),
          (weight_grad_per_layer, "weight_grad"), (weight_norms, "weight_norms"),
          (repeated_product, "product"), (gain_depth_map, "gain_depth_map"),
          (batch_norm_depth, "batch_norm"))
