"""Figures for the Overfitting page: curves, boundaries (flipped labels crossed), seed spread, capacity.

Pure functions of `depthkit.experiments.overfitting.Result`; no training, no Streamlit.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from depthkit import fmt
from depthkit.charts.common import (
    FIX,
    NEUTRAL,
    PROBLEM,
    empty_note,
    layout,
    legend_below,
    mark_divergence,
    plottable,
)
from depthkit.experiments.overfitting import N_TEST
from depthkit.experiments.overfitting import capacity as join_capacity

GAP_FILL = "rgba(209, 73, 91, 0.18)"


def _role(result, role: str) -> tuple[str, str]:
    """(title, colour) of 'problem' or 'remedy'."""
    if role == "problem":
        return "No remedy", PROBLEM
    return f"With {result.remedy}", FIX


def curves(result, role: str) -> go.Figure:
    """First seed's train vs validation accuracy (top) and loss (bottom), the gap shaded."""
    title, color = _role(result, role)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("Accuracy", "Loss (binary cross-entropy, log scale)"))
    steps = np.arange(result.problem_train_loss.shape[1])
    hover = "step %{x}: %{customdata}"
    for row, metric, log in ((1, "acc", False), (2, "loss", True)):
        train = getattr(result, f"{role}_train_{metric}")[0]
        val = getattr(result, f"{role}_val_{metric}")[0]
        # validation first, then train filled to it: the shaded band is the gap
        fig.add_trace(go.Scatter(x=steps, y=plottable(val, log), name="validation", mode="lines",
                                 line=dict(color=color, dash="dot"), legendgroup="val",
                                 customdata=fmt.nums(val, 3), hovertemplate=hover,
                                 showlegend=row == 1), row=row, col=1)
        fig.add_trace(go.Scatter(x=steps, y=plottable(train, log), name="train (gap shaded)",
                                 customdata=fmt.nums(train, 3), hovertemplate=hover,
                                 mode="lines", line=dict(color=color), fill="tonexty",
                                 fillcolor=GAP_FILL, legendgroup="train", showlegend=row == 1),
                      row=row, col=1)
    fig.update_yaxes(title_text="accuracy", range=[0.4, 1.02], row=1, col=1)
    fig.update_yaxes(title_text="loss", type="log", exponentformat="power", row=2, col=1)
    fig.update_xaxes(title_text="training step", row=2, col=1)
    best = int(result.best_step[0]) if role == "remedy" else -1
    stopped = int(result.stopped_step[0]) if role == "remedy" else -1
    # lines in both panels, the label once (in the accuracy panel)
    if best >= 0:
        fig.add_vline(x=best, line_dash="dash", line_color=FIX, row=1, col=1,
                      annotation_text=f"best val. loss: step {best} (restored)",
                      annotation_position="bottom right")
        fig.add_vline(x=best, line_dash="dash", line_color=FIX, row=2, col=1)
    if stopped >= 0:
        fig.add_vline(x=stopped, line_dash="dot", line_color=NEUTRAL, row=1, col=1,
                      annotation_text=f"stopped: step {stopped}", annotation_position="top right")
        fig.add_vline(x=stopped, line_dash="dot", line_color=NEUTRAL, row=2, col=1)
    diverged = int(getattr(result, f"{role}_diverged")[0])
    if diverged >= 0:
        mark_divergence(fig, diverged, f"non-finite at step {diverged}", color=color)
        fig.add_vline(x=diverged, line_dash="dash", line_color=color, row=2, col=1)
    fig.update_layout(title=f"{title}: train vs validation (seed {result.seeds[0]})", height=480,
                      margin=dict(l=60, r=20, t=80, b=50),
                      legend=dict(orientation="h", yanchor="bottom", y=1.06, x=0))
    return fig


