"""The Overfitting page through AppTest: defaults, every preset, a control, the URL, bad input."""

import pytest

from depthkit.experiments import overfitting as exp
from depthkit.text import overfitting as text
from tests.apptest_util import open_page, plotly_specs
from tests.test_overfitting import result_of, sweep_of

PAGE = "pages/overfitting.py"
N_CHARTS = 6  # curves and boundary for problem and remedy, seed spread, capacity sweep


def _markdown(at) -> list[str]:
    return [m.value for m in at.markdown]


def _check(at, **overrides) -> None:
    assert not at.exception, [e.message for e in at.exception]
    specs = plotly_specs(at)
    assert len(specs) == N_CHARTS
    assert all(s["layout"]["title"]["text"] for s in specs)
    assert text.summary(result_of(**overrides), sweep_of(**overrides)) in _markdown(at)


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
    assert any("patience ran out" in m for m in _markdown(at))


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
