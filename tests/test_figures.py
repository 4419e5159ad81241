"""depthkit.serving.figures: chart specs kept per (builder, result, arguments, mode), in memory, on disk."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from depthkit.experiments.result import Result
from depthkit.presentation.charts.common import layout
from depthkit.serving import figures as figs
from depthkit.serving.store import ResultStore, result_modules


@dataclass(frozen=True)
class Tiny:
    n: int


@dataclass
class Line(Result):
    y: np.ndarray


CALLS: list[tuple] = []


def line_chart(result: Line, scale: float = 1.0) -> go.Figure:
    CALLS.append((result.fingerprint, scale))
    fig = go.Figure(go.Scatter(y=result.y * scale, name="a line"))
    return layout(fig, "A line", "step", "value")


def _ys(fig: go.Figure) -> list[float]:
    """The first trace's y values (a kept spec holds them as plotly's typed arrays: base64)."""
    y = fig.to_dict()["data"][0]["y"]
    if isinstance(y, dict):
        return np.frombuffer(base64.b64decode(y["bdata"]), dtype=np.dtype(y["dtype"])).tolist()
    return list(y)


def _result(n: int = 5) -> Line:
    return Line(settings=Tiny(n), y=np.arange(n, dtype=float))


def test_a_figure_is_built_once_per_result_arguments_and_mode():
    cache, r = figs.Figures(), _result()
    CALLS.clear()
    for _ in range(3):
        cache.figure(line_chart, r)
    assert cache.built == 1 and len(CALLS) == 1
    cache.figure(line_chart, r, (2.0,))
    cache.figure(line_chart, r, (), True)
    cache.figure(line_chart, _result(6))
    assert cache.built == 4
    # the same content under another object is the same figure (keyed by the fingerprint)
    cache.figure(line_chart, _result())
    assert cache.built == 4


def test_the_figure_is_the_built_one_and_presenter_mode_restyles_it():
    cache, r = figs.Figures(), _result()
    normal, presenter = cache.figure(line_chart, r), cache.figure(line_chart, r, (), True)
    assert _ys(normal) == [0, 1, 2, 3, 4]
    assert presenter.layout.title.font.size > normal.layout.title.font.size
    assert presenter.layout.height > normal.layout.height


def test_memory_is_bounded_in_bytes_oldest_out_first():
    one = len(figs.build_spec(line_chart, _result(), (), False))
    cache = figs.Figures(memory_bytes=int(2.5 * one))
    for n in (5, 6, 7):
        cache.figure(line_chart, _result(n))
    assert cache.memory_size() <= 2.5 * one
    cache.figure(line_chart, _result(7))
    assert cache.built == 3  # the newest stayed
    cache.figure(line_chart, _result(5))
    assert cache.built == 4  # the oldest went


def test_prepared_figures_survive_a_restart_on_disk(tmp_path):
    store = ResultStore(tmp_path)
    first = figs.Figures(store)
    assert first.prepare(line_chart, _result()) is True
    assert first.prepare(line_chart, _result()) is False  # on disk already
    after_restart = figs.Figures(ResultStore(tmp_path))
    fig = after_restart.figure(line_chart, _result())
    assert after_restart.built == 0 and _ys(fig) == [0, 1, 2, 3, 4]
    # a visitor's own figures stay in memory only
    first.figure(line_chart, _result(9))
    assert len(store.entries()) == 1


def test_a_corrupt_or_foreign_spec_on_disk_is_rebuilt(tmp_path, monkeypatch):
    store = ResultStore(tmp_path)
    figs.Figures(store).prepare(line_chart, _result())
    (path,) = store.entries()
    path.write_bytes(path.read_bytes()[:-20])  # truncated
    again = figs.Figures(ResultStore(tmp_path))
    again.figure(line_chart, _result())
    assert again.built == 1
    # other chart code: the key holds the charts' hash, so the old spec is not read
    figs.Figures(store).prepare(line_chart, _result())
    monkeypatch.setattr(figs, "_charts_hash", "another-version")
    other = figs.Figures(ResultStore(tmp_path))
    other.figure(line_chart, _result())
    assert other.built == 1


def test_charts_hash_follows_the_chart_code_not_the_experiments():
    files = {p.relative_to(figs.PACKAGE).as_posix() for p in result_modules(figs.PACKAGE, figs.CHART_ROOTS)}
    assert {"presentation/charts/common.py", "presentation/charts/vanishing.py", "core/fmt.py"} <= files
    assert not any(f.startswith(("ui/", "serving/")) for f in files)
    assert len(figs.charts_hash()) == 16


def test_from_spec_gives_back_the_spec():
    spec = figs.build_spec(line_chart, _result(), (), False)
    assert json.loads(figs.from_spec(spec).to_json()) == json.loads(spec)


def test_two_runs_with_other_wall_times_are_two_figures():
    """Wall-clock records are left out of a result's fingerprint, but the Training speed page draws
    times made from them: a recomputed result must not be drawn with the old run's times."""
    from depthkit.experiments import speed
    settings = speed.SpeedSettings(max_depth=8, steps=10, seeds=1, long_steps=10, n_samples=100)
    first, second = speed.run(settings), speed.run(settings)
    assert first.fingerprint == second.fingerprint
    assert figs.wall_clock(first) != figs.wall_clock(second)
    cache = figs.Figures()
    cache.figure(line_chart_of_speed, first)
    cache.figure(line_chart_of_speed, second)
    assert cache.built == 2


