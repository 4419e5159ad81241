"""Figures for the vanishing-gradients page: pure functions of a vanishing.Result."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from depthkit.core import fmt
from depthkit.engine.probes import SATURATED_SLOPE, SIGMOID_BAND, TANH_BAND
from depthkit.experiments import vanishing as exp
from depthkit.experiments.record import Network
from depthkit.experiments.vanishing import FLOAT32_ROUNDS_AWAY, Result, per_layer
from depthkit.presentation.charts.common import (
    FIX,
    NEUTRAL,
    PROBLEM,
    SEQUENTIAL,
    append,
    boundary_figure,
    empty_note,
    layout,
    mark_divergence,
    plottable,
    series_style,
    update_axis,
    zero_count,
)
from depthkit.presentation.probed import at_end, at_init
from depthkit.presentation.text.inputs import axes
from depthkit.presentation.text.vanishing import BOUND_NAME, moved

SYMBOL = {"Problem": "circle", "Fix": "square"}  # each network's marker: told apart without colour


def _nets(result: Result) -> tuple[tuple[str, Network, str], ...]:
    return (("Problem", result.problem, PROBLEM), ("Fix", result.fix, FIX))


def _zero_notes(counts: dict[str, int]) -> list[str]:
    """Say which values are exactly 0 (below float32's range) and so not drawn on a log axis."""
    parts = [f"{name}: {n}" for name, n in counts.items() if n]
    return ["exactly 0 in float32, not drawn: " + ", ".join(parts)] if parts else []


def _hover(values: np.ndarray) -> list[str]:
    """Preformatted numbers for a trace's customdata: never computer notation."""
    return fmt.nums(np.asarray(values, dtype=float).ravel())


def _layers(result: Result) -> list[int]:
    return list(range(1, result.settings.depth + 1))


def gradient_flow(result: Result) -> go.Figure:
    """||dL/dW_l|| for every hidden layer, at initialization and after training."""
    fig = go.Figure()
    zeros = {}
    for name, net, color in _nets(result):
        for when, values, dash in (("at init", at_init(net).weight_grad_norms, "solid"),
                                   ("after training", at_end(net).weight_grad_norms, "dot")):
            label = f"{name} {when}"
            fig.add_trace(dict(type="scatter", x=_layers(result), y=plottable(values, log=True),
                               mode="lines+markers", name=label, line=dict(color=color, dash=dash),
                               customdata=_hover(values), marker=dict(symbol=SYMBOL[name]),
                               hovertemplate="layer %{x}: %{customdata}<extra>" + label + "</extra>"))
            zeros[label] = zero_count(values)
    return layout(fig, "Gradient flow: weight-gradient norm of each layer",
                  "hidden layer (1 = next to the input)", "||dL/dW|| (log scale)", log_y=True,
                  notes=_zero_notes(zeros))


def _log10(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log10(np.asarray(values, dtype=float))
    out[~np.isfinite(out)] = np.nan
    return out


def grad_heatmap(result: Result, which: str) -> go.Figure:
    """log10 gradient norm, layer x step, for the 'problem' or 'fix' network.

    Both heatmaps share one colour range so they can be compared side by side.
    """
    net = result.problem if which == "problem" else result.fix
    both = np.concatenate([_log10(result.problem.training.layer_grad_norms).ravel(),
                           _log10(result.fix.training.layer_grad_norms).ravel()])
    finite = both[np.isfinite(both)]
    zmin, zmax = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
    grads = net.training.layer_grad_norms  # [T, depth]
    z = _log10(grads).T  # [depth, T]
    words = np.array(_hover(grads.T)).reshape(z.shape)
    ticks = list(range(int(np.floor(zmin)), int(np.ceil(zmax)) + 1))
    step = max(1, len(ticks) // 6)
    ticks = ticks[::step]
    fig = go.Figure([dict(
        type="heatmap", z=[[None if np.isnan(v) else float(v) for v in row] for row in z],
        customdata=words.tolist(), x=list(range(z.shape[1])), y=_layers(result), zmin=zmin, zmax=zmax,
        colorscale=SEQUENTIAL,
        colorbar=dict(title="‖dL/dW‖", tickvals=ticks, ticktext=[fmt.power_of_ten(t) for t in ticks]),
        hovertemplate="step %{x}, layer %{y}: %{customdata}<extra></extra>")])
    title = f"{'Problem' if which == 'problem' else 'Fix'}: {net.label}, gradient norm per layer and step"
    layout(fig, title, "training step", "hidden layer", notes=_zero_notes({"cells": zero_count(grads)}))
    if net.diverged_step is not None:
        mark_divergence(fig, net.diverged_step, f"diverged at step {net.diverged_step}")
    if not finite.size:
        empty_note(fig, "no finite gradient norms to show")
    return fig


def weight_change(result: Result) -> go.Figure:
    """How far each layer moved over training, its largest single step, and float32's resolution.

    All relative to the weights: ||W_end - W_start|| / ||W_start|| (solid), the
    largest single step ||dW|| / ||W|| (dotted), and 2^-25, below which a step
    rounds away in float32 whatever the weight (half a float32 step is 2^-25 to
    2^-24 of |w|). A note gives the problem network's first layer in absolute
    numbers: the most any weight moved in one update against half the gap between float32
    numbers near its typical |w|.
    """
    fig = go.Figure()
    zeros = {}
    layers = _layers(result)
    for name, net, color in _nets(result):
        change, largest = net.training.weight_change, exp.update_ratio_max(net)
        fig.add_trace(dict(type="scatter", x=layers, y=plottable(change, log=True),
                           marker=dict(symbol=SYMBOL[name]), mode="lines+markers",
                           name=f"{name}: total change", line=dict(color=color),
                           customdata=[moved(v) for v in change],
                           hovertemplate="layer %{x}: %{customdata}<extra>" + name + "</extra>"))
        fig.add_trace(dict(type="scatter", x=layers, y=plottable(largest, log=True), mode="lines+markers",
                           name=f"{name}: largest single step", line=dict(color=color, dash="dot"),
                           marker=dict(symbol=SYMBOL[name] + "-open"), customdata=_hover(largest),
                           hovertemplate="layer %{x}: largest step %{customdata} of ‖W‖<extra>"
                           + name + "</extra>"))
        zeros[name] = zero_count(change)
    fig.add_trace(dict(type="scatter", x=[layers[0], layers[-1]], y=[FLOAT32_ROUNDS_AWAY] * 2, mode="lines",
                       # a per-weight rule drawn against the layer's ratios, for scale
                       name=f"float32: one weight's step under {fmt.num(FLOAT32_ROUNDS_AWAY)} of its |w| "
                            "rounds away",
                       line=dict(color=NEUTRAL, dash="dash"), hoverinfo="skip"))
    notes = []
    p = result.problem
    step, half, w = (float(f(p)[0]) for f in (exp.update_max, exp.half_spacing, exp.weight_typical))
    if np.isfinite(step):
        verdict = ("a weight of typical size rounds back, w + Δw = w" if step < half
                   else "an update of that size registers")
        notes.append(f"Problem, layer 1: no weight moved more than {fmt.num(step)} in one update "
                     f"(the layer's largest ‖ΔW‖, a bound on every |Δw|); near a typical |w| ≈ "
                     f"{fmt.num(w)}, half the gap between float32 numbers is {fmt.num(half)}: {verdict}")
    exact = [f"{name}, {n} layer{'s' if n > 1 else ''}" for name, n in zeros.items() if n]
    if exact:
        notes.append("layers that did not change at all (not drawn): " + ", ".join(exact))
    return layout(fig, "How much each layer learned, and its largest single step",
                  "hidden layer (1 = next to the input)", "share of ‖W‖ (log scale)", log_y=True, notes=notes)


def saturation(result: Result) -> go.Figure:
    """Share of saturated (sigmoid/tanh) or dead (ReLU) units per layer."""
    fig = go.Figure()
    for name, net, color in _nets(result):
        for when, values, dash in (("at init", at_init(net).saturated, "solid"),
                                   ("after training", at_end(net).saturated, "dot")):
            fig.add_trace(dict(type="scatter", x=_layers(result), y=plottable(values), mode="lines+markers",
                               name=f"{name} {when}", line=dict(color=color, dash=dash),
                               marker=dict(symbol=SYMBOL[name]), customdata=[fmt.percent(v) for v in values],
                               hovertemplate="layer %{x}: %{customdata}<extra>" + f"{name} {when}"
                               + "</extra>"))
    bands = (f"sigmoid within {fmt.num(SIGMOID_BAND)} of 0 or 1, tanh beyond ±{fmt.num(TANH_BAND)}")
    _standardized_traces(result, fig, "saturated", _layers(result))  # at init
    layout(fig, "Saturated units or dead ReLUs", "hidden layer (1 = next to the input)", "share of units",
           notes=[f"saturated: derivative under {fmt.percent(SATURATED_SLOPE)} of its peak ({bands}); "
                  "saturation as in Glorot & Bengio 2010"])
    return update_axis(fig, "yaxis", range=[-0.02, 1.02], tickformat=".0%")


def _curves(result: Result, attr: str, title: str, y_title: str, log_y: bool) -> go.Figure:
    fig = go.Figure()
    for (name, net, color), dash in zip(_nets(result), ("solid", "dash")):
        values = getattr(net.training, attr)
        words = [fmt.percent(v) for v in values] if attr == "val_acc" else _hover(values)
        fig.add_trace(dict(type="scatter", x=list(range(len(values))), y=plottable(values, log=log_y),
                           mode="lines", name=f"{name}: {net.label}", line=dict(color=color, dash=dash),
                           customdata=words,
                           hovertemplate="step %{x}: %{customdata}<extra>" + name + "</extra>"))
        if net.diverged_step is not None:
            mark_divergence(fig, net.diverged_step, f"{name} diverged", color=color)
    return layout(fig, title, "training step", y_title, log_y=log_y)


def _standardized_traces(result: Result, fig: go.Figure, attr: str, x: list[int] | None = None) -> None:
    """With raw-scale inputs: each network's `attr` trained or probed on standardized inputs (thin)."""
    if result.standardized is None:
        return
    for (name, _, color), symbol, dash in zip(_nets(result), ("circle-open", "square-open"),
                                              ("dashdot", "longdashdot")):
        values = getattr(result.standardized[name.lower()], attr)
        label = f"{name}{' at init' if attr == 'saturated' else ''}, standardized inputs"
        xs = x if x is not None else list(range(len(values)))
        where = "layer" if attr == "saturated" else "step"
        words = [fmt.percent(v) for v in values] if attr == "saturated" else _hover(values)
        fig.add_trace(dict(type="scatter", x=xs, y=plottable(values, log=attr == "loss"),
                           mode="lines" if attr == "loss" else "lines+markers", name=label,
                           line=dict(color=color, dash=dash, width=1), marker=dict(symbol=symbol),
                           customdata=words,
                           hovertemplate=where + " %{x}: %{customdata}<extra>" + label + "</extra>"))


def loss_curves(result: Result) -> go.Figure:
    fig = _curves(result, "loss", "Training loss", "binary cross-entropy (log scale)", log_y=True)
    _standardized_traces(result, fig, "loss")
    return fig


def accuracy_curves(result: Result) -> go.Figure:
    fig = _curves(result, "val_acc", "Validation accuracy", "accuracy", log_y=False)
    return update_axis(fig, "yaxis", range=[0, 1.02], tickformat=".0%")


def boundary(result: Result, which: str) -> go.Figure:
    """The trained network's P(class 1) over the plane, its P = 0.5 line, and the training points."""
    name, net, color = _nets(result)[0 if which == "problem" else 1]
    title = f"{name}: decision boundary (validation accuracy {fmt.percent(net.training.final_val_acc)})"
    return boundary_figure(result.grid.x, result.grid.y, net.boundary, title, color,
                           [("training", result.X_train, result.y_train, 6)],
                           axes=axes(result.settings.inputs))


def depth_sweep(result: Result, kind: str) -> go.Figure:
    """First/last-layer ratio against depth at initialization, kind 'grad' or 'signal'.

    The signal chart adds the sigmoid's true upper bound, prod 0.25 ||W_l||_2
    over the L-1 hidden-to-hidden layers of the swept sigmoid networks' own
    weights. The weight-gradient chart has no bound: a weight gradient also
    carries the layer's input, which no slope bounds.
    """
    sweep = result.sweep
    values = sweep.grad_ratio if kind == "grad" else sweep.signal_ratio
    depths = sweep.depths.tolist()
    fig = go.Figure()
    for k, label in enumerate(sweep.labels):
        fig.add_trace(dict(type="scatter", x=depths, y=plottable(values[k], log=True), mode="lines+markers",
                           name=label, **series_style(k), customdata=_hover(values[k]),
                           hovertemplate="depth %{x}: %{customdata}<extra>" + label + "</extra>"))
    if kind == "signal":
        bound = sweep.sigmoid_bound
        per = [f"{fmt.num(b)} ({fmt.num(per_layer(b, d))} per layer)" for b, d in zip(bound, depths)]
        fig.add_trace(dict(type="scatter", x=depths, y=plottable(bound, log=True), mode="lines",
                           name=BOUND_NAME, line=dict(color=series_style(0)["line"]["color"], dash="dash"),
                           customdata=per,
                           hovertemplate="depth %{x}: bound %{customdata}<extra></extra>"))
    append(fig, shapes=(dict(type="line", x0=0, x1=1, xref="x domain", y0=1.0, y1=1.0, yref="y",
                             line=dict(color=NEUTRAL, width=1)),))  # a ratio of 1
    if kind == "grad":
        title, y_title = "Depth sweep at init: weight-gradient ratio", "‖dL/dW_1‖ / ‖dL/dW_L‖ (log)"
    else:
        title, y_title = "Depth sweep at init: backpropagated signal ratio", "‖dL/dh_1‖ / ‖dL/dh_L‖ (log)"
    return layout(fig, title, "hidden layers (depth)", y_title, log_y=True)


# the page's two-column rows under the gradient flow: (builder, extra arguments, key) left and right
PAIRS = (((grad_heatmap, ("problem",), "heat.problem"), (grad_heatmap, ("fix",), "heat.fix")),
         ((weight_change, (), "change"), (saturation, (), "saturation")),
         ((loss_curves, (), "loss"), (accuracy_curves, (), "accuracy")),
         ((boundary, ("problem",), "boundary.problem"), (boundary, ("fix",), "boundary.fix")))
SWEEP_KINDS = ("grad", "signal")  # the two depth sweeps, side by side under the pairs
