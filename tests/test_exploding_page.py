"""The exploding-gradients page through AppTest: defaults, every preset, a control change,
a bad link, and a diverging run that renders with its note. The headline and the summary of
the defaults and every preset are written for people (no computer notation)."""

import functools
import re

import pytest

from depthkit.core.spec import field_spec
from depthkit.experiments import exploding as exp
from depthkit.presentation.charts.common import plain
from depthkit.presentation.text import exploding as text
from depthkit.presentation.text import glossary
from tests.apptest_util import open_page, plotly_specs
from tests.plain_util import expander_texts, visible_texts
from tests.runs import shared

N_CHARTS = 8
COMPUTER_NOTATION = re.compile(r"\d[eE][+-]?\d|nan|\binf\b")


@functools.cache
def _run(settings: exp.ExplodingSettings) -> exp.Result:
    """The page's result, once per settings in this test session (tests/runs.py): the page's own
    cache reads the same result store."""
    return shared(exp.run, settings)


def _summary(at) -> str:
    """The "What you are seeing" text, shown in the expert layer ("The numbers behind it")."""
    texts = [m for m in expander_texts(at.main, glossary.EXPERT_LABEL)
             if m.startswith("**What you are seeing**")]
    assert len(texts) == 1
    return texts[0]


def _check(at, settings: exp.ExplodingSettings) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert len(at.get("plotly_chart")) == N_CHARTS
    result = _run(settings)
    assert _summary(at) == text.summary(result)
    # the plain layer: the point, the plain alert and one line per row of charts, outside expanders
    shown = visible_texts(at.main)
    assert [i.value for i in at.info][:1] == [text.plain_headline(result)]
    assert [line(result) for line in text.PLAIN_ROWS] == [t for t in shown if t in
                                                          {line(result) for line in text.PLAIN_ROWS}]
    assert any(text.POINT in t for t in shown) and text.CLAIM not in "\n".join(shown)
    # the expert layer holds today's claim, headline and every line of the summary, unchanged
    expert = "\n".join(expander_texts(at.main, glossary.EXPERT_LABEL))
    lines = [text.CLAIM, text.headline(result)] + text.summary(result).splitlines()
    assert [line for line in lines if line.strip() and line not in expert] == []
    assert not COMPUTER_NOTATION.search(text.summary(result) + text.headline(result))
    assert "phase diagram" not in text.summary(result).lower()
    assert any(e.label.startswith("Sources") for e in at.expander)


@pytest.fixture(scope="module")
def page():
    return open_page("pages/exploding.py")


def test_defaults_render_with_the_divergence_note(page):
    _check(page, exp.ExplodingSettings())
    result = _run(exp.ExplodingSettings())
    problem = result.problem
    note = f"problem run diverged at step {problem.diverged_step}: {text.divergence_cause(problem)}"
    assert any(note in w.value for w in page.warning)
    loss_chart = plotly_specs(page)[1]
    notes = [plain(a.get("text", "")) for a in loss_chart["layout"].get("annotations", [])]  # unwrapped
    assert any(f"diverged at step {result.problem.diverged_step}" in n for n in notes)
    assert loss_chart["layout"]["yaxis"]["type"] == "log"


@pytest.mark.parametrize("label", list(exp.PRESETS))
def test_every_preset(page, label):
    page.button(key=f"preset.ExplodingSettings.{label}").click().run()
    _check(page, exp.ExplodingSettings(**exp.PRESETS[label]))


def test_the_gain3_preset_says_clipping_alone_did_not_rescue_it():
    result = _run(exp.ExplodingSettings(**exp.PRESETS["Gain 3, 30 layers"]))
    headline = text.headline(result)
    assert "clipping at 1 alone did not rescue it" in headline
    # what was measured: the loss fell, in steps of lr × clip, and the wrong points are confidently wrong
    assert "its loss fell from" in headline and "of length 0.05" in headline
    assert "predicted with enormous confidence" in headline and "climbing down" not in headline
    assert "fixed network" not in text.summary(result) + text.headline(result)


def test_the_step_size_preset_names_its_own_mechanism():
    assert "another cause" in exp.STEP_TOO_LARGE
    result = _run(exp.ExplodingSettings(**exp.PRESETS[exp.STEP_TOO_LARGE]))
    summary = text.summary(result)
    assert "Another source of the same blow-up: the step is too large" in summary
    assert "step-size instability" in summary and "(the curvature is not measured here)" in summary
    assert "Cohen et al. 2021" in summary and "Goyal et al. 2017" in summary
    # batch norm's growth at depth is said of initialization, beside He et al.'s healthy norms in training
    assert "Yang et al. find the range shrinks sharply after the first step" in summary
    assert "vanishing, not exploding" not in summary


def test_xavier_says_it_swaps_explosion_for_vanishing():
    result = _run(exp.ExplodingSettings(fix="Xavier init"))
    assert "swaps explosion for vanishing" in text.summary(result)
    assert "30-layer ReLU network with Xavier init" in text.summary(result)
    assert "30-layer ReLU network with Xavier init" in field_spec(exp.ExplodingSettings, "fix").help


def test_xavier_on_tanh_and_sigmoid_says_what_the_scale_was_derived_for():
    slopes = {"sigmoid": "the sigmoid's slope there is only 1/4", "gelu": "GELU's slope there is only 1/2"}
    for activation in ("tanh", "sigmoid", "gelu"):
        result = _run(exp.ExplodingSettings(fix="Xavier init", activation=activation))
        summary = text.summary(result)
        still = activation in slopes
        assert "derived for activations with slope 1 at 0, such as tanh" in summary
        assert all((slope in summary) is (act == activation) for act, slope in slopes.items())
        assert ("so its signal still shrinks" in summary) is (still and result.fix.at_init.signal_ratio < 1)
        assert "meant for tanh and sigmoid" not in summary
        assert f"this {activation} network" in summary and "on ReLU" not in summary


def test_xavier_on_leaky_relu_names_it():
    """leaky_relu takes the ReLU reasoning (its negative slope 0.01 keeps (1 + 0.01²)/2 of the mean
    square), but the sentence names the activation the network has."""
    summary = text.summary(_run(exp.ExplodingSettings(fix="Xavier init", activation="leaky_relu")))
    assert "Xavier initialization on this leaky ReLU (negative slope 0.01, so nearly a ReLU)" in summary
    assert "each leaky ReLU layer scales the backward signal by about 1/√2" in summary
    default = text.summary(_run(exp.ExplodingSettings(fix="Xavier init")))
    assert "Xavier initialization on this ReLU network" in default and "leaky" not in default


def test_changing_a_control_reruns_the_experiment(page):
    page.button(key="preset.ExplodingSettings.He init").click().run()
    page.sidebar.selectbox(key="ExplodingSettings.activation").set_value("tanh").run()
    _check(page, exp.ExplodingSettings(fix="He init", activation="tanh"))
    assert page.query_params["activation"] == "tanh"


def test_a_bad_link_is_corrected_with_a_notice():
    at = open_page("pages/exploding.py", query={"fix": "magic", "steps": "abc"})
    _check(at, exp.ExplodingSettings())
    assert any("not usable" in w.value for w in at.warning)
