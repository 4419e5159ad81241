"""The Overfitting page through AppTest: defaults, every preset, a control, the URL, bad input.

Every run checks both layers: the plain lines shown outside expanders, today's full text (the intro and
the summary, line by line) inside "The numbers behind it".
"""

import pytest

from depthkit.experiments import overfitting as exp
from depthkit.presentation.text import glossary
from depthkit.presentation.text import overfitting as text
from tests import plain_util as pu
from tests.apptest_util import open_page, plotly_specs
from tests.test_overfitting import result_of, sweep_of

PAGE = "pages/overfitting.py"
N_CHARTS = 6  # curves and boundary for problem and remedy, seed spread, capacity sweep


def _expert(at) -> str:
    """What "The numbers behind it" shows, joined."""
    return "\n".join(pu.expander_texts(at.main, glossary.EXPERT_LABEL))


def _check(at, **overrides) -> None:
    assert not at.exception, [e.message for e in at.exception]
    specs = plotly_specs(at)
    assert len(specs) == N_CHARTS
    assert all(s["layout"]["title"]["text"] for s in specs)
    r, sweep = result_of(**overrides), sweep_of(**overrides)
    # the expert layer holds today's text, every line of it, one click away
    expert = _expert(at)
    assert text.INTRO in expert
    for line in filter(None, text.summary(r, sweep).splitlines()):
        assert line in expert, line
    # the plain layer, outside every expander: the point, one line under each row of charts
    visible = _visible(at.main)
    assert f"**{text.POINT}**" in visible
    assert text.plain_first_seed(r) in visible
    assert text.plain_spread_row(r, sweep) in visible
    assert text.summary(r, sweep) not in visible and text.INTRO not in "\n".join(visible)


def _visible(node) -> list[str]:
    """The raw markdown shown in `node`'s tree outside expanders and popovers."""
    if getattr(node, "type", None) in pu.HIDDEN_TYPES:
        return []
    out = [node.value] if getattr(node, "type", None) == "markdown" else []
    for child in getattr(node, "children", {}).values():
        out += _visible(child)
    return out


def test_default_view():
    at = open_page(PAGE)
    _check(at)
    assert len(at.get("download_button")) == 3
    sources = [e for e in at.expander if e.label.startswith("Sources")]
    assert len(sources) == 1
    shown = " ".join(m.value for m in sources[0].markdown)
    for author in ("Srivastava", "Loshchilov", "Zhang", "Prechelt"):
        assert author in shown


@pytest.mark.parametrize("label", list(exp.PRESETS))
def test_every_preset(label):
    at = open_page(PAGE)
    at.button(key=f"preset.OverfittingSettings.{label}").click().run()
    _check(at, **exp.PRESETS[label])


def test_changing_a_control_reruns_with_it():
    at = open_page(PAGE)
    at.sidebar.slider(key="OverfittingSettings.n_seeds").set_value(3).run()
    _check(at, n_seeds=3)
    assert at.query_params["n_seeds"] == ["3"] or at.query_params["n_seeds"] == "3"


def test_link_restores_the_settings():
    at = open_page(PAGE, query={"remedy": "early stopping", "n_seeds": "3", "steps": "100"})
    _check(at, remedy="early stopping", n_seeds=3, steps=100)
    assert "patience ran out" in _expert(at)


def test_bad_link_values_are_replaced_with_a_notice():
    at = open_page(PAGE, query={"depth": "abc", "n_seeds": "3", "n_train": "9999"})
    assert not at.exception
    notice = " ".join(w.value for w in at.warning)
    assert "depth" in notice and "n_train" in notice
    _check(at, n_seeds=3, n_train=500)


def test_settings_that_do_not_work_together_show_an_error_not_a_traceback():
    at = open_page(PAGE)
    at.sidebar.selectbox(key="OverfittingSettings.remedy").set_value("smaller network")
    at.sidebar.slider(key="OverfittingSettings.small_depth").set_value(8)
    at.sidebar.select_slider(key="OverfittingSettings.small_width").set_value(64).run()
    assert not at.exception
    assert any("not smaller" in e.value for e in at.error)
    assert len(at.get("plotly_chart")) == 0


def test_presenter_mode_hides_both_layers_and_keeps_the_charts():
    at = open_page(PAGE, query={"presenter": "1"})
    assert not at.exception and len(plotly_specs(at)) == N_CHARTS
    r, sweep = result_of(), sweep_of()
    shown = "\n".join(_visible(at.main))
    assert text.POINT not in shown and text.plain_first_seed(r) not in shown
    assert text.plain_spread_row(r, sweep) not in shown
    assert glossary.EXPERT_LABEL not in [e.label for e in at.expander]
