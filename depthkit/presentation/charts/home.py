"""The Home page's thumbnails: one small figure per problem, pure functions of a page's Result.

Each thumbnail draws one number series of the page's own default result,
problem against fix in the palette's PROBLEM and FIX colours and
`common.series_style` (the fix dashed with square markers; a long, noisy series
keeps its dash and drops the markers), so colour is never the only difference.
No title (the card's heading and caption name it); axis titles and the legend
below the plot laid out, wrapped and restyled for presenter mode by
`common.layout` like every other chart, small enough for a 390 px phone. The
`*_series` functions return exactly what is drawn, so the captions
(depthkit.presentation.text.home) quote the same numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from depthkit.core import fmt
from depthkit.experiments import exploding, overfitting, speed, vanishing
from depthkit.presentation.charts.common import (
    FIX,
    NEUTRAL,
    PROBLEM,
    append,
    layout,
    merge,
    plottable,
    series_style,
)
from depthkit.presentation.probed import at_init

PLOT = 150  # px of plot area; presenter mode makes it 1.5x taller (common.for_presenter)
HEIGHT = 270  # px: the placeholder's height, about a thumbnail's (plot, axis titles and legend)
COLORS = (PROBLEM, FIX)  # problem, fix: series 0 and 1 of `series_style`
SPEED_VARIANTS = ("plain", "residual + batch norm")  # of speed.Result.variants: the two ends
MARKERS_UP_TO = 50  # points per series drawn with markers
Series = tuple[str, np.ndarray, np.ndarray]  # (name, x, y)


def vanishing_series(r: vanishing.Result) -> list[Series]:
    """Each hidden layer's weight-gradient norm at initialization, problem and fix network."""
    layers = np.arange(1, r.settings.depth + 1)
    return [(net.label, layers, np.asarray(at_init(net).weight_grad_norms, dtype=float))
            for net in (r.problem, r.fix)]


def exploding_series(r: exploding.Result) -> list[Series]:
    """Gradient norm (before clipping) at every step, up to where a run became non-finite."""
    out = []
    for net in (r.problem, r.fix):
        norms = np.asarray(net.training.grad_norm, dtype=float)[:exploding.last_finite_step(net) + 1]
        out.append((net.label, np.arange(len(norms)), norms))
    return out


def overfitting_series(r: overfitting.Result) -> list[Series]:
    """Mean train and test accuracy over the seeds, without and with the remedy."""
    names = ("no remedy", r.settings.remedy)
    return [(name, np.array(["train", "test"]),
             np.array([r.stack(role, "final_train_acc").mean(), r.stack(role, "test_acc").mean()]))
            for name, role in zip(names, overfitting.ROLES)]


def speed_series(r: speed.Result) -> list[Series]:
    """Median (over seeds) training loss after the last step against depth, plain and residual + BN."""
    out = []
    for name in SPEED_VARIANTS:
        losses = r.final_loss[r.variants.index(name)]  # [D, S]
        med = np.array([np.nanmedian(row) if np.isfinite(row).any() else np.nan for row in losses])
        out.append((name, r.depths, med))
    return out


def _frame(traces: list[dict], x_title: str, y_title: str, *, log_y: bool = False, x: dict | None = None,
           y: dict | None = None, **props: Any) -> go.Figure:
    """No title, the axis titles, the legend below: `common.layout` at the thumbnail's size. `x`, `y`
    and `props`: more properties of the axes and the layout, given with the figure (one validation;
    `layout` then sets the axes' titles, automargin and the y axis' type and exponent format, which
    these must not hold)."""
    fig = go.Figure(traces, layout={"showlegend": True, "hovermode": "x unified", **props,
                                    "xaxis": merge({"title": {"standoff": 4}}, x or {}), "yaxis": y or {}})
    return layout(fig, "", x_title, y_title, log_y=log_y, plot=PLOT)


def _lines(series: list[Series], log_y: bool) -> list[dict]:
    traces = []
    for i, ((name, x, y), color) in enumerate(zip(series, COLORS)):
        # a long, noisy series: a thin line with its dash, no markers (200 of them would blur)
        long = len(x) > MARKERS_UP_TO
        look = series_style(i, color)
        look["line"]["width"] = 1.5 if long else 2
        look["marker"]["size"] = 5
        traces.append(dict(type="scatter", x=x, y=plottable(y, log=log_y), name=name,
                           mode="lines" if long else "lines+markers", **look,
                           customdata=fmt.nums(y), hovertemplate="%{customdata}"))
    return traces


def vanishing_thumb(r: vanishing.Result) -> go.Figure:
    return _frame(_lines(vanishing_series(r), log_y=True), "layer (1 = next to the input)", "gradient",
                  log_y=True)


def exploding_thumb(r: exploding.Result) -> go.Figure:
    traces = _lines(exploding_series(r), log_y=True)
    for net, color in zip((r.problem, r.fix), COLORS):
        if net.diverged:  # a cross where the curve stops: the next step was not finite
            step = exploding.last_finite_step(net)
            traces.append(dict(type="scatter", x=[step],
                               y=plottable(net.training.grad_norm[step:step + 1], log=True), mode="markers",
                               marker=dict(color=color, symbol="x", size=12), showlegend=False,
                               hovertemplate=f"not finite after step {step}<extra></extra>"))
    return _frame(traces, "training step", "gradient", log_y=True)


def overfitting_thumb(r: overfitting.Result) -> go.Figure:
    traces = [dict(type="bar", x=x, y=y, name=name, marker=dict(color=color, pattern=dict(shape=pattern)),
                   text=[fmt.percent(v) for v in y], textposition="outside", cliponaxis=False,
                   hovertemplate="%{text}<extra>" + name + "</extra>")
              for (name, x, y), color, pattern in zip(overfitting_series(r), COLORS, ("", "/"))]
    return _frame(traces, f"mean of {len(r.seeds)} seeds", "accuracy", barmode="group", hovermode="closest",
                  y=dict(range=[0, 1.15], tickvals=[0, 0.5, 1], tickformat=".0%"))  # room for the labels


def speed_thumb(r: speed.Result) -> go.Figure:
    fig = _frame(_lines(speed_series(r), log_y=False), "depth (hidden layers)",
                 f"loss after {fmt.integer(r.settings.steps)} steps",
                 x=dict(type="log", tickvals=list(r.depths), ticktext=[str(d) for d in r.depths]),
                 y=dict(rangemode="tozero"))
    # a coin flip's loss (the caption says)
    return append(fig, shapes=(dict(type="line", x0=0, x1=1, xref="paper", y0=speed.LN2, y1=speed.LN2,
                                    line=dict(color=NEUTRAL, dash="dot", width=1)),))
