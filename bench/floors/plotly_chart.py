"""Floor: a bare page with a single Plotly chart, served at "/" and at "/page" (see bare.py)."""

import plotly.graph_objects as go
import streamlit as st


def home() -> None:
    st.plotly_chart(go.Figure(go.Scatter(x=[2023, 2024, 2025], y=[1.0, 3.0, 2.0])), theme=None)


def page() -> None:
    st.plotly_chart(go.Figure(go.Scatter(x=[2023, 2024, 2025], y=[1.0, 3.0, 2.0])), theme=None)


st.navigation(
    [st.Page(home, title="floor", default=True), st.Page(page, title="floor", url_path="page")],
    position="hidden",
).run()
