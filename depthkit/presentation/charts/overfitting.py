"""Figures for the Overfitting page: curves, boundaries (flipped labels crossed), seed spread, capacity.

Pure functions of `depthkit.experiments.overfitting.Result` (and `SweepResult`
for the capacity chart); no training, no Streamlit.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from depthkit.core import fmt
from depthkit.experiments.overfitting import N_TEST, Result, SweepResult
from depthkit.presentation.charts.common import (
    FIX,
    NEUTRAL,
    NORMAL,
    PROBLEM,
    boundary_figure,
    layout,
    mark_step,
    plottable,
    restyle,
    rgba,
    update_axis,
)
from depthkit.presentation.text.overfitting import remedy_label, role_title

COLORS = {"problem": PROBLEM, "remedy": FIX}
SYMBOLS = {"problem": "circle", "remedy": "diamond"}  # each role's dots, told apart without colour
# the axes of plotly's make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08), which
# costs a third of the curves chart's time (measured): two panels, one above the other, one x range,
# tick labels under the lower one only (tests/test_chart_restyle.py checks that they are the same)
TWO_ROWS = dict(xaxis=dict(anchor="y", domain=[0.0, 1.0], matches="x2", showticklabels=False),
                yaxis=dict(anchor="x", domain=[0.54, 1.0]), xaxis2=dict(anchor="y2", domain=[0.0, 1.0]),
                yaxis2=dict(anchor="x2", domain=[0.0, 0.46]))


def curves(result: Result, role: str) -> go.Figure:
    """First seed's train vs validation accuracy (top) and loss (bottom), the gap shaded."""
    color, net = COLORS[role], getattr(result, role)[0]
    # no subplot titles: the y axis titles name the panels, and nothing sits between title and plot
    fig = go.Figure(layout=TWO_ROWS)
    steps = np.arange(len(net.training.train_loss))
    hover = "step %{x}: %{customdata}"
    for row, metric, log in ((1, "acc", False), (2, "loss", True)):
        train, val = getattr(net.training, f"train_{metric}"), getattr(net.training, f"val_{metric}")
        axes = dict(xaxis="x" if row == 1 else "x2", yaxis="y" if row == 1 else "y2")
        # validation first, then train filled to it: the shaded band is the gap
        fig.add_trace(dict(type="scatter", x=steps, y=plottable(val, log), name="validation", mode="lines",
                           line=dict(color=color, dash="dot"), legendgroup="val",
                           customdata=fmt.nums(val, 3), hovertemplate=hover, showlegend=row == 1, **axes))
        fig.add_trace(dict(type="scatter", x=steps, y=plottable(train, log), name="train (gap shaded)",
                           customdata=fmt.nums(train, 3), hovertemplate=hover, mode="lines",
                           line=dict(color=color), fill="tonexty", fillcolor=rgba(color, 0.18),
                           legendgroup="train", showlegend=row == 1, **axes))
    layout(fig, f"{role_title(result, role)}: train vs validation (seed {result.seeds[0]})", "", "", plot=360)
    update_axis(fig, "yaxis", title=dict(text="accuracy"), range=[0.4, 1.02])
    update_axis(fig, "yaxis2", title=dict(text="loss (cross-entropy, log)"), type="log",
                exponentformat="power")
    update_axis(fig, "xaxis2", title=dict(text="training step"))
    # one line through both panels (shared x), the note once
    if role == "remedy" and result.settings.remedy == "early stopping":
        best, stopped = net.training.best_step, net.training.stopped_step
        if best is not None:
            mark_step(fig, best, FIX, f"best val. loss: step {best} (restored)", top=False)
        if stopped is not None:
            mark_step(fig, stopped, NEUTRAL, f"stopped: step {stopped}", dash="dot")
    if net.diverged:
        mark_step(fig, net.diverged_step, color, f"non-finite at step {net.diverged_step}")
    return restyle(fig, NORMAL)


def boundary(result: Result, role: str) -> go.Figure:
    """First seed's decision boundary with training points (large) and validation points (small)."""
    X, y, flipped = result.first_points(role)
    size = 9 if len(y) <= 100 else 6  # "more data" draws hundreds of training points
    pts = result.points
    return boundary_figure(result.grid.x, result.grid.y, getattr(result, role)[0].boundary,
                           f"{role_title(result, role)}: decision boundary ({len(y)} training points)",
                           COLORS[role], [("validation", pts.X_val, pts.y_val, 4), ("training", X, y, size)],
                           flipped=(X, flipped))


