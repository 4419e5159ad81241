"""The Training Speed page through AppTest: defaults, numbers in the text, measure again, presets."""

import base64
import re

import numpy as np
import pytest

from depthkit import ui
from depthkit.core import fmt
from depthkit.experiments import speed as exp
from depthkit.experiments import timing as step_timing
from depthkit.presentation.text import glossary
from depthkit.presentation.text import speed as words
from tests.apptest_util import open_page, plotly_specs
from tests.plain_util import expander_texts, visible_texts

N_TRAINED_CHARTS = 5  # loss curves, final loss, steps, time; degradation
N_CHARTS = 4 + N_TRAINED_CHARTS  # time per step, compute, hardware, GFLOP/s; the trained ones


def _result(settings: exp.SpeedSettings) -> exp.Result:
    """exp.run(settings) through the page's public cache path, ui.run_cached: a hit if the page
    ran exactly these settings, a fresh (deterministic) run otherwise."""
    return ui.run_cached(exp.run, settings)


def _array(value) -> np.ndarray:
    """A plotly JSON array: a list, or a typed array {"dtype", "bdata"}."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).astype(float)
    return np.array(value, dtype=float)


COMPUTER_NOTATION = re.compile(r"\d[eE][+-]?\d|nan|\binf\b")


def _timing_text(at) -> str:
    """The live timing's 'What you are seeing' paragraph as shown: in the expert layer."""
    return next(m for m in expander_texts(at.main, glossary.EXPERT_LABEL)
                if "What you are seeing — cost per step" in m)


def _expert(at) -> str:
    """What "The numbers behind it" expanders hold (the page's full text of before issue 23)."""
    return "\n".join(expander_texts(at.main, glossary.EXPERT_LABEL))


def _visible(at) -> str:
    return "\n".join(visible_texts(at.main))


def _check_layers(at, result: exp.Result) -> None:
    """The expert layer holds every line of both summaries; the plain lines are shown outside it."""
    expert = _expert(at)
    for part in (words.summary(result), words.degradation_summary(result)):
        for line in filter(None, (x.strip() for x in part.splitlines())):
            assert line in expert, line
    shown = _visible(at)
    for line in (words.plain_curves(result), words.plain_steps(result), words.plain_degradation(result)):
        assert line in shown, line
        assert line not in expert
    assert words.summary(result) not in shown and words.degradation_summary(result) not in shown


def _time_chart(at) -> dict:
    specs = plotly_specs(at)
    return next(s for s in specs if s["layout"]["title"]["text"].startswith("Time per training step"))


def _check_timing_text(at) -> np.ndarray:
    """The slope and R^2 in the text equal a fit of the medians drawn on the chart."""
    trace = _time_chart(at)["data"][0]
    depths, medians_ms = _array(trace["x"]), _array(trace["y"])
    fit = step_timing.fit_line(depths, medians_ms / 1e3)
    text = _expert(at)
    slope = fmt.seconds(fit.slope)
    assert f"each extra layer adds **{slope} per step** (R² = {fit.r2:.3f})" in text
    return medians_ms


@pytest.fixture(scope="module")
def page():
    at = open_page("pages/speed.py")
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_defaults_render_with_numbers_from_the_run(page):
    assert len(page.get("plotly_chart")) == N_CHARTS
    assert not page.error
    result = _result(exp.SpeedSettings())
    _check_layers(page, result)
    expert = _expert(page)
    assert words.CLAIM in expert and words.COST_INTRO in expert  # moved, not lost
    shown = _visible(page)
    assert f"**{words.POINT}**" in [m.value for m in page.markdown] and words.COST_PLAIN in shown
    assert "One step of the 64-layer network took" in shown and "billion operations a second" in shown
    assert "What you are seeing" not in shown
    assert not COMPUTER_NOTATION.search(words.summary(result) + words.degradation_summary(result))
    assert not COMPUTER_NOTATION.search(_timing_text(page)), _timing_text(page)
    _check_timing_text(page)
    titles = [s["layout"]["title"]["text"] for s in plotly_specs(page)]
    assert any(t.startswith("Batch-norm networks, 60 steps") for t in titles), titles
    assert not any(COMPUTER_NOTATION.search(t) for t in titles), titles
    assert any(e.label.startswith("Sources") for e in page.expander)
    caption = " ".join(c.value for c in page.caption)
    assert "Measured" in caption and "UTC" in caption
    assert ("CPU only" in caption) or ("GPU" in caption)
    assert any(b.label.startswith("Download") for b in page.get("download_button"))


