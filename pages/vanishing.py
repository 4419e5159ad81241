"""Vanishing gradients: a deep sigmoid network's early layers barely learn; ReLU + He and others fix it."""

import streamlit as st

from depthkit import ui
from depthkit.experiments import vanishing as exp
from depthkit.presentation import tables
from depthkit.presentation.charts import activations
from depthkit.presentation.charts import vanishing as charts
from depthkit.presentation.text import vanishing as text

ui.page_header(text.TITLE, text.POINT)
settings = ui.controls(exp.VanishingSettings, presets=exp.PRESETS, groups={
    "Problem network (left)": ["activation", "init"],
    "Fix network (right)": ["fix_activation", "fix_init", "norm", "residual"],
    "Both networks": ["depth", "width"],
    "Training": ["optimizer", "lr", "steps"],
    "Data": ["dataset", "n_samples", "inputs", "seed"],
})
ui.words_on_this_page("vanishing")
result = ui.run_cached(exp.run, settings) if settings else None
if result is not None:
    ui.chart(charts.gradient_flow, result, key="vanishing.flow")
    ui.explain(text.plain_flow(result))
    # one plain line under each row of two (builder, argument, key); stacked in presenter mode
    for pair, line in zip(charts.PAIRS, (text.plain_heatmaps, text.plain_change, text.plain_training,
                                         text.plain_boundary), strict=True):
        for column, (build, args, key) in zip(ui.columns(2), pair):
            with column:
                ui.chart(build, result, *args, key=f"vanishing.{key}")
        ui.explain(line(result))
    ui.numbers_behind(text.INTRO, text.summary(result), text.HISTORY)
    with st.expander(text.ACTIVATIONS_HEADING):
        ui.show(activations.figure(), key="vanishing.activations")
        ui.explain(text.ACTIVATIONS_NOTE)
    st.subheader(text.SWEEP_HEADING)
    for column, kind in zip(ui.columns(2), charts.SWEEP_KINDS):
        with column:
            ui.chart(charts.depth_sweep, result, kind, key=f"vanishing.sweep.{kind}")
    ui.explain(text.plain_sweep(result))
    ui.numbers_behind(text.SWEEP_NOTE)
    ui.download_tables(tables.vanishing_tables(result), "vanishing")
    ui.pytorch_code(settings.model("problem"), "PyTorch code for the problem network")
    ui.pytorch_code(settings.model("fix"), "PyTorch code for the fix network")
ui.sources("glorot2010", "he2015", "ioffe2015", "he2016", "kingma2015", "goldberg1991", "pascanu2013",
           "hochreiter1991", "bengio1994", "santurkar2018", "lecun1998", "veit2016", "hanin_rolnick2018",
           "zhang2019", "ba2016")
st.page_link("pages/mission.py", label="Mission: questions about this page", icon=":material/quiz:")
