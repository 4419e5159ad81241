"""depthkit.ui through AppTest on a tiny demo page: URL round-trip, hostile links,
presets, presenter mode, the copy-link box, and CSV export."""

import csv
import dataclasses
import io
import json
import math

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from depthkit import ui
from tests import ui_demo as exp
from tests.apptest_util import ROOT

APP = str(ROOT / "tests" / "ui_demo_app.py")
KEY = "DemoSettings.{}"
# a value different from the default for every field, as URL text
CHANGED = {"depth": "23", "gain": "2.0", "activation": "relu", "residual": "True", "seed": "4242",
           "noise": "0.3"}


def open_demo(query=None, script=APP) -> AppTest:
    at = AppTest.from_file(script, default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def widget_values(at: AppTest) -> dict:
    return {name: at.sidebar.get(kind)[i].value for name, (kind, i) in _widgets(at).items()}


def _widgets(at: AppTest) -> dict:
    """field name -> (element type, index) of its widget in the sidebar."""
    found = {}
    for kind in ("slider", "select_slider", "selectbox", "toggle", "number_input"):
        for i, el in enumerate(at.sidebar.get(kind)):
            if el.key and el.key.startswith("DemoSettings."):
                found[el.key.split(".", 1)[1]] = (kind, i)
    return found


def summary_text(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "spread after the last layer" in m.value)


def share_text(at: AppTest) -> str:
    idx = [m.value for m in at.sidebar.markdown].index(f"**{ui.COPY_LINK_LABEL}**")
    assert idx >= 0
    return at.sidebar.code[0].value


def test_defaults_leave_the_url_empty():
    at = open_demo()
    assert not at.exception
    assert dict(at.query_params) == {}
    assert widget_values(at) == dataclasses.asdict(exp.DemoSettings())
    assert not at.warning


def test_every_kind_of_widget_is_restored_from_the_url_and_written_back():
    at = open_demo(CHANGED)
    assert not at.exception and not at.warning
    expected = exp.DemoSettings.from_strings(CHANGED)[0]
    assert widget_values(at) == dataclasses.asdict(expected)
    assert {k: at.query_params[k] for k in at.query_params} == expected.to_strings() | {}
    # the page's numbers are those of exactly that run
    assert exp.summary(exp.run(expected)) == summary_text(at)


def test_changing_a_control_updates_the_url_and_the_link_restores_it():
    at = open_demo()
    at.sidebar.slider(key=KEY.format("depth")).set_value(31).run()
    at.sidebar.selectbox(key=KEY.format("activation")).set_value("sigmoid").run()
    assert {k: at.query_params[k] for k in at.query_params} == {"depth": "31", "activation": "sigmoid"}
    link = share_text(at)
    assert link == "?depth=31&activation=sigmoid"
    # a fresh session from the copied link shows the same settings and numbers
    fresh = open_demo(dict(p.split("=") for p in link[1:].split("&")))
    assert widget_values(fresh) == widget_values(at)
    assert summary_text(fresh) == summary_text(at)
    # back to the default: the key leaves the URL
    at.sidebar.slider(key=KEY.format("depth")).set_value(8).run()
    assert "depth" not in at.query_params


HOSTILE = {
    "huge": {"depth": "1e308", "seed": "99999999999999999999", "noise": "1e400", "gain": "1e9"},
    "negative": {"depth": "-5", "seed": "-1", "noise": "-0.2", "gain": "-3"},
    "nan_inf": {"depth": "nan", "seed": "inf", "noise": "-inf", "gain": "NaN"},
    "empty": {"depth": "", "activation": "", "residual": "", "gain": ""},
    "wrong_type": {"depth": "ten", "residual": "maybe", "gain": "[1,2]", "activation": "7"},
    "unknown_choice": {"activation": "swish", "residual": "2"},
    "long": {"depth": "9" * 5000, "activation": "relu" * 2000},
    "html": {"activation": "<script>alert(1)</script>", "depth": "<img src=x onerror=alert(1)>",
             "seed": "`$x$`\n\n# big", "noise": "[a](javascript:alert(1))"},
    "unknown_keys": {"foo": "bar", "__proto__": "x", "DemoSettings.depth": "60"},
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_hostile_link_values_fall_back_with_a_notice(case):
    query = HOSTILE[case]
    at = open_demo(query)
    assert not at.exception, [e.message for e in at.exception]
    values = widget_values(at)
    settings = exp.DemoSettings(**values)  # validates: every value is allowed
    expected, notices = exp.DemoSettings.from_strings({k: ui._clean(v) for k, v in query.items()})
    assert settings == expected
    known = set(query) & set(values)
    if known:
        assert len(at.warning) == 1 and "not usable" in at.warning[0].value
        for name in known:
            assert f"`{name}=" in at.warning[0].value
        # what was sent is echoed only inside code spans (shown literally, never as
        # markdown or HTML) and the notice stays one line
        outside = at.warning[0].value.split("`")[0::2]
        assert not any(ch in part for part in outside for ch in "<>[]$")
        assert "\n" not in at.warning[0].value
    else:
        assert not at.warning
    # the URL now holds valid settings only (unknown keys are ignored, and left out of the link)
    for k in at.query_params:
        assert k not in values or at.query_params[k] == settings.to_strings()[k]
    assert set(at.query_params) & set(values) == {k for k, v in settings.to_strings().items()
                                                  if v != exp.DemoSettings().to_strings()[k]}
    assert "foo" not in share_text(at) and "proto" not in share_text(at)
    assert summary_text(at) == exp.summary(exp.run(settings))


def test_the_notice_goes_away_once_a_control_changes():
    at = open_demo({"depth": "-3"})
    assert at.warning and widget_values(at)["depth"] == 1
    at.sidebar.slider(key=KEY.format("depth")).set_value(5).run()
    assert not at.warning


def test_values_that_fail_together_fall_back_to_the_defaults():
    at = open_demo({"activation": "sigmoid", "residual": "true", "depth": "60"})
    assert not at.exception
    assert widget_values(at) == dataclasses.asdict(exp.DemoSettings())
    assert "do not work together" in at.warning[0].value
    # and a combination chosen with the widgets is refused on the page, not raised
    at.sidebar.selectbox(key=KEY.format("activation")).set_value("sigmoid").run()
    at.sidebar.toggle(key=KEY.format("residual")).set_value(True).run()
    at.sidebar.slider(key=KEY.format("depth")).set_value(60).run()
    assert not at.exception
    assert any("do not work together" in e.value for e in at.error)


def test_a_preset_sets_its_fields_over_the_defaults_and_the_url():
    at = open_demo({"seed": "7"})
    at.sidebar.button(key="preset.DemoSettings.ReLU, He gain").click().run()
    values = widget_values(at)
    assert values == dataclasses.asdict(exp.DemoSettings(activation="relu", gain=1.41))
    assert {k: at.query_params[k] for k in at.query_params} == {"activation": "relu", "gain": "1.41"}


SCRIPT_WITH_OTHER_PAGE = f"""
import sys; sys.path.insert(0, {str(ROOT)!r})
import streamlit as st
from depthkit import ui
from tests import ui_demo as exp
if st.session_state.get("elsewhere"):
    st.write("another page")
else:
    settings = ui.controls(exp.DemoSettings)
    st.write(f"depth={{settings.depth}}")
"""


def test_settings_survive_a_visit_to_another_page():
    # Streamlit drops a widget's state on runs that do not draw it
    at = AppTest.from_string(SCRIPT_WITH_OTHER_PAGE, default_timeout=60)
    at.query_params["depth"] = "17"
    at.run()
    at.session_state["elsewhere"] = True
    at.run()
    at.session_state["elsewhere"] = False
    for k in list(at.query_params):  # moving between pages clears the query
        del at.query_params[k]
    at.run()
    assert not at.exception
    assert at.sidebar.slider(key=KEY.format("depth")).value == 17
    assert at.query_params["depth"] == "17"


def test_presenter_mode_hides_explanations_enlarges_charts_and_stays_in_the_url():
    normal = open_demo({"depth": "12"})
    shown = open_demo({"depth": "12", "presenter": "1"})
    assert not shown.exception
    assert any("spread after the last layer" in m.value for m in normal.markdown)
    assert not any("spread after the last layer" in m.value for m in shown.markdown)
    height = [json.loads(c.proto.spec)["layout"]["height"] for c in at_charts(normal)]
    big = [json.loads(c.proto.spec)["layout"]["height"] for c in at_charts(shown)]
    assert big[0] > height[0]
    assert share_text(shown) == "?depth=12&presenter=1"
    # switching it off with the toggle removes it from the URL and brings the text back
    shown.sidebar.toggle(key="_presenter").set_value(False).run()
    assert "presenter" not in shown.query_params
    assert any("spread after the last layer" in m.value for m in shown.markdown)


def at_charts(at):
    return at.get("plotly_chart")


def test_share_url_uses_the_browser_address_when_known(monkeypatch):
    class FakeContext:
        url = "https://depthkit.example/vanishing"
    monkeypatch.setattr(ui.url.st, "context", FakeContext())
    monkeypatch.setattr(ui.url, "share_query", lambda: {"depth": "30", "presenter": "1"})
    assert ui.share_url() == "https://depthkit.example/vanishing?depth=30&presenter=1"
    monkeypatch.setattr(ui.url, "share_query", lambda: {})
    assert ui.share_url() == "https://depthkit.example/vanishing"


def test_csv_round_trips_nan_inf_ints_bools_and_text():
    table = {"step": np.arange(5), "loss": np.array([0.5, np.nan, np.inf, -np.inf, 1e-45], np.float32),
             "grad": np.array([1 / 3, 2e300, 0.0, -0.0, 5e-324]), "ok": np.array([1, 0, 1, 1, 0], bool),
             "name": np.array(["a", "b,c", 'q"d', "e", "f"]), "short": np.array([1.5, 2.5])}
    rows = list(csv.reader(io.StringIO(ui._csv(table))))
    assert rows[0] == list(table)
    assert len(rows) == 6
    cols = {name: [r[i] for r in rows[1:]] for i, name in enumerate(rows[0])}
    assert [int(x) for x in cols["step"]] == list(range(5))
    loss = np.array([float(x) for x in cols["loss"]], np.float32)
    np.testing.assert_array_equal(loss, table["loss"])  # NaN == NaN here, inf kept
    assert [float(x) for x in cols["grad"]] == table["grad"].tolist()  # exact, not rounded
    assert math.copysign(1, float(cols["grad"][3])) == -1
    assert cols["ok"] == ["1", "0", "1", "1", "0"]
    assert cols["name"] == ["a", "b,c", 'q"d', "e", "f"]
    assert cols["short"] == ["1.5", "2.5", "", "", ""]


def test_download_buttons_offer_each_table_as_csv():
    at = open_demo({"depth": "3"})
    buttons = at.get("download_button")
    assert len(buttons) == 1
    assert "per layer" in buttons[0].proto.label


def test_charts_keep_plotlys_png_download():
    at = open_demo({"depth": "3"})
    config = json.loads(at_charts(at)[0].proto.config)
    assert config["toImageButtonOptions"]["filename"] == "depthkit_demo_signal"
    assert "toImage" not in config.get("modeBarButtonsToRemove", [])
    assert config.get("displayModeBar", True) is not False


def test_pytorch_snippet_expander_is_on_the_page():
    at = open_demo({"depth": "3"})
    assert any(e.label == "PyTorch code for this model" for e in at.expander)
    assert any("depth, width = 3, 32" in c.value for c in at.code)
