"""Overfitting: a deep network memorizes noise; each remedy measured over many seeds."""

import streamlit as st

from depthkit import tables, ui
from depthkit.charts import overfitting as charts
from depthkit.experiments import overfitting as exp

ui.page_header("Overfitting",
               "A deep network can memorize the noise of a small training set, flipped labels included, "
               "and then does worse on new points. Dropout, weight decay, early stopping, augmentation, "
               "more data or a smaller network each try to prevent that; a test set that nothing was "
               "chosen on says whether they did.")
settings = ui.controls(exp.OverfittingSettings, presets=exp.PRESETS, groups={
    "Remedy": ["remedy", "dropout", "l2", "patience", "jitter", "data_factor", "small_depth", "small_width"],
    "Data": ["dataset", "noise", "label_flip", "n_train"],
    "Network and training": ["depth", "width", "steps", "lr"],
    "Seeds": ["n_seeds", "seed"],
})
result = ui.run_cached(exp.run, settings) if settings else None
if result is not None:
    left, right = st.columns(2)
    with left:
        ui.chart_cached(charts.curves, settings, result, "problem", key="overfitting.curves.problem")
        ui.chart_cached(charts.boundary, settings, result, "problem", key="overfitting.boundary.problem")
    with right:
        ui.chart_cached(charts.curves, settings, result, "remedy", key="overfitting.curves.remedy")
        ui.chart_cached(charts.boundary, settings, result, "remedy", key="overfitting.boundary.remedy")
    left, right = st.columns(2)
    with left:
        ui.chart_cached(charts.spread, settings, result, key="overfitting.spread")
    with right:  # drawn after the rest; reused while only the remedy changes
        sweep = ui.run_cached(exp.run_sweep, exp.sweep_settings(settings),
                              spinner="Training the capacity sweep…")
        if sweep is not None:
            ui.show(charts.capacity(result, sweep), key="overfitting.capacity")
    ui.explain(exp.summary(result, sweep))
    ui.download_tables(tables.overfitting_tables(result, sweep), "overfitting")
    ui.pytorch_code(settings.problem_model(), label="PyTorch code for the network without a remedy")
    ui.sources("srivastava2014", "loshchilov2019", "zhang2017", "prechelt1998")
st.page_link("pages/mission.py", label="Mission: questions about this page", icon=":material/quiz:")
