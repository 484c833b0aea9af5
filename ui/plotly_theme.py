"""The charts' look shared by every chart builder, and Streamlit's Plotly theme, configured once before the app
builds its first Plotly figure.

FONT_FAMILY is the one font of every chart (Plotly: ui/figures.py, ui/portfolio_figures.py; Vega-Lite:
ui/charts.py): the app's own body font, Streamlit's "Source Sans" (served with the app, so the browser has it),
with the generic family after it. A figure that names no family gets Streamlit's theme font in the browser,
one that named plain "sans-serif" got the system's (radar, Mätetal, the start page's chart title) — so every
builder names this one.

Importing Streamlit normally configures its Plotly theme (the "streamlit" template, made Plotly's default);
`make run` (launch.py) imports Streamlit with plotly hidden so that the server answers sooner, and
streamlit_plotly_theme configures the theme, with Streamlit's own function, when a module that builds figures
(ui/figures.py, ui/portfolio_figures.py) is imported. Under `streamlit run app.py` the theme is already there
and nothing is done. This module imports plotly only inside that function: ui/charts.py (no plotly) reads
FONT_FAMILY from here."""
from __future__ import annotations

FONT_FAMILY = '"Source Sans", sans-serif'  # Streamlit's body font (its theme's genericFonts.bodyFont)


def streamlit_plotly_theme() -> None:
    import plotly.io as pio

    if "streamlit" not in pio.templates:
        from streamlit.elements.lib.streamlit_plotly_theme import configure_streamlit_plotly_theme

        configure_streamlit_plotly_theme()
