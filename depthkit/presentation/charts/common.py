"""Shared chart pieces: the colour-blind-safe palette, the layout every chart gets (readable on a
phone and on a projector), log-safe values, step markers.

Colour: Okabe & Ito's eight colours, which stay apart under every common colour-vision
deficiency; every series also differs by dash or marker symbol, so a chart reads in grey.
Colour scales: viridis (sequential) and blue-white-orange (diverging).

Layout: plotly never wraps text, so every text is wrapped here (`wrap`), for the narrowest chart
the app draws (a 390 px phone) at the font sizes of `NORMAL` or, in presenter mode, `PRESENTER`
(`for_presenter` restyles a copy, from the unwrapped texts kept in `layout.meta`). The title,
with any notes under it in smaller grey type, sits above the plot and the legend at the bottom
of the figure, both pushing the margins (plotly's automargin), so neither covers the plot, the
axis titles or each other. (Plotly's own subtitle does not push the margin: it would cover the
plot.) The figure's height is the plot's height plus an estimate of those blocks at the
narrowest width.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

# The template as the process-wide default rather than per figure: passing
# template="plotly_white" to each figure deep-copies and validates it (22-27 ms
# a figure, measured), the default costs about 7 ms at serialization.
pio.templates.default = "plotly_white"

# Okabe & Ito (2008), "Color Universal Design"
BLACK, ORANGE, SKY_BLUE, GREEN = "#000000", "#E69F00", "#56B4E9", "#009E73"
YELLOW, BLUE, VERMILLION, PURPLE = "#F0E442", "#0072B2", "#D55E00", "#CC79A7"
PALETTE = (BLACK, ORANGE, SKY_BLUE, GREEN, YELLOW, BLUE, VERMILLION, PURPLE)
PROBLEM = VERMILLION  # the network that shows the problem
FIX = BLUE  # the same network with the fix
# k series take the first k: the strongest contrasts on white first, yellow (faint on white) last
SERIES = (VERMILLION, BLUE, ORANGE, GREEN, PURPLE, SKY_BLUE, BLACK, YELLOW)
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star", "cross", "triangle-down")
NEUTRAL = "#6c757d"  # reference lines and notes, never a series (4.7:1 on white)
WHITE = "#FFFFFF"
SEQUENTIAL = "Viridis"  # perceptually uniform, readable in grey and with colour-vision deficiencies
DIVERGING = ((0.0, BLUE), (0.5, WHITE), (1.0, VERMILLION))  # below / above the middle value
FLOAT32_TINY = float(np.finfo(np.float32).tiny)


def series_style(i: int, color: str | None = None) -> dict:
    """Line and marker of the i-th series: palette colour (or `color`), dash and symbol."""
    return dict(line=dict(color=color or SERIES[i % len(SERIES)], dash=DASHES[i % len(DASHES)]),
                marker=dict(color=color or SERIES[i % len(SERIES)], symbol=SYMBOLS[i % len(SYMBOLS)]))


def rgba(color: str, alpha: float) -> str:
    """A palette colour, see-through (for shaded bands)."""
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


@dataclass(frozen=True)
class Type:
    """Font sizes (px) of a chart's texts, and the factor on its plot's height."""
    title: int
    subtitle: int
    axis: int  # axis titles
    tick: int  # tick labels, bar labels, colour bar ticks
    legend: int
    note: int  # annotations
    hover: int
    scale: float


NORMAL = Type(title=17, subtitle=13, axis=14, tick=12, legend=12, note=12, hover=13, scale=1.0)
PRESENTER = Type(title=22, subtitle=18, axis=20, tick=18, legend=18, note=18, hover=18, scale=1.5)

NARROWEST = 350  # px: a chart on a 390 px wide phone (Streamlit pads the page)
CHAR_EM = 0.56  # average character width of the app's sans-serif font, in em, rounded up
# the room each kind of text has at the narrowest width, px
ROOM = {"title": NARROWEST - 24, "axis": NARROWEST - 40, "legend": NARROWEST - 70, "note": NARROWEST - 40,
        "mark": 150, "colorbar": 90}
SOFT, HARD = "<br>", "<br />"  # a break `wrap` may move, and one it keeps (between two notes)
_TAG = re.compile(r"<[^>]+>")
LEGEND = dict(orientation="h", xref="container", x=0, xanchor="left", yref="container", y=0,
              yanchor="bottom", title_text="")


def chars(kind: str, size: int) -> int:
    """How many characters of `size` px fit in the room of a text of `kind`."""
    return max(8, int(ROOM[kind] / (CHAR_EM * size)))


def wrap(text: str, width: int) -> str:
    """`text` in lines of at most `width` visible characters (tags do not count), broken at spaces.

    Soft breaks are dropped and found again, so wrapping twice at another width works;
    hard breaks stay.
    """
    out = []
    for part in text.split(HARD):
        lines: list[str] = []
        for word in part.replace(SOFT, " ").split():
            if lines and len(_TAG.sub("", lines[-1])) + 1 + len(_TAG.sub("", word)) <= width:
                lines[-1] += " " + word
            else:
                lines.append(word)
        out.append(SOFT.join(lines))
    return HARD.join(out)


def _lines(text: str | None) -> int:
    return text.count("<br") + 1 if text else 0


def layout(fig: go.Figure, title: str, x_title: str, y_title: str, *, log_y: bool = False,
           plot: int = 260, notes: list[str] | tuple[str, ...] = (), height: int | None = None) -> go.Figure:
    """Title (and `notes` under it), axis titles, a log y axis if asked, the legend under the plot;
    the figure `plot` px of plot area plus its texts, in `NORMAL` type. (`height`, the older way
    to size a chart, is read as its plot area plus 120 px of texts.)"""
    if height is not None:
        plot = max(120, height - 120)
    texts = _Texts.of(fig)
    lay = texts.layout
    new = {"title": merge(lay.get("title"), dict(text=title, x=0, xref="container", xanchor="left",
                                                  pad=dict(l=10), y=1, yref="paper", yanchor="bottom",
                                                  automargin=True)),
           "legend": merge(lay.get("legend"), _LEGEND), "margin": merge(lay.get("margin"), _MARGIN),
           "meta": dict(plot=plot, title=title, notes=HARD.join(notes))}
    x_axis = {"title": {"text": x_title}, "automargin": True}
    y_axis = {"title": {"text": y_title}, "type": "log" if log_y else "linear", "automargin": True,
              "exponentformat": "power" if log_y else "none"}
    for key in texts.axes:
        new[key] = merge(lay.get(key), x_axis if key[0] == "x" else y_axis)
    return _restyle(fig, texts, new, NORMAL)


# `LEGEND` and the margin as nested dicts, as `merge` takes them
_LEGEND = {**{k: v for k, v in LEGEND.items() if k != "title_text"}, "title": {"text": LEGEND["title_text"]}}
_MARGIN = dict(l=10, r=14, t=10, b=10)
_AXIS = re.compile(r"[xy]axis\d*")
_TRACE_KINDS: dict[type, tuple[bool, bool]] = {}  # trace class -> (has a colour bar, has a text font)


def merge(base: dict | None, patch: dict) -> dict:
    """`base` updated by `patch` as plotly's `update` does: nested dicts merged, other values
    replaced; a new dict, `base` is not changed."""
    out = dict(base or {})
    for key, value in patch.items():
        old = out.get(key)
        out[key] = merge(old if isinstance(old, dict) else None, value) if isinstance(value, dict) else value
    return out


@dataclass
class _Trace:
    """What restyling reads from a trace."""
    name: str | None
    showlegend: bool | None
    legendgroup: str | None
    colorbar: dict | None  # its colour bar, for a trace with one
    textfont: dict | None  # its text font, for a trace with one


@dataclass
class _Texts:
    """What restyling reads from a figure, read once as plain values: its layout (without the
    template), the keys of its axes ("xaxis", "yaxis2", ...) and its traces.

    Restyling computes the new values from these in plain Python and sets each changed
    top-level property once, whole: plotly validates every set and sends each a long way
    through the figure, so a set per text cost more than building the figure's traces."""
    layout: dict
    axes: list[str]
    traces: list[_Trace]

    @staticmethod
    def of(fig: go.Figure) -> _Texts:
        # the layout's own properties copied, not its template (two thirds of a whole copy's cost, measured;
        # a copy, as `fig.layout.to_plotly_json()` gives, from plotly's private `_props`)
        lay = copy.deepcopy({k: v for k, v in fig.layout._props.items() if k != "template"})
        traces = []
        for tr in fig.data:
            kind = _TRACE_KINDS.get(type(tr))
            if kind is None:
                kind = _TRACE_KINDS[type(tr)] = ("colorbar" in tr, "textfont" in tr)
            traces.append(_Trace(tr.name, tr.showlegend, tr.legendgroup,
                                 tr.colorbar.to_plotly_json() if kind[0] else None,
                                 tr.textfont.to_plotly_json() if kind[1] else None))
        return _Texts(lay, [k for k in fig.layout if _AXIS.fullmatch(k)], traces)


