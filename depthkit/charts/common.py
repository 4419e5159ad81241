"""Shared chart pieces: colours, layout, log-safe values, divergence markers."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

# The template as the process-wide default rather than per figure: passing
# template="plotly_white" to each figure deep-copies and validates it (22-27 ms
# a figure, measured), the default costs about 7 ms at serialization.
pio.templates.default = "plotly_white"

PROBLEM = "#d1495b"  # the network that shows the problem
FIX = "#2e86ab"  # the same network with the fix
NEUTRAL = "#6c757d"
FLOAT32_TINY = float(np.finfo(np.float32).tiny)


def layout(fig: go.Figure, title: str, x_title: str, y_title: str, *, log_y: bool = False,
           height: int = 380) -> go.Figure:
    """Titles, axis labels, a log y axis if asked, and a compact legend."""
    fig.update_layout(title=title, height=height, margin=dict(l=60, r=20, t=60, b=50),
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0))
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title, type="log" if log_y else "linear",
                     exponentformat="power" if log_y else "none")
    return fig


def plottable(values: np.ndarray, log: bool = False) -> list[float | None]:
    """Values for plotly: non-finite (and, on a log axis, non-positive) become gaps."""
    arr = np.asarray(values, dtype=float)
    ok = np.isfinite(arr)
    if log:
        ok &= arr > 0
    return [float(v) if good else None for v, good in zip(arr, ok)]


def zero_count(values: np.ndarray) -> int:
    """How many values are exactly 0 (below float range): gaps on a log axis."""
    arr = np.asarray(values, dtype=float)
    return int(np.sum(np.isfinite(arr) & (arr == 0)))


def mark_step(fig: go.Figure, x: float, color: str, text: str = "", *, top: bool = True,
              dash: str = "dash", xref: str = "x", xanchor: str = "left") -> None:
    """A vertical line at step `x` with an optional note at the top (or bottom) of the plot.

    add_shape + add_annotation rather than add_vline, which costs ~10x more per
    call (measured). `xref` names the x axis of a subplot ("x2", ...); `xanchor="right"`
    puts the note left of the line (for a step near the right edge).
    """
    yref = "paper" if xref == "x" else f"{xref.replace('x', 'y')} domain"
    fig.add_shape(type="line", x0=x, x1=x, y0=0, y1=1, xref=xref, yref=yref,
                  line=dict(color=color, dash=dash))
    if text:
        fig.add_annotation(text=text, x=x, y=1.0 if top else 0.0, xref=xref, yref=yref, showarrow=False,
                           xanchor=xanchor, yanchor="top" if top else "bottom", font=dict(color=color))


def mark_divergence(fig: go.Figure, step: int, label: str, color: str = PROBLEM, xref: str = "x") -> None:
    """A dashed vertical line and a note where a run became non-finite."""
    mark_step(fig, step, color, label, xref=xref)


CLASS_COLORS = ("#c0392b", "#1f5f8b")  # class 0, class 1 points


def boundary_figure(grid_x: np.ndarray, grid_y: np.ndarray, proba: np.ndarray | None, title: str,
                    color: str, points: list[tuple[str, np.ndarray, np.ndarray, int]],
                    flipped: tuple[np.ndarray, np.ndarray] | None = None) -> go.Figure:
    """A trained network's P(class 1) over the plane, its P = 0.5 line, and labelled points.

    `points`: (name, X [n, 2], y [n], marker size) per group, e.g. training
    points large and validation points small; `flipped`: (X, mask) to mark the
    training points whose label was flipped with a cross.
    """
    fig = go.Figure()
    if proba is None or not np.isfinite(proba).any():
        return empty_note(layout(fig, title, "x1 (standardized)", "x2 (standardized)"),
                          "The model's output is not finite: nothing to draw.")
    fig.add_trace(go.Contour(x=grid_x, y=grid_y, z=proba, zmin=0, zmax=1,
                             colorscale=[[0, "#f4c7b8"], [0.5, "#ffffff"], [1, "#b8d4e8"]],
                             contours=dict(start=0, end=1, size=0.1), line=dict(width=0),
                             showscale=False, name="P(class 1)", hoverinfo="skip"))
    fig.add_trace(go.Contour(x=grid_x, y=grid_y, z=proba, showscale=False,
                             contours=dict(start=0.5, end=0.5, size=1, coloring="none"),
                             line=dict(color=color, width=3), name="boundary (P = 0.5)",
                             hoverinfo="skip", showlegend=True))
    for name, X, y, size in points:
        for cls, col in enumerate(CLASS_COLORS):
            pick = y == cls
            small = size <= 4
            fig.add_trace(go.Scatter(x=X[pick, 0], y=X[pick, 1], mode="markers", name=f"{name}, class {cls}",
                                     marker=dict(size=size, color=col, opacity=0.35 if small else 1.0,
                                                 line=None if small else dict(color="black", width=1))))
    if flipped is not None and flipped[1].any():
        X, mask = flipped
        fig.add_trace(go.Scatter(x=X[mask, 0], y=X[mask, 1], mode="markers",
                                 name=f"flipped label ({int(mask.sum())})",
                                 marker=dict(size=12, color="black", symbol="x-thin",
                                             line=dict(color="black", width=2))))
    layout(fig, title, "x1 (standardized)", "x2 (standardized)", height=460)
    legend_below(fig, len(fig.data))
    fig.update_xaxes(range=[grid_x[0], grid_x[-1]])
    fig.update_yaxes(range=[grid_y[0], grid_y[-1]])
    return fig


def empty_note(fig: go.Figure, text: str) -> go.Figure:
    """A centred message in place of data (e.g. 'nothing finite to plot')."""
    fig.add_annotation(text=text, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font=dict(size=14, color=NEUTRAL))
    return fig


def legend_below(fig: go.Figure, entries: int) -> go.Figure:
    """Move a long legend under the plot: above it, wrapped entries cover the title."""
    rows = (entries + 1) // 2
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.18, x=0),
                      margin=dict(b=70 + 22 * rows), height=(fig.layout.height or 380) + 22 * rows)
    return fig


def notes_below(fig: go.Figure, notes: list[str]) -> go.Figure:
    """Grey notes under the plot and its legend (call after legend_below): the bottom margin grows
    by a line per note and the notes start where it ended."""
    if not notes:
        return fig
    bottom = fig.layout.margin.b or 50
    extra = 16 * sum(n.count("<br>") + 1 for n in notes) + 10
    fig.add_annotation(text="<br>".join(notes), x=0, y=0, xref="paper", yref="paper", yshift=-bottom + 4,
                       showarrow=False, xanchor="left", yanchor="top", align="left",
                       font=dict(size=11, color=NEUTRAL))
    fig.update_layout(margin=dict(b=bottom + extra), height=(fig.layout.height or 380) + extra)
    return fig