def line_chart_of_speed(result) -> go.Figure:
    return layout(go.Figure(go.Scatter(y=result.seconds_per_step.ravel())), "Seconds", "x", "s")


def _arrays_of_every_kind() -> go.Figure:
    """Data plotly writes as typed arrays (numbers), as lists or leaves as they are, in traces and layout."""
    arrays = [np.arange(5, dtype=np.int64), np.arange(5, dtype=np.int64) * 10**10,
              np.arange(3, dtype=np.uint64), np.linspace(0, 1, 4, dtype=np.float32),
              np.arange(6.0).reshape(2, 3), np.zeros(0), np.arange(10.0)[::3], np.array([True, False]),
              np.array(["a", "b"]), np.arange(4, dtype=np.int16)]
    traces = [dict(type="scatter", y=np.arange(3.0) * i, customdata=a, name=f"array {i}")
              for i, a in enumerate(arrays)]
    traces += [dict(type="scatter", x=[1, 2, 3], y=[1.5, None, np.float64(2.0)], text=["a", None, "c"]),
               dict(type="heatmap", z=[[1.0, None], [3.0, 4.0]], customdata=[["1", "2"], ["3", "4"]]),
               dict(type="bar", x=["a", "b"], y=np.array([1, 2]), customdata=list(zip("ab", "cd")))]
    fig = go.Figure(traces, layout=dict(xaxis=dict(range=np.array([0.0, 2.0]), tickvals=np.arange(3))))
    fig.add_annotation(text="a note", x=1, y=2)
    return layout(fig, "Every kind of array", "x", "y")


def test_to_json_writes_the_string_plotly_writes():
    """figures.to_json leaves out pio.to_json's deep copy and part of its array walk: the same string,
    for arrays of every kind, a chart's spec in both modes, and a figure with subplots."""
    assert figs.to_json(_arrays_of_every_kind()) == pio.to_json(_arrays_of_every_kind(), validate=False)
    for presenter in (False, True):
        built = figs.build_spec(line_chart, _result(), (), presenter)
        fig = line_chart(_result())
        assert built == pio.to_json(figs.for_presenter(fig) if presenter else fig, validate=False)
    from plotly.subplots import make_subplots
    grid = make_subplots(rows=2, cols=2)
    grid.add_trace(go.Scatter(y=np.arange(4.0)), row=2, col=2)
    assert figs.to_json(grid) == grid.to_json(validate=False)
