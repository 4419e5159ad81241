"""Training speed: each step costs more with depth (measured live), times the steps a network needs
(optimization difficulty: vanishing in the plain net, degradation in the batch-norm net)."""

import time

import streamlit as st

from depthkit import fmt, tables, ui
from depthkit.charts import speed as charts
from depthkit.experiments import speed as exp
from depthkit.experiments import timing as step_timing

MEASUREMENT_KEY = "speed.measurement_id"


@st.cache_data(max_entries=8, ttl=3600, show_spinner=False)
def _measure(settings: exp.SpeedSettings, measurement_id: int) -> step_timing.Timing:
    """Live timings, cached per settings and measurement id; the bar replays with the cache."""
    bar = st.progress(0.0, text="Measuring time per step on this machine…")
    timing = step_timing.measure(
        settings, lambda done, text: bar.progress(min(max(done, 0.0), 1.0), text=text))
    bar.empty()
    return timing


def _new_measurement() -> None:
    st.session_state[MEASUREMENT_KEY] = time.time_ns()


ui.page_header("Training speed", "Deeper networks take longer to train for two reasons that multiply: "
               "every step costs more compute, and a deep network can need more steps, or never reach "
               "the target at all (optimization difficulty). Time to a loss = steps needed × time per step.")
settings = ui.controls(exp.SpeedSettings, presets=exp.PRESETS, groups={
    "Steps to a target (trained)": ["max_depth", "width", "activation", "lr", "steps", "target_loss",
                                    "long_steps", "dataset", "n_samples", "seeds", "seed"],
    "Cost per step (measured)": ["time_max_depth", "time_width", "time_width2", "time_points",
                                 "repeats", "steps_per_repeat", "compare_threads"]})

if settings:
    st.subheader("1. Every step costs more: time per step, measured now")
    ui.explain("These timings are live measurements on the machine serving this page, so they take a "
               "moment and change with its load. Training results below are cached; timings are kept "
               "for at most an hour or until you measure again.")
    st.button("Measure again", key="speed.measure_again", on_click=_new_measurement,
              icon=":material/timer:")
    timing = None
    try:
        timing = _measure(settings, st.session_state.setdefault(MEASUREMENT_KEY, 0))
    except ValueError as err:  # BudgetError included: refused before any timing
        st.error(f"Not measured: {err}")
    if timing is not None:
        where = f"GPU {timing.cuda_name} and CPU" if timing.cuda_name else "CPU only (no CUDA GPU here)"
        took = fmt.seconds(timing.measure_seconds)
        st.caption(f"Measured {timing.measured_at} in {took} on {timing.cpu_name}: {where}.")
        left, right = st.columns(2)
        with left:
            ui.show(charts.time_per_step(timing), key="speed.time_per_step")
        with right:
            ui.show(charts.compute_per_step(timing), key="speed.compute_per_step")
        left, right = st.columns(2)
        with left:
            ui.show(charts.hardware(timing), key="speed.hardware")
        with right:
            ui.show(charts.achieved_speed(timing), key="speed.achieved_speed")
        ui.explain(step_timing.timing_summary(timing))

    st.subheader("2. Optimization difficulty: the steps a network needs to reach a target loss")
    result = ui.run_cached(exp.run, settings)
    if result is not None:
        left, right = st.columns(2)
        with left:
            ui.chart_cached(charts.loss_curves, settings, result, key="speed.loss_curves")
        with right:
            ui.chart_cached(charts.final_loss, settings, result, key="speed.final_loss")
        left, right = st.columns(2)
        with left:
            ui.chart_cached(charts.steps_to_target, settings, result, key="speed.steps_to_target")
        with right:
            ui.chart_cached(charts.time_to_target, settings, result, key="speed.time_to_target")
        ui.explain(exp.summary(result))
        ui.chart_cached(charts.degradation, settings, result, key="speed.degradation")
        ui.explain(exp.degradation_summary(result))
        csv = tables.speed_tables(result)
        if timing is not None:
            csv.update(tables.timing_tables(timing))
        ui.download_tables(csv, "speed")
        ui.pytorch_code(settings.model(0, settings.max_depth),
                        label="PyTorch code for the deepest plain network")
ui.sources("he2016", "he2015", "ioffe2015", "yang2019")
st.page_link("pages/mission.py", label="Mission: questions about this page", icon=":material/quiz:")
