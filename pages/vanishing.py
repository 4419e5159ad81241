"""Vanishing gradients: a deep sigmoid network's early layers barely learn; ReLU + He and others fix it."""

import streamlit as st

from depthkit import tables, ui
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
    ui.chart_cached(charts.gradient_flow, settings, result, key="vanishing.flow")
    left, right = st.columns(2)
    with left:
        ui.chart_cached(charts.grad_heatmap, settings, result, "problem", key="vanishing.heat.problem")
        ui.chart_cached(charts.weight_change, settings, result, key="vanishing.change")
        ui.chart_cached(charts.loss_curves, settings, result, key="vanishing.loss")
        ui.chart_cached(charts.boundary, settings, result, "problem", key="vanishing.boundary.problem")
    with right:
        ui.chart_cached(charts.grad_heatmap, settings, result, "fix", key="vanishing.heat.fix")
        ui.chart_cached(charts.saturation, settings, result, key="vanishing.saturation")
        ui.chart_cached(charts.accuracy_curves, settings, result, key="vanishing.accuracy")
        ui.chart_cached(charts.boundary, settings, result, "fix", key="vanishing.boundary.fix")
    ui.explain(exp.summary(result))
    st.subheader("Depth sweep at initialization")
    left, right = st.columns(2)
    with left:
        ui.chart_cached(charts.depth_sweep, settings, result, "grad", key="vanishing.sweep.grad")
    with right:
        ui.chart_cached(charts.depth_sweep, settings, result, "signal", key="vanishing.sweep.signal")
    ui.explain("Each point is a freshly initialized network (no training), probed on this page's data "
               "in float64 so that ratios below float32's range still show. Below the solid line at 1 "
               "the first layer gets the smaller gradient. The dashed line on the right is a true upper "
               "bound for the sigmoid's signal ratio: each of the L − 1 layers between layer 1 and layer L "
               "multiplies the backward signal by Wᵀ·diag(σ′), at most 0.25·‖W_l‖₂, computed here from "
               "the swept networks' own weights. It is not 0.25 per layer, and it is no bound on the "
               "weight-gradient ratio (left), which also carries each layer's input.")
    ui.download_tables(tables.vanishing_tables(result), "vanishing")
    ui.pytorch_code(exp.problem_model(settings), "PyTorch code for the problem network")
    ui.pytorch_code(exp.fix_model(settings), "PyTorch code for the fix network")
ui.sources("glorot2010", "he2015", "ioffe2015", "he2016", "kingma2015", "goldberg1991")
st.page_link("pages/mission.py", label="Mission: questions about this page", icon=":material/quiz:")
