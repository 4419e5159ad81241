"""Glossary: every term the pages use, in one or two plain sentences (depthkit.presentation.text.glossary)."""

import streamlit as st

from depthkit import ui
from depthkit.presentation.text import glossary as text

ui.page_header(text.TITLE, text.INTRO)
st.markdown(text.entries(tuple(sorted(text.TERMS, key=str.lower))))
