"""Every chart of every page: Okabe–Ito colours only, each series told apart without colour,
texts wrapped to fit a phone, and presenter type of 18 px and more.

The figures are built from each page's default run (vanishing, exploding,
overfitting: a few seconds), a small training-speed run and a made-up timing
(real timing would measure this shared machine); Home's thumbnails from the
same results, the poll's charts from a room in a temporary SQLite file with
made-up answers. Every public figure builder
in depthkit/presentation/charts must appear in `FIGURES`, so a new chart is checked too.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re

import numpy as np
import plotly.colors
import plotly.graph_objects as go
import plotly.io as pio
import plotly.tools
import pytest

import depthkit.presentation.charts
from depthkit.experiments import exploding, overfitting, speed, vanishing
from depthkit.presentation.charts import activations as act_charts
from depthkit.presentation.charts import common
from depthkit.presentation.charts import exploding as ex_charts
from depthkit.presentation.charts import home as home_charts
from depthkit.presentation.charts import overfitting as of_charts
from depthkit.presentation.charts import poll as poll_charts
from depthkit.presentation.charts import speed as speed_charts
from depthkit.presentation.charts import vanishing as van_charts
from depthkit.serving.figures import from_spec
from depthkit.workshop import poll, quiz
from tests.runs import shared
from tests.test_speed import _fake_timing

ALLOWED = {c.upper() for c in (*common.PALETTE, common.NEUTRAL, common.WHITE)}
SCALES = [[c.upper() for c in plotly.colors.sequential.Viridis],
          [c.upper() for c in plotly.colors.sequential.Cividis]]


def _poll_figures(folder) -> dict[str, go.Figure]:
    """The poll's charts: one question's answers before and after the reveal (with a ✓), and the
    summary of a room where a few made-up attendees answered (and of one where nobody did)."""
    store = poll.PollStore(folder / "poll.sqlite3")
    code, _ = store.create_room(problem="exploding", seed=3)
    figs = {"poll.score_spread.empty": poll_charts.score_spread(store.summary(code))}
    qs = quiz.questions("exploding")
    for i in range(5):
        me = poll.new_attendee_id()
        for q in qs[: 1 + i % len(qs)]:  # attendees answer different numbers of questions
            wrong = [o for o in q.option_ids if o not in q.correct][:1]
            store.submit(code, me, q.id, list(q.correct) if i % 2 == 0 else wrong)
    summary = store.summary(code)
    figs["poll.share_right"], figs["poll.score_spread"] = (poll_charts.share_right(summary),
                                                           poll_charts.score_spread(summary))
    q = quiz.BY_ID["exploding-signs-multi"]
    order = quiz.option_order(q, 1)
    counts = {o: i for i, o in enumerate(order)}
    for revealed in (False, True):
        figs[f"poll.answer_counts.{revealed}"] = poll_charts.answer_counts(
            q, order, counts, sum(counts.values()), revealed=revealed)
    return figs


@pytest.fixture(scope="module")
def figures(tmp_path_factory) -> dict[str, go.Figure]:
    """name -> figure, for every builder the pages call (both roles, every kind)."""
    v = shared(vanishing.run, vanishing.VanishingSettings())
    v_raw = shared(vanishing.run, vanishing.VanishingSettings(inputs="offset +10", steps=20))
    e = shared(exploding.run, exploding.ExplodingSettings())
    o_settings = overfitting.OverfittingSettings()
    o = shared(overfitting.run, o_settings)
    sweep = shared(overfitting.run_sweep, overfitting.sweep_settings(o_settings))
    s = shared(speed.run, speed.SpeedSettings(max_depth=8, steps=20, seeds=2))
    timing = _fake_timing(cuda=True)
    figs = {"vanishing.gradient_flow": van_charts.gradient_flow(v)}
    for pair in van_charts.PAIRS:
        for build, args, key in pair:
            figs[f"vanishing.{build.__name__}.{key}"] = build(v, *args)
    for kind in ("grad", "signal"):
        figs[f"vanishing.depth_sweep.{kind}"] = van_charts.depth_sweep(v, kind)
    for name in ("grad_norms", "losses", "signal_per_layer", "weight_grad_per_layer", "weight_norms",
                 "repeated_product", "gain_depth_map", "batch_norm_depth"):
        figs[f"exploding.{name}"] = getattr(ex_charts, name)(e)
    for role in overfitting.ROLES:
        figs[f"overfitting.curves.{role}"] = of_charts.curves(o, role)
        figs[f"overfitting.boundary.{role}"] = of_charts.boundary(o, role)
    figs["overfitting.spread"], figs["overfitting.capacity"] = of_charts.spread(o), of_charts.capacity(sweep)
    for pair in speed_charts.TIMING_PAIRS:
        for build in pair:
            figs[f"speed.{build.__name__}"] = build(timing)
    for build in (*sum(speed_charts.TRAINED_PAIRS, ()), speed_charts.degradation):
        figs[f"speed.{build.__name__}"] = build(s)
    figs["home.vanishing_thumb"], figs["home.exploding_thumb"] = (home_charts.vanishing_thumb(v),
                                                                  home_charts.exploding_thumb(e))
    figs["home.overfitting_thumb"], figs["home.speed_thumb"] = (home_charts.overfitting_thumb(o),
                                                                home_charts.speed_thumb(s))
    figs["activations.figure"] = act_charts.figure()
    figs["vanishing.loss_curves.raw"] = van_charts.loss_curves(v_raw)
    figs["vanishing.saturation.raw"] = van_charts.saturation(v_raw)
    figs.update(_poll_figures(tmp_path_factory.mktemp("poll")))
    return figs


def test_every_figure_builder_is_checked(figures):
    builders = set()
    for mod in pkgutil.iter_modules(depthkit.presentation.charts.__path__):
        module = importlib.import_module(f"depthkit.presentation.charts.{mod.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_") and mod.name != "common" \
                    and inspect.signature(fn).return_annotation in ("go.Figure", go.Figure):
                builders.add(f"{mod.name}.{name}")
    checked = {".".join(key.split(".")[:2]) for key in figures}
    assert builders - checked == set(), "add these chart builders to this test"


def _hex(color) -> str | None:
    """'#RRGGBB' of a plotly colour string ('#abc', 'rgba(...)'); None for no colour."""
    if color is None:
        return None
    color = str(color).strip()
    if color.startswith("rgb"):
        r, g, b = (int(float(x)) for x in color[color.index("(") + 1:-1].split(",")[:3])
        return f"#{r:02X}{g:02X}{b:02X}"
    if len(color) == 4:
        color = "#" + "".join(2 * ch for ch in color[1:])
    return color.upper()


def _colors(fig: go.Figure) -> list[tuple[str, object]]:
    """(where, colour) of every colour a trace, shape or annotation sets."""
    found = []
    for i, t in enumerate(fig.data):
        spec = t.to_plotly_json()
        for path in (("line", "color"), ("marker", "color"), ("marker", "line", "color"), ("fillcolor",),
                     ("error_y", "color"), ("marker", "pattern", "fgcolor")):
            value = spec
            for step in path:
                value = value.get(step) if isinstance(value, dict) else None
            for c in (value if isinstance(value, (list, tuple, np.ndarray)) else [value]):
                if c is not None:
                    found.append((f"trace {i} ({t.name}) {'.'.join(path)}", c))
    for s in fig.layout.shapes:
        found.append(("shape", s.line.color))
    for a in fig.layout.annotations:
        found.append((f"annotation {common.plain(a.text)[:30]}", a.font.color))
    return [(where, c) for where, c in found if c is not None]


def test_only_palette_colours(figures):
    for name, fig in figures.items():
        for where, color in _colors(fig):
            assert _hex(color) in ALLOWED, f"{name}: {where} is {color}"
        for t in fig.data:
            if "colorscale" in t and t.colorscale:
                scale = [_hex(c) for _, c in t.colorscale]
                assert scale in SCALES or set(scale) <= ALLOWED, f"{name}: colour scale {scale}"


def _look(t) -> tuple:
    """What tells a legend entry apart without colour: dash, marker symbol, bar pattern."""
    if t.type == "bar":
        return ("bar", t.marker.pattern.shape or "")
    mode = t.mode or "lines"
    return ((t.line.dash or "solid") if "lines" in mode else None,
            (t.marker.symbol or "circle") if "markers" in mode else None)


def test_each_series_differs_by_dash_or_marker_not_only_colour(figures):
    for name, fig in figures.items():
        seen: dict[tuple, str] = {}
        groups = set()
        for t in fig.data:
            if t.type not in ("scatter", "bar") or t.showlegend is False:
                continue
            if (t.legendgroup or id(t)) in groups:
                continue
            groups.add(t.legendgroup or id(t))
            look = _look(t)
            assert look not in seen, f"{name}: '{t.name}' looks like '{seen[look]}' without colour: {look}"
            seen[look] = t.name


def _texts(fig: go.Figure) -> list[tuple[str, int]]:
    """(text, font size) of the title, axis titles, annotations, legend entries."""
    lay = fig.layout
    out = [(lay.title.text, lay.title.font.size)]
    out += [(ax.title.text, ax.title.font.size) for ax in (*fig.select_xaxes(), *fig.select_yaxes())
            if ax.title.text]
    out += [(a.text, a.font.size) for a in lay.annotations]
    out += [(t.name, lay.legend.font.size) for t in fig.data if t.name and t.showlegend is not False]
    return out


def test_texts_fit_a_phone_and_presenter_type_is_18px_or_more(figures):
    for name, fig in figures.items():
        presented = common.for_presenter(go.Figure(fig))
        for f in (fig, presented):
            for text, size in _texts(f):
                for line in re.split(r"<br[^>]*>", text or ""):
                    styled = re.search(r"font-size:(\d+)px", line)  # a note line under the title
                    px = int(styled.group(1)) if styled else size
                    line = common._TAG.sub("", line)
                    # a line of `px` px text is at most as wide as the narrowest chart
                    assert len(line) * common.CHAR_EM * px <= common.NARROWEST, f"{name}: '{line}'"
        lay = presented.layout
        sizes = [lay.title.font.size, lay.legend.font.size, lay.hoverlabel.font.size, lay.font.size]
        sizes += [s for ax in (*presented.select_xaxes(), *presented.select_yaxes())
                  for s in (ax.title.font.size, ax.tickfont.size)]
        sizes += [a.font.size for a in lay.annotations]
        assert min(sizes) >= 18, (name, sizes)
        assert presented.layout.height > fig.layout.height


def test_wrap_breaks_at_spaces_keeps_hard_breaks_and_rewraps():
    text = common.wrap("one two three four five" + common.HARD + "six seven", 9)
    assert text == "one two<br>three<br>four five<br />six seven"
    assert common.wrap(text, 40) == "one two three four five<br />six seven"
    assert common.wrap("x<sub>1</sub> y<sub>2</sub>", 5) == "x<sub>1</sub> y<sub>2</sub>"  # tags not counted
    assert common.plain('a<br>b <span style="c">d</span>') == "a b d"



def _wire(fig) -> dict:
    """What st.plotly_chart sends for `fig` (its spec, parsed)."""
    figure = plotly.tools.return_figure_from_figure_or_data(fig, validate_figure=True)
    return json.loads(pio.to_json(figure, validate=False))


def test_a_figure_from_its_kept_spec_is_sent_as_the_built_one(figures):
    """depthkit.serving.figures keeps specs and rebuilds figures without plotly's validation (a private
    keyword): every chart, in both modes, must reach the browser unchanged."""
    for name, fig in figures.items():
        for presenter in (False, True):
            shown = common.for_presenter(go.Figure(fig)) if presenter else fig
            assert _wire(from_spec(pio.to_json(shown, validate=False))) == _wire(shown), (name, presenter)
