"""Exploding gradients: a deep net with too large an init gain beside the same net with one change."""

import streamlit as st

from depthkit import tables, ui
from depthkit.charts import exploding as charts
from depthkit.experiments import exploding as exp

ui.page_header("Exploding gradients",
               "When each layer amplifies the backward signal, the gradient of a deep network grows "
               "so large that one update throws the weights to huge values and training fails.")
settings = ui.controls(exp.ExplodingSettings, presets=exp.PRESETS, groups={
    "Network": ["depth", "width", "activation", "init_gain"],
    "Training": ["lr", "steps", "seed"],
    "Compare with": ["fix", "clip_norm"],
})
result = ui.run_cached(exp.run, settings) if settings else None
if result is not None:
    st.info(exp.headline(result))
    for run, role in ((result.problem, "problem"), (result.fix, "compared")):
        if run.diverged_step is not None:
            st.warning(f"The {charts.divergence_note(run, role + ' run')}. The charts stop there "
                       "and mark the step.")
    left, right = st.columns(2)
    with left:
        ui.chart_cached(charts.grad_norms, settings, result, key="exploding.grad_norms")
    with right:
        ui.chart_cached(charts.losses, settings, result, key="exploding.losses")
    left, right = st.columns(2)
    with left:
        ui.chart_cached(charts.signal_per_layer, settings, result, key="exploding.signal")
    with right:
        ui.chart_cached(charts.weight_grad_per_layer, settings, result, key="exploding.weight_grad")
    left, right = st.columns(2)
    with left:
        ui.chart_cached(charts.weight_norms, settings, result, key="exploding.weight_norms")
    with right:
        ui.chart_cached(charts.repeated_product, settings, result, key="exploding.product")
    left, right = st.columns(2)
    with left:
        ui.chart_cached(charts.gain_depth_map, settings, result, key="exploding.gain_depth_map")
    with right:
        ui.chart_cached(charts.batch_norm_depth, settings, result, key="exploding.batch_norm")
    ui.explain(exp.summary(result))
    ui.sources("pascanu2013", "glorot2010", "he2015", "ioffe2015", "yang2019", "poole2016",
               "schoenholz2017")
    ui.download_tables(tables.exploding_tables(result), "exploding")
    ui.pytorch_code(exp.problem_model(settings), label="PyTorch code for the problem network")
    st.page_link("pages/mission.py", label="Mission: questions about this page", icon=":material/quiz:")
