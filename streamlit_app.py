"""depthkit's entry point: the page registry and shared chrome, nothing else."""

import os

import streamlit as st

import depthkit  # noqa: F401  first: process-wide CPU settings before torch does parallel work
from depthkit import ui
from depthkit.engine import runtime
from depthkit.experiments import warmup_jobs
from depthkit.presentation.views import all_views

# One process serves every visitor; 1 torch thread per run keeps concurrent
# runs from fighting over the cores (see docs/development.md, "Threads").
runtime.set_threads(int(os.environ.get("DEPTHKIT_THREADS", "1")))
# Once per process: the imports above are left out of later full garbage collections (a pass over
# them held the GIL for ~150 ms; see depthkit.engine.runtime).
runtime.freeze_startup_heap()

st.set_page_config(page_title="depthkit: why deep networks are hard to train",
                   page_icon=":material/stacked_line_chart:", layout="wide")

PAGES = {
    "Start": [st.Page("pages/home.py", title="Home", icon=":material/home:", default=True)],
    "The four problems": [
        st.Page("pages/vanishing.py", title="Vanishing gradients", icon=":material/trending_down:"),
        st.Page("pages/exploding.py", title="Exploding gradients", icon=":material/trending_up:"),
        st.Page("pages/overfitting.py", title="Overfitting", icon=":material/scatter_plot:"),
        st.Page("pages/speed.py", title="Training speed", icon=":material/speed:"),
    ],
    "Mission": [st.Page("pages/mission.py", title="Mission", icon=":material/quiz:"),
                st.Page("pages/glossary.py", title="Glossary", icon=":material/menu_book:")],
}

# Streamlit has no start hook: the first run of this script starts the background warm-up
# (once per process) that computes every page's default view and presets onto disk, then
# draws their charts (depthkit.presentation.views).
ui.start_warmup(warmup_jobs, all_views)

page = st.navigation(PAGES)
ui.presenter_toggle()  # chrome: kept in the URL as ?presenter=1
page.run()