def test_measure_again_takes_new_timings_and_keeps_the_training(page):
    before = _check_timing_text(page)
    summary = words.summary(_result(exp.SpeedSettings()))
    page.button(key="speed.measure_again").click().run()
    assert not page.exception
    after = _check_timing_text(page)
    assert not np.array_equal(before, after)  # a fresh measurement, not the cached one
    assert summary in _expert(page)


def test_changing_a_timing_control_only_remeasures(page):
    page.sidebar.select_slider(key="TimingSettings.time_width2").set_value(0).run()
    assert not page.exception
    assert len(page.get("plotly_chart")) == N_CHARTS
    names = [t.get("name", "") for t in _time_chart(page)["data"]]
    assert any(n.startswith("width 32") for n in names)
    assert not any(n.startswith("width 64") for n in names)
    assert page.query_params["time_width2"] == ["0"] or page.query_params["time_width2"] == "0"
    _check_timing_text(page)


@pytest.mark.parametrize("label", list(exp.PRESETS))
def test_every_preset_runs(page, label):
    page.button(key=f"preset.SpeedSettings.{label}").click().run()
    assert not page.exception, [e.message for e in page.exception]
    assert not page.error
    settings = exp.SpeedSettings(**exp.PRESETS[label])
    assert page.sidebar.selectbox(key="SpeedSettings.max_depth").value == settings.max_depth
    assert len(page.get("plotly_chart")) == N_CHARTS
    result = _result(settings)
    _check_layers(page, result)
    assert not COMPUTER_NOTATION.search(words.summary(result) + words.degradation_summary(result))


def test_link_with_small_settings_and_bad_values():
    at = open_page("pages/speed.py", query={"max_depth": "8", "steps": "20", "seeds": "2",
                                             "time_max_depth": "16", "repeats": "zz"})
    assert not at.exception
    assert any("repeats" in w.value for w in at.warning)
    settings = exp.SpeedSettings(max_depth=8, steps=20, seeds=2)
    assert words.summary(_result(settings)) in _expert(at)
    trace = _time_chart(at)["data"][0]
    assert list(_array(trace["x"])) == [2, 4, 8, 12, 16]


def test_timing_over_budget_is_refused_on_the_page():
    at = open_page("pages/speed.py", query={"time_width": "256", "time_width2": "256", "time_points": "5000",
                                             "repeats": "15", "steps_per_repeat": "20"})
    assert not at.exception
    assert any("Not measured" in e.value and "budget" in e.value for e in at.error)
    assert len(at.get("plotly_chart")) == N_TRAINED_CHARTS  # the trained half still shows
    assert words.summary(_result(exp.SpeedSettings())) in _expert(at)


@pytest.mark.parametrize("label", list(step_timing.PRESETS))
def test_every_timing_preset_measures(page, label):
    page.button(key=f"preset.TimingSettings.{label}").click().run()
    assert not page.exception, [e.message for e in page.exception]
    settings = step_timing.TimingSettings(**step_timing.PRESETS[label])
    assert page.sidebar.selectbox(key="TimingSettings.time_max_depth").value == settings.time_max_depth
    assert len(page.get("plotly_chart")) == N_CHARTS
    names = [t.get("name", "") for t in _time_chart(page)["data"]]
    assert any(n.startswith(f"width {settings.time_width}:") for n in names)
    _check_timing_text(page)
