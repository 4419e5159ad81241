"""Home: the claim, and one card per problem with a thumbnail of its page's default run.

Home never trains: a thumbnail is drawn only from a result already computed
(`ui.computed`: the warm-up's, or a visitor's earlier run); until then the card
shows a light placeholder.
"""

import streamlit as st

from depthkit import ui
from depthkit.experiments import exploding, overfitting, speed, vanishing
from depthkit.presentation.charts import home as thumbs
from depthkit.presentation.text import home as text

# (key, page, title, icon, the page's run function and default settings, thumbnail), in reading order
CARDS = (
    ("vanishing", "pages/vanishing.py", "Vanishing gradients", ":material/trending_down:",
     vanishing.run, vanishing.VanishingSettings(), thumbs.vanishing_thumb),
    ("exploding", "pages/exploding.py", "Exploding gradients", ":material/trending_up:",
     exploding.run, exploding.ExplodingSettings(), thumbs.exploding_thumb),
    ("overfitting", "pages/overfitting.py", "Overfitting", ":material/scatter_plot:",
     overfitting.run, overfitting.OverfittingSettings(), thumbs.overfitting_thumb),
    ("speed", "pages/speed.py", "Training speed", ":material/speed:",
     speed.run, speed.SpeedSettings(), thumbs.speed_thumb),
)

ui.ensure_app_shell()
st.title(text.TITLE)
st.markdown(text.INTRO)
ui.words_on_this_page("home")
preparing = ui.warmup_status()

for row in (CARDS[:2], CARDS[2:]):  # rows, not columns: a phone stacks them in reading order
    for column, (key, page, title, icon, run, settings, thumb) in zip(st.columns(2), row):
        with column.container(border=True):
            st.page_link(page, label=f"**{title}**", icon=icon)
            result = ui.computed(run, settings)
            if result is None:
                with st.container(height=thumbs.HEIGHT, vertical_alignment="center",
                                  horizontal_alignment="center"):
                    st.markdown(text.PREPARING if preparing else text.NOT_YET)
            else:
                ui.chart(thumb, result, key=f"home.{key}")
                st.markdown(text.CAPTIONS[key](result))
            ui.explain(text.SENTENCES[key])
            # the card's earlier, exact text: the fuller sentence and the caption's measured numbers
            fuller = text.DETAILS[key] if text.DETAILS[key] != text.SENTENCES[key] else ""
            ui.numbers_behind(fuller, text.DETAIL_CAPTIONS[key](result) if result else "")

st.page_link("pages/mission.py", label=text.MISSION_LINK, icon=":material/quiz:")
if preparing:
    st.caption(preparing)
st.caption(text.NOTE)
ui.numbers_behind(text.DETAIL_INTRO, text.FOOTNOTE)
