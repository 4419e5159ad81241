"""Placeholder until its issue lands."""

import streamlit as st

st.title("Speed")
st.info("This page is being built.")