def _legend_entries(traces: list[_Trace]) -> list[str]:
    seen, names = set(), []
    for i, t in enumerate(traces):
        group = t.legendgroup or i
        if t.showlegend is False or group in seen or (t.showlegend is None and len(traces) < 2):
            continue
        seen.add(group)
        names.append(t.name or "")
    return names


def _legend_height(traces: list[_Trace], t: Type) -> float:
    """The legend's height at the narrowest width: entries packed into rows, px."""
    row_w, rows, row_h, room = 0.0, 0.0, 0.0, NARROWEST - 20
    for name in _legend_entries(traces):
        w = 45 + CHAR_EM * t.legend * max((len(_TAG.sub("", s)) for s in name.split("<br")), default=0)
        h = _lines(name) * t.legend * 1.3 + 8
        if row_w and row_w + w > room:
            rows, row_w, row_h = rows + row_h, 0.0, 0.0
        row_w, row_h = row_w + w, max(row_h, h)
    return rows + row_h


def _height(lay: dict, axes: list[str], traces: list[_Trace], t: Type, plot: int) -> int:
    """Plot height plus the title, subtitle, x tick labels and title and legend at the narrowest width."""
    top = 14 + _lines(lay.get("title", {}).get("text")) * t.title * 1.3
    x_titles = [lay.get(k, {}).get("title", {}).get("text") for k in axes if k[0] == "x"]
    x_lines = max((_lines(text) for text in x_titles), default=0)
    bottom = 14 + t.tick * 1.8 + x_lines * t.axis * 1.3 + _legend_height(traces, t)
    return int(plot * t.scale + top + bottom)


