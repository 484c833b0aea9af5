"""Streamlit's Plotly theme, configured once before the app builds its first Plotly figure.

Importing Streamlit normally configures it (the "streamlit" template, made Plotly's default); `make run`
(launch.py) imports Streamlit with plotly hidden so that the server answers sooner, and this configures the
theme, with Streamlit's own function, when a module that builds figures (ui/figures.py,
ui/portfolio_figures.py) is imported. Under `streamlit run app.py` the theme is already there and nothing
is done."""
from __future__ import annotations


def streamlit_plotly_theme() -> None:
    import plotly.io as pio

    if "streamlit" not in pio.templates:
        from streamlit.elements.lib.streamlit_plotly_theme import configure_streamlit_plotly_theme

        configure_streamlit_plotly_theme()
