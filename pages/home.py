"""Home: what the app shows, one sentence per problem, a link to each page."""

import streamlit as st

from depthkit import ui

ui.ensure_app_shell()
st.title("Why are deeper networks harder to train?")
st.markdown(
    "A deeper network can learn more complex patterns, but it is also harder to train. "
    "Each page below trains real PyTorch networks on a small 2-D dataset, right now, "
    "and shows one problem next to its fix, on the same data and seed.")

PROBLEMS = [
    ("pages/vanishing.py", "Vanishing gradients", ":material/trending_down:",
     "The gradient shrinks layer by layer on its way back, so the layers near the input "
     "barely learn. Fixes: ReLU with He initialization, batch norm, residual connections."),
    ("pages/exploding.py", "Exploding gradients", ":material/trending_up:",
     "The gradient grows layer by layer, one update throws the weights far away and the loss "
     "stops being a number. Fixes: proper initialization (He) or batch norm; gradient clipping "
     "keeps the run finite, though it does not always rescue it. A too-large learning rate is a "
     "separate cause."),
    ("pages/overfitting.py", "Overfitting", ":material/scatter_plot:",
     "A big network memorizes the noise of a small training set and does worse on new data. "
     "Fixes: dropout, weight decay, early stopping, augmentation, more data, a smaller network."),
    ("pages/speed.py", "Training speed", ":material/speed:",
     "Every extra layer costs compute on every step, and a deep plain network may need far "
     "more steps. Fixes: residual connections and normalization; better hardware."),
]

cols = st.columns(2)
for i, (path, title, icon, sentence) in enumerate(PROBLEMS):
    with cols[i % 2].container(border=True):
        st.page_link(path, label=title, icon=icon)
        st.write(sentence)

st.page_link("pages/mission.py", label="Then take the Mission: scored questions on all four",
             icon=":material/quiz:")
if preparing := ui.warmup_status():
    st.caption(preparing)
st.caption("Every number on the four problem pages comes from the run you are looking at; "
           "same settings and seed give the same result. The Mission's explanations quote "
           "numbers measured at each page's default settings.")