def boundary(result, role: str) -> go.Figure:
    """First seed's decision boundary with training points (large) and validation points (small)."""
    title, color = _role(result, role)
    proba = getattr(result, f"{role}_proba")
    fig = go.Figure()
    if not np.isfinite(proba).any():
        return empty_note(layout(fig, f"{title}: decision boundary", "x1", "x2"),
                          "The model's output is not finite: nothing to draw.")
    fig.add_trace(go.Contour(x=result.grid_x, y=result.grid_y, z=proba, zmin=0, zmax=1,
                             colorscale=[[0, "#f4c7b8"], [0.5, "#ffffff"], [1, "#b8d4e8"]],
                             contours=dict(start=0, end=1, size=0.1), line=dict(width=0),
                             showscale=False, name="P(class 1)", hoverinfo="skip"))
    fig.add_trace(go.Contour(x=result.grid_x, y=result.grid_y, z=proba, showscale=False,
                             contours=dict(start=0.5, end=0.5, size=1, coloring="none"),
                             line=dict(color=color, width=3), name="boundary (P = 0.5)",
                             hoverinfo="skip", showlegend=True))
    if role == "remedy":
        X, y, flipped = result.X_train_remedy, result.y_train_remedy, result.flipped_remedy
    else:
        X, y, flipped = result.X_train, result.y_train, result.flipped
    for cls, col in ((0, "#c0392b"), (1, "#1f5f8b")):
        v = result.y_val == cls
        fig.add_trace(go.Scatter(x=result.X_val[v, 0], y=result.X_val[v, 1], mode="markers",
                                 name=f"validation, class {cls}",
                                 marker=dict(size=4, color=col, opacity=0.35)))
    size = 9 if len(y) <= 100 else 6  # "more data" draws hundreds of training points
    for cls, col in ((0, "#c0392b"), (1, "#1f5f8b")):
        t = y == cls
        fig.add_trace(go.Scatter(x=X[t, 0], y=X[t, 1], mode="markers", name=f"training, class {cls}",
                                 marker=dict(size=size, color=col, symbol="circle",
                                             line=dict(color="black", width=1.5 if size > 6 else 1))))
    if flipped.any():  # a cross over each point whose label was flipped (label noise)
        fig.add_trace(go.Scatter(x=X[flipped, 0], y=X[flipped, 1], mode="markers",
                                 name=f"flipped label ({int(flipped.sum())})",
                                 marker=dict(size=size + 3, color="black", symbol="x-thin",
                                             line=dict(color="black", width=2))))
    layout(fig, f"{title}: decision boundary ({len(y)} training points)",
           "x1 (standardized)", "x2 (standardized)", height=460)
    legend_below(fig, len(fig.data))
    fig.update_xaxes(range=[result.grid_x[0], result.grid_x[-1]])
    fig.update_yaxes(range=[result.grid_y[0], result.grid_y[-1]])
    return fig


def _stats(values: np.ndarray) -> tuple[float, float, float]:
    return float(values.mean()), float(values.mean() - values.min()), float(values.max() - values.mean())


def spread(result) -> go.Figure:
    """Mean (bar) and range (whisker) over seeds of train/test accuracy and gap; a dot per seed."""
    fig = go.Figure()
    groups = ("train accuracy", "test accuracy", "gap (train − test)")
    for role, offset in (("problem", -0.2), ("remedy", 0.2)):
        name, color = _role(result, role)
        values = [getattr(result, f"{role}_final_train_acc"), getattr(result, f"{role}_final_test_acc"),
                  getattr(result, f"{role}_gap")]
        stats = [_stats(v) for v in values]
        fig.add_trace(go.Bar(x=[i + offset for i in range(3)], y=[s[0] for s in stats], width=0.38,
                             name=f"{name} (mean, range)", marker_color=color, opacity=0.55,
                             customdata=[fmt.percent(s[0]) for s in stats],
                             hovertemplate="mean %{customdata}<extra></extra>",
                             error_y=dict(type="data", symmetric=False, array=[s[2] for s in stats],
                                          arrayminus=[s[1] for s in stats], color=NEUTRAL)))
        xs = np.concatenate([np.full(len(v), i + offset) for i, v in enumerate(values)])
        ys = np.concatenate(values)
        seeds = np.tile(result.seeds, 3)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", showlegend=False,
                                 marker=dict(color=color, size=6, line=dict(color="white", width=1)),
                                 customdata=[f"seed {s}: {fmt.percent(y)}" for s, y in zip(seeds, ys)],
                                 hovertemplate="%{customdata}<extra></extra>"))
    layout(fig, f"Over {len(result.seeds)} seeds: no remedy vs {result.remedy} "
           f"(test: {N_TEST:,} held-out points)", "", "accuracy / gap (fraction)", height=420)
    fig.update_xaxes(tickvals=[0, 1, 2], ticktext=list(groups))
    fig.update_layout(barmode="overlay")
    return fig


def capacity(result, sweep) -> go.Figure:
    """Final train and test accuracy against depth: mean over seeds with range, gap shaded."""
    cap = join_capacity(result, sweep)
    fig = go.Figure()
    for name, values, dash, fill in (("test", cap.test_acc, "dot", None),
                                     ("train (gap shaded)", cap.train_acc, "solid", "tonexty")):
        mean = values.mean(axis=1)
        labels = [f"depth {d} ({p:,} parameters): {fmt.percent(m)}"
                  for d, p, m in zip(cap.depths, cap.params, mean)]
        fig.add_trace(go.Scatter(
            x=cap.depths, y=mean, name=f"{name}, mean over {values.shape[1]} seeds", mode="lines+markers",
            line=dict(color=PROBLEM, dash=dash), fill=fill, fillcolor=GAP_FILL, customdata=labels,
            hovertemplate="%{customdata}<extra></extra>",
            error_y=dict(type="data", symmetric=False, array=values.max(axis=1) - mean,
                         arrayminus=mean - values.min(axis=1), color=NEUTRAL)))
    # a neutral title: what is plotted, not what it should show
    layout(fig, "Capacity (no remedy): train and test accuracy against depth",
           "hidden layers (depth)", "final accuracy", height=420)
    fig.update_xaxes(tickvals=[int(d) for d in cap.depths], ticktext=[str(d) for d in cap.depths])
    return fig
