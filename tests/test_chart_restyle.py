"""`charts.common.layout`, `restyle` and `for_presenter` read a figure once and set each changed
property once, whole (fast), as do `update_axis` and `append`; they must draw exactly what the
straightforward version below draws, which sets every text and size on the figure one plotly call
at a time, changes axes with `update_layout` and adds shapes and notes with `add_shape` and
`add_annotation`. Axes written out in place of `make_subplots` must be its axes, and
`figures.to_json` must write what `pio.to_json` writes.

Every chart of every page's view (depthkit.presentation.views, from small real runs), the Training speed
page's timing charts (made-up timings, with and without a GPU), the poll's charts, an empty
decision boundary and a figure not laid out by `layout`, in both modes: the plotly JSON of the
fast path equals the reference's.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from plotly.subplots import make_subplots

import depthkit.presentation.charts
from depthkit.experiments import exploding, overfitting, speed, vanishing
from depthkit.presentation import views
from depthkit.presentation.charts import common
from depthkit.presentation.charts import overfitting as overfitting_charts
from depthkit.presentation.charts import poll as poll_charts
from depthkit.presentation.charts import speed as speed_charts
from depthkit.presentation.charts.common import (
    CHAR_EM,
    HARD,
    LEGEND,
    NARROWEST,
    NORMAL,
    PRESENTER,
    ROOM,
    Type,
    _lines,
    _title,
    chars,
    wrap,
)
from depthkit.serving import figures
from depthkit.workshop import poll, quiz
from tests.test_speed import _fake_timing

# ---- the reference: the straightforward version, one plotly set per text --------------------------


def ref_layout(fig, title, x_title, y_title, *, log_y=False, plot=260, notes=(), height=None):
    if height is not None:
        plot = max(120, height - 120)
    fig.update_layout(
        title=dict(text=title, x=0, xref="container", xanchor="left", pad=dict(l=10), y=1, yref="paper",
                   yanchor="bottom", automargin=True),
        legend=LEGEND, margin=dict(l=10, r=14, t=10, b=10),
        meta=dict(plot=plot, title=title, notes=HARD.join(notes)))
    fig.update_xaxes(title_text=x_title, automargin=True)
    fig.update_yaxes(title_text=y_title, type="log" if log_y else "linear", automargin=True,
                     exponentformat="power" if log_y else "none")
    return ref_restyle(fig, NORMAL)


def _ref_legend_height(fig: go.Figure, t: Type) -> float:
    seen, names = set(), []
    for tr in fig.data:
        group = tr.legendgroup or id(tr)
        if tr.showlegend is False or group in seen or (tr.showlegend is None and len(fig.data) < 2):
            continue
        seen.add(group)
        names.append(tr.name or "")
    row_w, rows, row_h, room = 0.0, 0.0, 0.0, NARROWEST - 20
    for name in names:
        w = 45 + CHAR_EM * t.legend * max((len(common._TAG.sub("", s)) for s in name.split("<br")), default=0)
        h = _lines(name) * t.legend * 1.3 + 8
        if row_w and row_w + w > room:
            rows, row_w, row_h = rows + row_h, 0.0, 0.0
        row_w, row_h = row_w + w, max(row_h, h)
    return rows + row_h


def ref_restyle(fig: go.Figure, t: Type) -> go.Figure:
    lay = fig.layout
    meta = lay.meta if isinstance(lay.meta, dict) else {}
    if lay.title.text:
        lay.title.text = _title(meta.get("title", lay.title.text), meta.get("notes", ""), t)
    fig.update_layout(title_font_size=t.title, font_size=t.tick, legend_font_size=t.legend,
                      hoverlabel_font_size=t.hover)
    for ax in [*fig.select_xaxes(), *fig.select_yaxes()]:
        if ax.title.text:
            ax.title.text = wrap(ax.title.text, chars("axis", t.axis))
        ax.title.font.size, ax.tickfont.size = t.axis, t.tick
    for a in lay.annotations:
        a.text = wrap(a.text or "", chars(a.name if a.name in ROOM else "note", t.note))
        a.font.size = max(t.note, a.font.size or 0) if a.name == "empty" else t.note
    for trace in fig.data:
        if trace.name and trace.showlegend is not False:
            trace.name = wrap(trace.name, chars("legend", t.legend))
        if "colorbar" in trace:
            bar = trace.colorbar
            bar.title.text = wrap(bar.title.text or "", chars("colorbar", t.tick))
            bar.title.font.size, bar.tickfont.size = t.tick, t.tick
        if "textfont" in trace:
            trace.textfont.size = t.tick
    if "plot" in meta:
        top = 14 + _lines(lay.title.text) * t.title * 1.3
        x_lines = max((_lines(ax.title.text) for ax in fig.select_xaxes()), default=0)
        bottom = 14 + t.tick * 1.8 + x_lines * t.axis * 1.3 + _ref_legend_height(fig, t)
        lay.height = int(meta["plot"] * t.scale + top + bottom)
    return fig


def ref_for_presenter(fig: go.Figure) -> go.Figure:
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    if "plot" not in meta:
        fig.update_layout(height=int((fig.layout.height or 450) * PRESENTER.scale))
    return ref_restyle(fig, PRESENTER)


def ref_update_axis(fig: go.Figure, key: str, **props) -> go.Figure:
    return fig.update_layout({key: props})


def ref_append(fig: go.Figure, *, shapes=(), notes=()) -> go.Figure:
    for shape in shapes:
        fig.add_shape(**shape)
    for note in notes:
        fig.add_annotation(**note)
    return fig


def _use_reference(monkeypatch) -> None:
    """Every chart module's `layout`, `restyle`, `for_presenter`, `update_axis` and `append`
    replaced by the reference."""
    swap = {common.layout: ref_layout, common.restyle: ref_restyle, common.for_presenter: ref_for_presenter,
            common.update_axis: ref_update_axis, common.append: ref_append}
    for info in pkgutil.iter_modules(depthkit.presentation.charts.__path__):
        module = importlib.import_module(f"depthkit.presentation.charts.{info.name}")
        for name, value in list(vars(module).items()):
            if callable(value) and value in swap:
                monkeypatch.setattr(module, name, swap[value])


# ---- the charts ---------------------------------------------------------------------------------


def _poll_charts(folder) -> list[tuple[str, Callable[[], go.Figure]]]:
    store = poll.PollStore(folder / "poll.sqlite3")
    code, _ = store.create_room(problem="exploding", seed=3)
    empty = store.summary(code)
    qs = quiz.questions("exploding")
    for i in range(5):
        me = poll.new_attendee_id()
        for q in qs[: 1 + i % len(qs)]:
            wrong = [o for o in q.option_ids if o not in q.correct][:1]
            store.submit(code, me, q.id, list(q.correct) if i % 2 == 0 else wrong)
    summary = store.summary(code)
    q = quiz.BY_ID["exploding-signs-multi"]
    order = quiz.option_order(q, 1)
    counts = {o: i for i, o in enumerate(order)}
    return [("poll.score_spread.empty", lambda: poll_charts.score_spread(empty)),
            ("poll.score_spread", lambda: poll_charts.score_spread(summary)),
            ("poll.share_right", lambda: poll_charts.share_right(summary)),
            *((f"poll.answer_counts.{rev}", lambda rev=rev: poll_charts.answer_counts(
                q, order, counts, sum(counts.values()), revealed=rev)) for rev in (False, True))]


def _unlaid() -> go.Figure:
    return go.Figure(go.Scatter(y=[1, 3, 2], name="a series whose name is far too long for one line "
                                                  "of a phone's legend"), layout=dict(height=300))


@pytest.fixture(scope="module")
def charts(tmp_path_factory) -> list[tuple[str, Callable[[], go.Figure]]]:
    """(name, a function drawing it) of every chart the pages draw, from small real runs."""
    o_small = overfitting.OverfittingSettings(steps=40)
    small = {vanishing.run: vanishing.run(vanishing.VanishingSettings(steps=20, n_samples=200, depth=8)),
             exploding.run: exploding.run(exploding.ExplodingSettings(depth=12, steps=20)),
             overfitting.run: overfitting.run(o_small),
             overfitting.run_smaller: overfitting.run_smaller(overfitting.sweep_settings(o_small)),
             speed.run: speed.run(speed.SpeedSettings(max_depth=8, steps=10, seeds=2, long_steps=10,
                                                      n_samples=100))}
    out = [(f"{b.__module__}.{b.__name__}{args}", lambda b=b, r=r, args=args: b(r, *args))
           for b, r, args in views.all_views(lambda fn, _settings: small[fn])]
    for cuda in (False, True):
        timing = _fake_timing(cuda)
        out += [(f"speed.{b.__name__}.cuda={cuda}", lambda b=b, t=timing: b(t))
                for pair in speed_charts.TIMING_PAIRS for b in pair]
    grid = np.linspace(-2, 2, 5)
    out.append(("common.boundary_figure.empty",
                lambda: common.boundary_figure(grid, grid, None, "Nothing to draw", common.BLUE, [])))
    out.append(("unlaid", _unlaid))
    return out + _poll_charts(tmp_path_factory.mktemp("poll"))


def _specs(charts) -> dict[str, dict]:
    """name -> the chart's plotly JSON, parsed; in both modes (presenter: name + ' presenter')."""
    out = {}
    for name, draw in charts:
        out[name] = json.loads(pio.to_json(draw(), validate=False))
        out[name + " presenter"] = json.loads(pio.to_json(common.for_presenter(draw()), validate=False))
    return out


