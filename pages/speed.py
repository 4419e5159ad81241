"""Training speed: each step costs more with depth (measured live), times the steps a network needs
(optimization difficulty: vanishing in the plain net, degradation in the batch-norm net)."""

import streamlit as st

from depthkit import ui
from depthkit.experiments import speed as exp
from depthkit.experiments import timing as step_timing
from depthkit.presentation import tables
from depthkit.presentation.charts import speed as charts
from depthkit.presentation.text import speed as text

ui.page_header(text.TITLE, text.POINT)
settings = ui.controls(exp.SpeedSettings, presets=exp.PRESETS, share=False, groups={
    text.TRAINING_GROUP: ["max_depth", "width", "activation", "lr", "steps", "target_loss",
                          "long_steps", "dataset", "n_samples", "seeds", "seed"]})
timing_settings = ui.controls(step_timing.TimingSettings, presets=step_timing.PRESETS, groups={
    text.TIMING_GROUP: ["time_max_depth", "time_width", "time_width2", "time_points",
                        "repeats", "steps_per_repeat", "compare_threads"]})
ui.words_on_this_page("speed")

if settings and timing_settings:
    # The live timing's section stays on top but is measured last: the trained part below is
    # cached (or shipped), so a visitor sees it while the timing runs.
    cost_section, steps_section = st.container(), st.container()
    with steps_section:
        st.subheader(text.STEPS_HEADING)
        result = ui.run_cached(exp.run, settings)
        if result is not None:
            for pair, plain in zip(charts.TRAINED_PAIRS, (text.plain_curves, text.plain_steps), strict=True):
                for column, build in zip(ui.columns(2), pair):
                    with column:
                        ui.chart(build, result, key=f"speed.{build.__name__}")
                ui.explain(plain(result))
            ui.chart(charts.degradation, result, key="speed.degradation")
            ui.explain(text.plain_degradation(result))
            ui.numbers_behind(text.summary(result), text.degradation_summary(result))
    with cost_section:
        st.subheader(text.COST_HEADING)
        ui.explain(text.COST_PLAIN)
        timing = ui.run_live(step_timing.measure, timing_settings, key="speed.measure_again")
        if timing is not None:
            st.caption(text.timing_caption(timing))
            for pair, plain in zip(charts.TIMING_PAIRS, (text.plain_cost, text.plain_hardware), strict=True):
                for column, build in zip(ui.columns(2), pair):
                    with column:
                        ui.chart(build, timing, key=f"speed.{build.__name__}")
                ui.explain(plain(timing))
        # the expert layer of this section: the header's full claim, the intro and the measurement's
        # full account (the claim and intro also when the timing was refused)
        ui.numbers_behind(text.CLAIM, text.COST_INTRO, text.timing_summary(timing) if timing else "")
    if result is not None:
        with steps_section:
            csv = tables.speed_tables(result)
            if timing is not None:
                csv.update(tables.timing_tables(timing))
            ui.download_tables(csv, "speed")
            ui.pytorch_code(settings.model(0, settings.max_depth), label=text.CODE_LABEL)
ui.sources("he2016", "he2015", "ioffe2015", "yang2019", "balduzzi2017")
st.page_link("pages/mission.py", label="Mission: questions about this page", icon=":material/quiz:")
