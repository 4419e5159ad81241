"""ui.chart: a figure is built once per (builder, result fingerprint, args) and shared read-only."""

from streamlit.testing.v1 import AppTest


def _app():
    from dataclasses import dataclass

    import numpy as np
    import plotly.graph_objects as go
    import streamlit as st

    from depthkit import ui
    from depthkit.engine.models import ModelSettings
    from depthkit.experiments.result import Result

    @dataclass
    class Toy(Result):
        values: np.ndarray

    calls = st.session_state.setdefault("calls", [])

    def build(result, label, other=None):
        calls.append((float(result.values[0]), label, None if other is None else float(other.values[0])))
        return go.Figure(go.Scatter(y=result.values.tolist(), name=label))

    a = Toy(ModelSettings(), np.array([1.0, 2.0]))
    a_again = Toy(ModelSettings(), np.array([1.0, 2.0]))  # the same content: the same figure
    b = Toy(ModelSettings(), np.array([3.0, 4.0]))  # same settings, other content: a new figure
    ui.chart(build, a, "x", key="one")
    ui.chart(build, a_again, "x", key="two")
    ui.chart(build, b, "x", key="three")
    ui.chart(build, a, "y", key="four")
    ui.chart(build, a, "x", b, key="five")  # a Result among the args is keyed by its fingerprint
    ui.chart(build, a, "x", a_again, key="six")
    st.write(repr(calls))


def test_figures_follow_the_result_content_and_args():
    at = AppTest.from_function(_app, default_timeout=30).run()
    assert not at.exception
    calls = at.session_state["calls"]
    assert calls == [(1.0, "x", None), (3.0, "x", None), (1.0, "y", None), (1.0, "x", 3.0), (1.0, "x", 1.0)]
    assert len(at.get("plotly_chart")) == 6
    at.run()  # a rerun builds nothing new
    assert len(at.session_state["calls"]) == 5