def test_the_fast_layout_draws_what_the_reference_draws(charts, monkeypatch):
    fast = _specs(charts)
    _use_reference(monkeypatch)
    assert common.layout is ref_layout and speed_charts.restyle is ref_restyle
    assert common.append is ref_append and overfitting_charts.update_axis is ref_update_axis
    reference = _specs(charts)
    assert len(fast) == len(reference) >= 2 * 40
    for name, spec in fast.items():
        assert spec == reference[name], name
    # the charts are real: each page's, with texts wrapped and a height set by `layout`
    assert {name.split(".")[3] for name in fast if name.startswith("depthkit.presentation.charts.")} >= {
        "home", "vanishing", "exploding", "overfitting", "speed"}
    notes = [a.get("name") for spec in fast.values() for a in spec["layout"].get("annotations", [])]
    assert "empty" in notes and "mark" in notes


def _without_template(fig: go.Figure) -> dict:
    return {k: v for k, v in fig.layout.to_plotly_json().items() if k != "template"}


def test_axes_written_out_are_make_subplots_axes():
    for written, made in ((speed_charts.SECONDARY_Y, make_subplots(specs=[[{"secondary_y": True}]])),
                          (overfitting_charts.TWO_ROWS,
                           make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08))):
        assert _without_template(go.Figure(layout=written)) == _without_template(made)


def test_to_json_writes_the_string_plotly_writes(charts):
    for name, draw in charts:
        for restyle in (lambda fig: fig, common.for_presenter):
            assert figures.to_json(restyle(draw())) == pio.to_json(restyle(draw()), validate=False), name
