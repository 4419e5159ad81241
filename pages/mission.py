"""Placeholder until its issue lands."""

import streamlit as st

st.title("Mission")
st.info("This page is being built.")
