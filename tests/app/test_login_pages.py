"""AppTest of the login guard (demo mode rules), the administrators' page and the audit page against the
session demo warehouse, with the follow-up store in a temporary SQLite file."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_tables import table, tables  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store_env(app_env, tmp_path, monkeypatch):
    from followup.store import get_store, reset_stores

    url = f"sqlite:///{tmp_path / 'followup.sqlite'}"
    monkeypatch.setenv("SCORECARD_FOLLOWUP_URL", url)
    reset_stores()
    yield get_store(url)
    reset_stores()


def page(name: str, user: str | None = "admin") -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=60)
    if user:
        at.session_state["_demo_user"] = user
    return at


def test_demo_mode_defaults_to_the_reader_and_is_marked(store_env):
    at = page("city_overview", user=None)
    at.run()
    assert not at.exception
    sidebar = " ".join(m.value for m in at.sidebar.markdown)
    assert "Demoläge" in sidebar
    assert at.sidebar.selectbox(key="_demo_user").value == "reader"       # never the administrator by default
    assert "Lena Läsare" in sidebar
    assert any("Roller: Läsare" == c.value for c in at.sidebar.caption)


def test_demo_login_off_when_forbidden_or_not_the_demo_warehouse(store_env, monkeypatch, tmp_path):
    monkeypatch.setenv("SCORECARD_DEMO_LOGIN", "0")
    at = page("city_overview", user=None)
    at.run()
    assert [e.value for e in at.error] == ["Ingen inloggning är konfigurerad och detta är inte demodatalagret."]
    assert not at.dataframe and not tables(at) and not at.metric                            # nothing of the data is shown
    # unset: only the demo warehouse (warehouse_meta origin = demo) allows it
    monkeypatch.delenv("SCORECARD_DEMO_LOGIN")
    from metrics.warehouse import Warehouse
    from ui.auth import demo_allowed

    class Meta:
        def __init__(self, meta):
            self._m = meta

        def meta(self):
            return self._m

    assert demo_allowed(Meta({"origin": "demo"})) is True
    assert demo_allowed(Meta({"origin": "loaded"})) is False
    assert demo_allowed(Meta({})) is False


def test_demo_login_impossible_once_auth_is_configured(store_env, monkeypatch):
    import ui.auth as auth

    monkeypatch.setattr(auth, "auth_configured", lambda: True)
    assert auth.demo_allowed(object()) is False
    monkeypatch.setenv("SCORECARD_DEMO_LOGIN", "1")
    assert auth.demo_allowed(object()) is False


def test_admin_page_refuses_a_non_admin(store_env):
    at = page("admin", user="chair")
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["Du har inte behörighet att tilldela roller."]
    assert not at.tabs


def test_admin_grants_a_role_changes_a_target_and_the_audit_page_shows_both(store_env):
    from followup import roles, targets

    at = page("admin")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.text_input(key="admin_principal").input("Anna.Berg@stad.se")
    at.selectbox(key="admin_role").set_value("chair")
    at.button(key="admin_grant").click().run()
    assert [e.value for e in at.error] == ["Rollen ges för en eller flera nämnder; välj minst en nämnd."]
    assert roles.grants(store_env).empty
    at.multiselect(key="admin_committees").select("SKARHOLMEN")
    at.button(key="admin_grant").click().run()
    assert "Rollen är tilldelad (1 nya)." in [s.value for s in at.success]
    g = roles.grants(store_env)
    assert list(zip(g.principal, g.role, g.committee_code, g.author)) == [
        ("anna.berg@stad.se", "chair", "SKARHOLMEN", "admin@demo.stad.invalid")]

    # a target change needs a reason and a red threshold on the worse side
    at.selectbox(key="admin_t_committee").set_value("SKARHOLMEN")
    at.selectbox(key="admin_t_measure").set_value("E1")
    at.number_input(key="admin_t_year").set_value(2026)
    at.number_input(key="admin_t_target").set_value(80.0)
    at.number_input(key="admin_t_red").set_value(90.0)
    at.button(key="admin_t_save").click().run()
    assert [e.value for e in at.error] == ["Den röda gränsen ska ligga på den sämre sidan av målvärdet.",
                                           "Ange skälet till ändringen."]
    assert targets.current_targets(store_env).empty
    at.number_input(key="admin_t_red").set_value(65.0)
    at.text_area(key="admin_t_reason").input("Nämndens beslut 2026-03")
    at.button(key="admin_t_save").click().run()
    cur = targets.current_targets(store_env)
    assert list(zip(cur.committee_code, cur.year, cur.measure_id, cur.target, cur.red_threshold, cur.changed_by)) == [
        ("SKARHOLMEN", 2026, "E1", 80.0, 65.0, "admin@demo.stad.invalid")]

    audit = page("audit_log")
    audit.run()
    assert not audit.exception, [e.value for e in audit.exception]
    table = tables(audit)[0].value
    assert list(table["Typ"]) == ["Målvärde", "Roll"]
    assert list(table["Vem"]) == ["Eva Holm (admin@demo.stad.invalid)"] * 2
    assert list(table["Via"]) == ["Demoläge"] * 2
    assert "principal=anna.berg@stad.se, role=chair, committee_code=SKARHOLMEN" in list(table["Vad"])
    assert list(table["Skäl"]) == ["Nämndens beslut 2026-03", "–"]
    audit.selectbox(key="audit_table").set_value("role_grants").run()
    assert list(tables(audit)[0].value["Typ"]) == ["Roll"]
    audit.text_input(key="audit_who").input("nobody").run()
    assert "Inga händelser för urvalet." in [i.value for i in audit.info]


def test_audit_page_refuses_a_secretary(store_env):
    at = page("audit_log", user="secretary")
    at.run()
    assert [w.value for w in at.warning] == ["Du har inte behörighet att läsa granskningsloggen."]
    assert not at.dataframe and not tables(at)


def test_demo_user_survives_a_page_switch(store_env):
    """Streamlit drops a widget's state when a page without that widget runs (each page draws its own
    picker); the chosen demo user is also kept under a plain key, so the next page starts with the same
    user, not the reader."""
    at = page("city_overview", user=None)
    at.run()
    at.sidebar.selectbox(key="_demo_user").set_value("chair").run()
    assert at.session_state["_identity"].email == "ordforande.skarholmen@demo.stad.invalid"
    assert at.session_state["_demo_user_kept"] == "chair"
    # the next page: the widget's own state is gone, the kept choice is there
    nxt = page("measure_explorer", user=None)
    nxt.session_state["_demo_user_kept"] = "chair"
    nxt.run()
    assert not nxt.exception
    assert nxt.sidebar.selectbox(key="_demo_user").value == "chair"
    assert nxt.session_state["_identity"].email == "ordforande.skarholmen@demo.stad.invalid"
