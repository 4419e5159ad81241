"""Placeholder until its issue lands."""

import streamlit as st

st.title("Exploding")
st.info("This page is being built.")
