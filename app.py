"""Streamlit entry point: builds the navigation. Pages render themselves (each calls ui.page.setup_page).

Run: .venv/bin/python -m streamlit run app.py"""
from pathlib import Path

import streamlit as st

from ui.page import current_lang
from ui.i18n import translator

ROOT = Path(__file__).resolve().parent

# (section key, [(page file, nav key, icon, default)])
NAV = [
    ("nav.section.scorecard", [
        ("pages/city_overview.py", "nav.city_overview", ":material/grid_view:", True),
        ("pages/committee_scorecard.py", "nav.committee_scorecard", ":material/fact_check:", False),
    ]),
    ("nav.section.data", [
        ("pages/measure_explorer.py", "nav.measure_explorer", ":material/query_stats:", False),
        ("pages/data_quality.py", "nav.data_quality", ":material/rule:", False),
    ]),
    ("nav.section.council", [
        ("pages/portfolios.py", "nav.portfolios", ":material/folder_open:", False),
        ("pages/project.py", "nav.project", ":material/assignment:", False),
        ("pages/benefit_realisation.py", "nav.benefit_realisation", ":material/trending_up:", False),
        ("pages/double_counting.py", "nav.double_counting", ":material/content_copy:", False),
        ("pages/council_decisions.py", "nav.council_decisions", ":material/gavel:", False),
    ]),
]


def build_navigation(lang: str) -> dict:
    t = translator(lang)
    sections = {}
    for section_key, pages in NAV:
        entries = [
            st.Page(path, title=t(nav_key), icon=icon, default=default)
            for path, nav_key, icon, default in pages
            if (ROOT / path).exists()
        ]
        if entries:
            sections[t(section_key)] = entries
    return sections


st.set_page_config(page_title=translator(current_lang())("app.title"), page_icon="📊", layout="wide")
nav = st.navigation(build_navigation(current_lang()), position="sidebar", expanded=True)
nav.run()
