"""Vanishing gradients: a deep sigmoid network's early layers barely learn; ReLU + He and others fix it."""

import streamlit as st

from depthkit import ui
from depthkit.charts import vanishing as charts
from depthkit.experiments import vanishing as exp

ui.page_header("Vanishing gradients",
               "In a deep network the gradient can shrink as it is propagated back, so the layers "
               "near the input get little to no weight update.")
settings = ui.controls(exp.VanishingSettings, presets=exp.PRESETS, groups={
    "Problem network (left)": ["activation", "init"],
    "Fix network (right)": ["fix_activation", "fix_init", "batch_norm", "residual"],
    "Both networks": ["depth", "width"],
    "Training": ["optimizer", "lr", "steps"],
    "Data": ["dataset", "n_samples", "seed"],
})
result = ui.run_cached(exp.run, settings) if settings else None
if result is not None:
    ui.chart(charts.gradient_flow(result), key="vanishing.flow")
    left, right = st.columns(2)
    with left:
        ui.chart(charts.grad_heatmap(result, "problem"), key="vanishing.heat.problem")
        ui.chart(charts.weight_change(result), key="vanishing.change")
        ui.chart(charts.loss_curves(result), key="vanishing.loss")
        ui.chart(charts.boundary(result, "problem"), key="vanishing.boundary.problem")
    with right:
        ui.chart(charts.grad_heatmap(result, "fix"), key="vanishing.heat.fix")
        ui.chart(charts.saturation(result), key="vanishing.saturation")
        ui.chart(charts.accuracy_curves(result), key="vanishing.accuracy")
        ui.chart(charts.boundary(result, "fix"), key="vanishing.boundary.fix")
    ui.explain(exp.summary(result))
    st.subheader("Depth sweep at initialization")
    left, right = st.columns(2)
    with left:
        ui.chart(charts.depth_sweep(result, "grad"), key="vanishing.sweep.grad")
    with right:
        ui.chart(charts.depth_sweep(result, "signal"), key="vanishing.sweep.signal")
    ui.explain("Each point is a freshly initialized network (no training), probed on this page's data "
               "in float64 so that ratios below float32's range still show. Below the solid line at 1 "
               "the first layer gets the smaller gradient.")
    ui.download_tables(exp.tables(result), "vanishing")
    ui.pytorch_code(exp.problem_model(settings), "PyTorch code for the problem network")
    ui.pytorch_code(exp.fix_model(settings), "PyTorch code for the fix network")
st.page_link("pages/mission.py", label="Mission: questions about this page", icon=":material/quiz:")
