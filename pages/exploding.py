"""Exploding gradients: a deep net with too large an init gain beside the same net with one change."""

import streamlit as st

from depthkit import ui
from depthkit.experiments import exploding as exp
from depthkit.presentation import tables
from depthkit.presentation.charts import exploding as charts
from depthkit.presentation.text import exploding as text

ui.page_header("Exploding gradients", text.POINT)
settings = ui.controls(exp.ExplodingSettings, presets=exp.PRESETS, groups={
    "Network": ["depth", "width", "activation", "init_gain"],
    "Training": ["lr", "steps", "seed"],
    "Compare with": ["fix", "clip_norm"],
})
ui.words_on_this_page("exploding")
result = ui.run_cached(exp.run, settings) if settings else None
if result is not None:
    st.info(text.plain_headline(result))
    for warning in text.warnings(result):  # a diverged run: the visitor must see it
        st.warning(warning)
    # each row of two charts, then one plain line on what to look at in it
    for i, line in zip(range(0, len(charts.CHARTS), 2), text.PLAIN_ROWS, strict=True):
        for column, (build, key) in zip(ui.columns(2), charts.CHARTS[i:i + 2]):
            with column:
                ui.chart(build, result, key=f"exploding.{key}")
        ui.explain(line(result))
    # the expert layer: today's claim, headline and summary, unchanged, one click away
    ui.numbers_behind(text.CLAIM, text.headline(result), text.summary(result))
    ui.sources("pascanu2013", "glorot2010", "he2015", "ioffe2015", "yang2019", "poole2016",
               "schoenholz2017", "he2016", "hanin2018", "cohen2021", "goyal2017")
    ui.download_tables(tables.exploding_tables(result), "exploding")
    ui.pytorch_code(settings.model("problem"), label="PyTorch code for the problem network")
    st.page_link("pages/mission.py", label="Mission: questions about this page", icon=":material/quiz:")
