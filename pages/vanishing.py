"""Placeholder until its issue lands."""

import streamlit as st

st.title("Vanishing")
st.info("This page is being built.")