def _title(title: str, notes: str, t: Type) -> str:
    """The title wrapped, then the notes wrapped, a line at a time in smaller grey type."""
    text = wrap(title, chars("title", t.title))
    if notes:
        style = f"font-size:{t.subtitle}px;color:{NEUTRAL}"
        lines = wrap(notes, chars("title", t.subtitle)).replace(HARD, SOFT).split(SOFT)
        text += SOFT + SOFT.join(f'<span style="{style}">{line}</span>' for line in lines)
    return text


def plain(text: str | None) -> str:
    """A chart text as words: line breaks as spaces, no tags (for searching it)."""
    return " ".join(_TAG.sub("", re.sub(r"<br[^>]*>", " ", text or "")).split())


def _meta(lay: dict) -> dict:
    """What `layout` keeps in the layout's meta (plot height, unwrapped title and notes), or {}."""
    return lay["meta"] if isinstance(lay.get("meta"), dict) else {}


def _restyled_layout(lay: dict, axes: list[str], t: Type) -> dict:
    """The layout's texts in type `t`, wrapped: the new values of its top-level properties."""
    meta = _meta(lay)
    title = lay.get("title", {})
    if title.get("text"):
        title = merge(title, {"text": _title(meta.get("title", title["text"]), meta.get("notes", ""), t)})
    out: dict[str, Any] = {"title": merge(title, {"font": {"size": t.title}}),
           "font": merge(lay.get("font"), {"size": t.tick}),
           "legend": merge(lay.get("legend"), {"font": {"size": t.legend}}),
           "hoverlabel": merge(lay.get("hoverlabel"), {"font": {"size": t.hover}})}
    for key in axes:
        ax = lay.get(key, {})
        text = ax.get("title", {}).get("text")
        patch: dict[str, Any] = {"title": {"font": {"size": t.axis}}, "tickfont": {"size": t.tick}}
        if text:
            patch["title"]["text"] = wrap(text, chars("axis", t.axis))
        out[key] = merge(ax, patch)
    notes = []
    for a in lay.get("annotations", ()):
        name, size = a.get("name"), a.get("font", {}).get("size")
        width = chars(name if name in ROOM else "note", t.note)
        notes.append(merge(a, {"text": wrap(a.get("text") or "", width),
                                "font": {"size": max(t.note, size or 0) if name == "empty" else t.note}}))
    if notes:
        out["annotations"] = notes
    return out


