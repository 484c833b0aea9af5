"""The app's navigation (sections and pages), shared by app.py and ui.page.setup_page.

A deep link right after the server starts can run a page file without app.py (Streamlit's
pages/ directory handling); setup_page then registers this navigation itself so the sidebar
shows the real sections and translated titles."""
from __future__ import annotations

import contextvars
from pathlib import Path

import streamlit as st

from ui.i18n import translator

ROOT = Path(__file__).resolve().parent.parent

# (section key, [(page file, nav key, icon, default)])
NAV = [
    ("nav.section.scorecard", [
        ("pages/city_overview.py", "nav.city_overview", ":material/grid_view:", True),
        ("pages/committee_scorecard.py", "nav.committee_scorecard", ":material/fact_check:", False),
        ("pages/reporting_status.py", "nav.reporting_status", ":material/checklist:", False),
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
        ("pages/application_portfolio.py", "nav.application_portfolio", ":material/apps:", False),
        ("pages/council_decisions.py", "nav.council_decisions", ":material/gavel:", False),
    ]),
    ("nav.section.admin", [
        ("pages/admin.py", "nav.admin", ":material/admin_panel_settings:", False),
        ("pages/audit_log.py", "nav.audit_log", ":material/history:", False),
    ]),
]

# pages only some roles may use: listed in the navigation only for those (the page itself still refuses
# everyone else, and a shared link to it still opens, hidden pages stay reachable by their address)
PAGE_PERMISSION = {"pages/admin.py": "roles.grant", "pages/audit_log.py": "audit.read"}
IDENTITY_KEY = "_identity"            # set by ui.auth.login_guard (the identity of the last page run)
NAV_PERMITTED_KEY = "_nav_permitted"  # the restricted pages the navigation of this run lists


def permitted_pages(identity) -> frozenset[str]:
    """The restricted pages `identity` may use."""
    from followup.identity import allowed

    return frozenset(path for path, permission in PAGE_PERMISSION.items() if allowed(identity, permission))


# set by app.py around nav.run(): tells setup_page that the entry point ran in this script run
IN_APP: contextvars.ContextVar[bool] = contextvars.ContextVar("scorecard_in_app", default=False)


def build_navigation(lang: str) -> dict:
    t = translator(lang)
    permitted = permitted_pages(st.session_state.get(IDENTITY_KEY))
    st.session_state[NAV_PERMITTED_KEY] = permitted
    sections = {}
    for section_key, pages in NAV:
        entries = [
            st.Page(str(ROOT / path), title=t(nav_key), icon=icon, default=default,
                    visibility="hidden" if path in PAGE_PERMISSION and path not in permitted else "visible")
            for path, nav_key, icon, default in pages
            if (ROOT / path).exists()
        ]
        if entries:
            sections[t(section_key)] = entries
    return sections


def navigation(lang: str):
    return st.navigation(build_navigation(lang), position="sidebar", expanded=True)
