"""The exploding-gradients page through AppTest: defaults, every preset, a control change,
a bad link, and a diverging run that renders with its note."""

import functools

import pytest

from depthkit.experiments import exploding as exp
from tests.apptest_util import open_page, plotly_specs

N_CHARTS = 7


@functools.cache
def _run(settings: exp.ExplodingSettings) -> exp.Result:
    """The page's result computed here, once per settings (the page caches its own)."""
    return exp.run(settings)


def _summary(at) -> str:
    texts = [m.value for m in at.markdown if m.value.startswith("**What you are seeing**")]
    assert len(texts) == 1
    return texts[0]


def _check(at, settings: exp.ExplodingSettings) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert len(at.get("plotly_chart")) == N_CHARTS
    assert _summary(at) == exp.summary(_run(settings))


@pytest.fixture(scope="module")
def page():
    return open_page("pages/exploding.py")


def test_defaults_render_with_the_divergence_note(page):
    _check(page, exp.ExplodingSettings())
    result = _run(exp.ExplodingSettings())
    note = f"problem run diverged at step {result.problem.diverged_step}: {result.problem.divergence}"
    assert any(note in w.value for w in page.warning)
    loss_chart = plotly_specs(page)[1]
    notes = [a.get("text", "") for a in loss_chart["layout"].get("annotations", [])]
    assert any(f"diverged at step {result.problem.diverged_step}" in n for n in notes)
    assert loss_chart["layout"]["yaxis"]["type"] == "log"


@pytest.mark.parametrize("label", list(exp.PRESETS))
def test_every_preset(page, label):
    page.button(key=f"preset.ExplodingSettings.{label}").click().run()
    _check(page, exp.ExplodingSettings(**exp.PRESETS[label]))


def test_changing_a_control_reruns_the_experiment(page):
    page.button(key="preset.ExplodingSettings.He init").click().run()
    page.sidebar.selectbox(key="ExplodingSettings.activation").set_value("tanh").run()
    _check(page, exp.ExplodingSettings(fix="He init", activation="tanh"))
    assert page.query_params["activation"] == "tanh"


def test_a_bad_link_is_corrected_with_a_notice():
    at = open_page("pages/exploding.py", query={"fix": "magic", "steps": "abc"})
    _check(at, exp.ExplodingSettings())
    assert any("not usable" in w.value for w in at.warning)