def _restyled_trace(tr: _Trace, t: Type) -> dict:
    """A trace's texts in type `t`, wrapped: the new values of the properties that hold them."""
    out: dict[str, Any] = {}
    if tr.name and tr.showlegend is not False:
        out["name"] = wrap(tr.name, chars("legend", t.legend))
    if tr.colorbar is not None:
        text = tr.colorbar.get("title", {}).get("text") or ""
        out["colorbar"] = merge(tr.colorbar, {"title": {"text": wrap(text, chars("colorbar", t.tick)),
                                                         "font": {"size": t.tick}},
                                               "tickfont": {"size": t.tick}})
    if tr.textfont is not None:
        out["textfont"] = merge(tr.textfont, {"size": t.tick})
    return out


def _same(a: object, b: object) -> bool:
    try:
        return bool(a == b)
    except ValueError:  # numpy arrays inside: compared elementwise, so set the value again
        return False


def _restyle(fig: go.Figure, texts: _Texts, new: dict, t: Type) -> go.Figure:
    """Set the top-level layout properties `new`, then every text in type `t`, wrapped; the
    height to match. Each changed property is set once, whole (validated by plotly)."""
    lay = {**texts.layout, **new}
    new = {**new, **_restyled_layout(lay, texts.axes, t)}
    names = []
    for tr, trace in zip(texts.traces, fig.data):
        change = _restyled_trace(tr, t)
        for key, value in change.items():
            if not _same(value, getattr(tr, key)):
                trace[key] = value
        names.append(_Trace(change.get("name", tr.name), tr.showlegend, tr.legendgroup, None, None))
    meta = _meta(lay)
    if "plot" in meta:
        new["height"] = _height({**lay, **new}, texts.axes, names, t, meta["plot"])
    for key, value in new.items():
        if key not in texts.layout or not _same(value, texts.layout[key]):
            fig.layout[key] = value
    return fig


def restyle(fig: go.Figure, t: Type) -> go.Figure:
    """Every text of `fig` in type `t`, wrapped to fit the narrowest chart; the height to match."""
    return _restyle(fig, _Texts.of(fig), {}, t)


def for_presenter(fig: go.Figure) -> go.Figure:
    """`fig` restyled for a projector: texts of at least 18 px, a plot 1.5 times taller.

    Changes `fig` itself: pass a copy of a shared figure. A figure not laid out by `layout`
    keeps its texts and grows by the same factor.
    """
    texts = _Texts.of(fig)
    new = {}
    if "plot" not in _meta(texts.layout):
        new["height"] = int((texts.layout.get("height") or 450) * PRESENTER.scale)
    return _restyle(fig, texts, new, PRESENTER)


def update_axis(fig: go.Figure, key: str, **props: Any) -> go.Figure:
    """`props` (nested dicts, no magic underscores) merged into the axis `key` ("xaxis", "yaxis2", ...)
    as `fig.update_xaxes` would merge them, set once, whole: a third of update_xaxes' cost (measured)."""
    fig.layout[key] = merge(fig.layout[key].to_plotly_json(), props)
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


def append(fig: go.Figure, *, shapes: tuple[dict, ...] = (), notes: tuple[dict, ...] = ()) -> go.Figure:
    """`shapes` and `notes` (annotations), as dicts, appended to the layout's, each list set once:
    add_shape and add_annotation validate the new object twice, a third more time (measured)."""
    lay = fig.layout
    if shapes:
        lay["shapes"] = (*lay.shapes, *shapes)
    if notes:
        lay["annotations"] = (*lay.annotations, *notes)
    return fig


def mark_step(fig: go.Figure, x: float, color: str, text: str = "", *, top: bool = True,
              dash: str = "dash", xref: str = "x", xanchor: str = "left") -> None:
    """A vertical line at step `x` with an optional note at the top (or bottom) of the plot.

    A shape and an annotation rather than add_vline, which costs ~10x more per
    call (measured). `xref` names the x axis of a subplot ("x2", ...); `xanchor="right"`
    puts the note left of the line (for a step near the right edge). The note is
    wrapped narrow ("mark"): it sits inside the plot, beside the line.
    """
    yref = "paper" if xref == "x" else f"{xref.replace('x', 'y')} domain"
    note = dict(text=wrap(text, chars("mark", NORMAL.note)), x=x, y=1.0 if top else 0.0, xref=xref, yref=yref,
                showarrow=False, xanchor=xanchor, name="mark", yanchor="top" if top else "bottom",
                align=xanchor, bgcolor="rgba(255,255,255,0.8)", font=dict(color=color, size=NORMAL.note))
    append(fig, shapes=(dict(type="line", x0=x, x1=x, y0=0, y1=1, xref=xref, yref=yref,
                             line=dict(color=color, dash=dash)),), notes=(note,) if text else ())