def _stats(values: np.ndarray) -> tuple[float, float, float]:
    return float(values.mean()), float(values.mean() - values.min()), float(values.max() - values.mean())


SPREAD_GROUPS = ("train accuracy", "test accuracy", "gap (train − test)")


def spread_values(result: Result, role: str) -> list[np.ndarray]:
    """What the spread chart plots for `role`, one [S] array per group of SPREAD_GROUPS."""
    return [result.stack(role, "final_train_acc"), result.stack(role, "test_acc"), result.gap(role)]


def spread(result: Result) -> go.Figure:
    """Mean (bar) and range (whisker) over seeds of train/test accuracy and gap; a dot per seed."""
    traces = []
    for role, offset in (("problem", -0.2), ("remedy", 0.2)):
        values, color = spread_values(result, role), COLORS[role]
        pattern = dict(shape="/" if role == "remedy" else "", fgcolor=color)  # hatched: readable in grey
        stats = [_stats(v) for v in values]
        traces.append(dict(type="bar", x=[i + offset for i in range(3)], y=[s[0] for s in stats], width=0.38,
                           name=f"{role_title(result, role)} (mean, range)",
                           marker=dict(color=rgba(color, 0.55), pattern=pattern,
                                       line=dict(color=color, width=1.5)),
                           customdata=[fmt.percent(s[0]) for s in stats],
                           hovertemplate="mean %{customdata}<extra></extra>",
                           error_y=dict(type="data", symmetric=False, array=[s[2] for s in stats],
                                        arrayminus=[s[1] for s in stats], color=NEUTRAL)))
        xs = np.concatenate([np.full(len(v), i + offset) for i, v in enumerate(values)])
        ys = np.concatenate(values)
        seeds = np.tile(result.seeds, 3)
        traces.append(dict(type="scatter", x=xs, y=ys, mode="markers", showlegend=False,
                           marker=dict(color=color, size=7, symbol=SYMBOLS[role],
                                       line=dict(color="#FFFFFF", width=1)),
                           customdata=[f"seed {s}: {fmt.percent(y)}" for s, y in zip(seeds, ys)],
                           hovertemplate="%{customdata}<extra></extra>"))
    fig = go.Figure(traces, layout=dict(xaxis=dict(tickvals=[0, 1, 2], ticktext=list(SPREAD_GROUPS)),
                                        barmode="overlay"))
    return layout(fig, f"Over {len(result.seeds)} seeds: no remedy vs {remedy_label(result.settings)}",
                  "", "accuracy / gap (fraction)", plot=280,
                  notes=[f"test: {fmt.integer(N_TEST)} held-out points"])


def capacity(sweep: SweepResult) -> go.Figure:
    """Final train and test accuracy against depth: mean over seeds with range, gap shaded."""
    fig = go.Figure()
    for name, values, dash, symbol, fill in (("test", sweep.acc("test"), "dot", "diamond", None),
                                             ("train (gap shaded)", sweep.acc("train"), "solid", "circle",
                                              "tonexty")):
        mean = values.mean(axis=1)
        labels = [f"depth {d} ({fmt.integer(p)} parameters): {fmt.percent(m)}"
                  for d, p, m in zip(sweep.depths, sweep.params, mean)]
        fig.add_trace(dict(
            type="scatter", x=sweep.depths, y=mean, name=f"{name}, mean over {values.shape[1]} seeds",
            mode="lines+markers",
            line=dict(color=PROBLEM, dash=dash), marker=dict(symbol=symbol, size=8), fill=fill,
            fillcolor=rgba(PROBLEM, 0.18), customdata=labels,
            hovertemplate="%{customdata}<extra></extra>",
            error_y=dict(type="data", symmetric=False, array=values.max(axis=1) - mean,
                         arrayminus=mean - values.min(axis=1), color=NEUTRAL)))
    # a neutral title: what is plotted, not what it should show
    layout(fig, "Capacity (no remedy): train and test accuracy against depth",
           "hidden layers (depth)", "final accuracy", plot=280)
    return update_axis(fig, "xaxis", tickvals=[int(d) for d in sweep.depths],
                       ticktext=[str(d) for d in sweep.depths])
