"""Overfitting: a deep network memorizes noise; each remedy measured over many seeds.

The plain layer (the point, one line under each row of charts) is shown by default; today's full
text (the intro and "What you are seeing") is one click away in "The numbers behind it".
"""

import streamlit as st

from depthkit import ui
from depthkit.experiments import overfitting as exp
from depthkit.presentation import tables
from depthkit.presentation.charts import overfitting as charts
from depthkit.presentation.text import overfitting as text

ui.page_header("Overfitting", text.POINT)
settings = ui.controls(exp.OverfittingSettings, presets=exp.PRESETS, groups={
    "Remedy": ["remedy", "dropout", "l2", "patience", "jitter", "data_factor", "small_depth", "small_width"],
    "Data": ["dataset", "noise", "label_flip", "n_train"],
    "Network and training": ["depth", "width", "steps", "lr"],
    "Seeds": ["n_seeds", "seed"],
})
ui.words_on_this_page("overfitting")
result = ui.run_cached(exp.run, settings) if settings else None
if result is not None:
    if broke := text.plain_divergence(result):  # a visitor must see it, so not through ui.explain
        st.warning(broke)
    for column, role in zip(ui.columns(2), exp.ROLES):
        with column:
            ui.chart(charts.curves, result, role, key=f"overfitting.curves.{role}")
            ui.chart(charts.boundary, result, role, key=f"overfitting.boundary.{role}")
    ui.explain(text.plain_first_seed(result))
    left, right = ui.columns(2)
    with left:
        ui.chart(charts.spread, result, key="overfitting.spread")
    with right:  # drawn after the rest; reused while only the remedy changes; its largest depth is result's
        smaller = ui.run_cached(exp.run_smaller, exp.sweep_settings(settings), spinner=text.SWEEP_SPINNER)
        sweep = None if smaller is None else exp.complete_sweep(smaller, result)
        if sweep is not None:
            ui.chart(charts.capacity, sweep, key="overfitting.capacity")
    ui.explain(text.plain_spread_row(result, sweep))
    ui.numbers_behind(text.INTRO, text.summary(result, sweep))
    ui.download_tables(tables.overfitting_tables(result, sweep), "overfitting")
    ui.pytorch_code(settings.model("problem"), label=text.CODE_LABEL)
    ui.sources("srivastava2014", "loshchilov2019", "zhang2017", "prechelt1998", "nakkiran2020")
st.page_link("pages/mission.py", label="Mission: questions about this page", icon=":material/quiz:")