def mark_divergence(fig: go.Figure, step: int, label: str, color: str = PROBLEM, xref: str = "x") -> None:
    """A dashed vertical line and a note where a run became non-finite."""
    mark_step(fig, step, color, label, xref=xref)


def hline(fig: go.Figure, y: float, color: str, text: str, *, right: bool = True, above: bool = False,
          dash: str = "dot") -> None:
    """A horizontal reference line across the plot with a short note at one end, inside the plot."""
    log = fig.layout.yaxis.type == "log"  # call after layout(): annotations on a log axis take log10(y)
    note = dict(text=wrap(text, chars("mark", NORMAL.note)), x=1 if right else 0,
                y=float(np.log10(y)) if log else y, xref="paper", yref="y", showarrow=False,
                xanchor="right" if right else "left", yanchor="bottom" if above else "top",
                align="right" if right else "left", name="mark", font=dict(color=color, size=NORMAL.note))
    append(fig, shapes=(dict(type="line", x0=0, x1=1, y0=y, y1=y, xref="paper", yref="y",
                             line=dict(color=color, dash=dash)),), notes=(note,))


CLASS_COLORS = (ORANGE, SKY_BLUE)  # class 0, class 1 points
CLASS_SYMBOLS = ("circle", "diamond")


def boundary_figure(grid_x: np.ndarray, grid_y: np.ndarray, proba: np.ndarray | None, title: str,
                    color: str, points: list[tuple[str, np.ndarray, np.ndarray, int]],
                    flipped: tuple[np.ndarray, np.ndarray] | None = None,
                    axes: tuple[str, str] = ("x1 (standardized)", "x2 (standardized)")) -> go.Figure:
    """A trained network's P(class 1) over the plane, its P = 0.5 line, and labelled points.

    `points`: (name, X [n, 2], y [n], marker size) per group, e.g. training
    points large and validation points small; `flipped`: (X, mask) to mark the
    training points whose label was flipped with a cross; `axes`: the two axis titles (the
    inputs' units). Classes differ by colour
    and symbol (circle, diamond), small groups are drawn open.
    """
    if proba is None or not np.isfinite(proba).any():
        return empty_note(layout(go.Figure(), title, *axes),
                          "The model's output is not finite: nothing to draw.")
    traces = [dict(type="contour", x=grid_x, y=grid_y, z=proba, zmin=0, zmax=1, opacity=0.3,
                   colorscale=[[0, CLASS_COLORS[0]], [0.5, WHITE], [1, CLASS_COLORS[1]]],
                   contours=dict(start=0, end=1, size=0.1), line=dict(width=0),
                   showscale=False, name="P(class 1)", hoverinfo="skip", showlegend=False),
              dict(type="contour", x=grid_x, y=grid_y, z=proba, showscale=False,
                   contours=dict(start=0.5, end=0.5, size=1, coloring="none"),
                   line=dict(color=color, width=3), name="boundary (P = 0.5)",
                   hoverinfo="skip", showlegend=True)]
    for name, X, y, size in points:
        for cls, col in enumerate(CLASS_COLORS):
            pick = y == cls
            small = size <= 4
            # small points (validation) open, large ones (training) filled: told apart in grey too
            traces.append(dict(type="scatter", x=X[pick, 0], y=X[pick, 1], mode="markers",
                               name=f"{name}, class {cls}",
                               marker=dict(size=size + 1 if small else size, color=col,
                                           opacity=0.8 if small else 1.0,
                                           symbol=CLASS_SYMBOLS[cls] + ("-open" if small else ""),
                                           line=None if small else dict(color=BLACK, width=1))))
    if flipped is not None and flipped[1].any():
        X, mask = flipped
        traces.append(dict(type="scatter", x=X[mask, 0], y=X[mask, 1], mode="markers",
                           name=f"flipped label ({int(mask.sum())})",
                           marker=dict(size=12, color=BLACK, symbol="x-thin",
                                       line=dict(color=BLACK, width=2))))
    fig = go.Figure(traces, layout=dict(xaxis=dict(range=[grid_x[0], grid_x[-1]]),
                                        yaxis=dict(range=[grid_y[0], grid_y[-1]])))
    return layout(fig, title, *axes, plot=320)


def empty_note(fig: go.Figure, text: str) -> go.Figure:
    """A centred message in place of data (e.g. 'nothing finite to plot')."""
    note = dict(text=wrap(text, chars("note", 14)), x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                name="empty", font=dict(size=14, color=NEUTRAL))
    return append(fig, notes=(note,))
