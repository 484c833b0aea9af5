"""Streamlit entry point: builds the navigation. Pages render themselves (each calls
ui.page.setup_page, which also covers a deep link that runs a page without this file).

Run: .venv/bin/python -m streamlit run app.py"""
import streamlit as st

from ui.i18n import translator
from ui.nav import IN_APP, NAV, navigation  # noqa: F401  (NAV: the page list, see ui/nav.py)
from ui.page import current_lang

st.set_page_config(page_title=translator(current_lang())("app.title"), page_icon="📊", layout="wide")
page = navigation(current_lang())
token = IN_APP.set(True)
try:
    page.run()
finally:
    IN_APP.reset(token)
