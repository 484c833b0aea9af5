"""Streamlit entry point: builds the navigation. Pages render themselves (each calls
ui.page.setup_page, which also covers a deep link that runs a page without this file).

Run: .venv/bin/python -m streamlit run app.py"""
import streamlit as st

from ui.warmup import wait as wait_for_warmup

wait_for_warmup()  # the first run after `make run` (serve.py) waits for the server's warm-up, then finds it all done

from ui.i18n import translator  # noqa: E402
from ui.nav import IN_APP, NAV, navigation  # noqa: F401,E402  (NAV: the page list, see ui/nav.py)
from ui.page import current_lang  # noqa: E402

st.set_page_config(page_title=translator(current_lang())("app.title"), page_icon="📊", layout="wide")
page = navigation(current_lang())
token = IN_APP.set(True)
try:
    page.run()
finally:
    IN_APP.reset(token)
