"""A one-page app built only from depthkit.ui, for the UI and browser tests.

    streamlit run tests/ui_demo_app.py
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import plotly.graph_objects as go  # noqa: E402
import streamlit as st  # noqa: E402

from depthkit import ui  # noqa: E402
from tests import ui_demo as exp  # noqa: E402

ui.presenter_toggle()
ui.page_header("UI demo", "The signal's spread depends on depth, gain and activation.")
settings = ui.controls(exp.DemoSettings, presets=exp.PRESETS,
                       groups={"Network": ["depth", "gain", "activation", "residual"]})
result = ui.run_cached(exp.run, settings) if settings else None
if result is not None:
    fig = go.Figure(go.Scatter(x=list(range(1, len(result.signal_std) + 1)), y=result.signal_std,
                               mode="lines+markers", name="signal std"))
    fig.update_layout(title="Signal spread per layer", xaxis_title="layer", yaxis_title="std", height=380)
    ui.show(fig, key="demo.signal")
    ui.explain(exp.summary(result))
    st.metric("Final spread", f"{result.final_std:.6g}")
    ui.download_tables({"per_layer": {"layer": range(1, len(result.signal_std) + 1),
                                      "signal_std": result.signal_std}}, "demo")
    ui.pytorch_code(exp.model_of(settings))
