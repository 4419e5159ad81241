"""Plotly figure builders: pure functions of a Result, no training, no Streamlit."""
