"""Placeholder until its issue lands."""

import streamlit as st

st.title("Overfitting")
st.info("This page is being built.")
