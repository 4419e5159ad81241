"""Exploding gradients: a deep net with too large an init gain beside the same net with a fix."""

import streamlit as st

from depthkit import ui
from depthkit.charts import exploding as charts
from depthkit.experiments import exploding as exp

ui.page_header("Exploding gradients",
               "When each layer amplifies the backward signal, the gradient of a deep network grows "
               "so large that one update throws the weights to huge values and training fails.")
settings = ui.controls(exp.ExplodingSettings, presets=exp.PRESETS, groups={
    "Network": ["depth", "width", "activation", "init_gain"],
    "Training": ["lr", "steps", "seed"],
    "Fix": ["fix", "clip_norm"],
})
result = ui.run_cached(exp.run, settings) if settings else None
if result is not None:
    for run, role in ((result.problem, "problem"), (result.fix, "fix")):
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
    ui.chart_cached(charts.phase_diagram, settings, result, key="exploding.phase")
    ui.explain(exp.summary(result))
    ui.download_tables(exp.tables(result), "exploding")
    ui.pytorch_code(exp.problem_model(settings), label="PyTorch code for the problem network")
    st.page_link("pages/mission.py", label="Mission: questions about this page", icon=":material/quiz:")
