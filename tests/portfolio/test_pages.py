"""AppTest of the five council pages against the fixture warehouse (conftest.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

NBSP = "\u00a0"
ROOT = Path(__file__).resolve().parents[2]


def _reset_singleton():
    import metrics.warehouse as w

    if hasattr(w, "_singleton"):
        w._singleton = None
    if hasattr(getattr(w, "get_warehouse", None), "cache_clear"):
        w.get_warehouse.cache_clear()


@pytest.fixture
def app_wh(warehouse_file, monkeypatch):
    monkeypatch.setenv("SCORECARD_DEMO_LOGIN", "1")  # the fixture warehouse is not the demo build
    from followup.store import reset_stores

    reset_stores()
    st.cache_data.clear()
    st.cache_resource.clear()
    _reset_singleton()
    yield warehouse_file
    st.cache_data.clear()
    _reset_singleton()


def run_page(name: str, lang: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=60)
    if lang:
        at.session_state["_lang"] = lang
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in at.error] + [w.value for w in at.warning] + [i.value for i in at.info]
    parts += [s.value for s in at.success]
    return "\n".join(str(p) for p in parts)


def test_portfolios_page(app_wh):
    at = run_page("portfolios")
    assert at.title[0].value == "Portföljer"
    years = at.dataframe[0].value
    # 2020 portfolio 1: frame 2 000 000, granted 1 000 000 (50,0 %), spent 1 200 000 (120,0 %)
    row = years[years["År"] == "2020"].iloc[0]
    assert row["Ram"] == f"2{NBSP}000{NBSP}tkr" and row["Beviljat"] == f"1{NBSP}000{NBSP}tkr"
    assert row["Beviljat av ram"] == f"50,0{NBSP}%" and row["Förbrukat av beviljat"] == f"120,0{NBSP}%"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Antal projekt"] == "4" and metrics["Projekt över beviljade medel"] == "1"   # P0001 only
    plist = at.dataframe[2].value
    assert plist[plist["Projekt-id"] == "P0001"]["Budgetläge"].iloc[0] == "✖ Över beviljade medel"
    assert plist[plist["Projekt-id"] == "P0003"]["Status"].iloc[0] == "Stoppat"


def test_portfolios_page_english(app_wh):
    at = run_page("portfolios", lang="en")
    assert at.title[0].value == "Portfolios"
    assert "Granted of frame" in at.dataframe[0].value.columns


def test_project_page(app_wh):
    at = run_page("project")
    assert at.selectbox(key="project_pick").value == "P0001"
    assert at.selectbox(key="project_as_of").value == "2021-12"      # latest reported month
    metrics = {m.label: m.value for m in at.metric}
    # NPV 402 656 kr → "403 tkr"; payback 3,33 → "3,3 år" (hand computation in test_rules.py)
    assert metrics["Nettonuvärde"] == f"403{NBSP}tkr"
    assert metrics["Återbetalningstid"] == "3,3 år"
    assert "Kalkylränta 4" in texts(at)
    benefits = at.dataframe[1].value
    # B0001 by 2021-12: 120 000 realised of 360 000 → 33,3 %
    assert benefits[benefits["Nytta"] == "B0001"]["Realiseringsgrad"].iloc[0] == f"33,3{NBSP}%"

    at.selectbox(key="project_pick").set_value("P0002").run()
    assert not at.exception
    warn = "\n".join(w.value for w in at.warning)
    assert "B0003" in warn and "B0008" in warn                        # due since 2021-07, nothing reported
    assert "B0004" not in warn


def test_benefit_realisation_page(app_wh):
    at = run_page("benefit_realisation")
    assert at.title[0].value == "Nyttorealisering"
    by_committee = at.dataframe[1].value
    # UTBN by 2021-12: 180 000 ÷ 678 000 = 26,5 %
    row = by_committee[by_committee["Namn"] == "Utbildningsnämnden"].iloc[0]
    assert row["Realiseringsgrad"] == f"26,5{NBSP}%"
    overdue = at.dataframe[2].value
    assert list(overdue["Nytta"]) == ["B0003", "B0008"]
    dis = at.dataframe[3].value
    assert list(dis["Nytta"]) == ["B0006"]
    # an earlier month: by 2021-06 nothing is overdue
    at.selectbox(key="br_as_of").set_value("2021-06").run()
    assert "Ingen nytta är försenad." in [s.value for s in at.success]


def test_double_counting_page(app_wh):
    at = run_page("double_counting")
    body = texts(at)
    assert "1 par över utgångsläget av 2 överlappande par" in body
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and f"11{NBSP}000 timmar" in errors[0] and f"10{NBSP}000 timmar" in errors[0]
    table = at.dataframe[0].value
    assert list(table["Status"]) == ["⚑ Över utgångsläget", "✔ Inom utgångsläget"]
    at.checkbox(key="dc_only_flagged").check().run()
    assert len(at.dataframe[0].value) == 1


def _as_demo(at: AppTest, user: str) -> AppTest:
    at.session_state["_demo_user"] = user
    return at


def test_council_decisions_page_form(app_wh):
    from followup import council
    from followup.store import get_store
    from settings import followup_store_url

    store = get_store(followup_store_url(app_wh))
    at = AppTest.from_file(str(ROOT / "pages" / "council_decisions.py"), default_timeout=60)
    _as_demo(at, "secretary").run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Rådet har inte registrerat några beslut ännu." in [i.value for i in at.info]
    # no "recorded by" field any more: it comes from the login
    assert not [w for w in at.text_input if w.key == "cd_recorded_by"]
    assert any("Registreras av Johan Berg (sekreterare@demo.stad.invalid)" in c.value for c in at.caption)
    # empty rationale → a clear message, nothing stored
    at.selectbox(key="cd_project").set_value("P0004")
    at.selectbox(key="cd_decision").set_value("pause")
    at.button(key="cd_submit").click().run()
    errs = [e.value for e in at.error]
    assert errs == ["Skriv en motivering till beslutet."]
    assert council.decisions(store=store).empty
    # a finished project cannot be paused
    at.selectbox(key="cd_project").set_value("P0002")
    at.text_area(key="cd_rationale").input("Dubbelräkning mot P0001 ska utredas")
    at.button(key="cd_submit").click().run()
    assert [e.value for e in at.error] == ["Ett avslutat eller stoppat projekt kan inte pausas."]
    assert council.decisions(store=store).empty
    # a valid decision; the same submission again (double click) stores nothing more
    at.selectbox(key="cd_project").set_value("P0004")
    at.button(key="cd_submit").click().run()
    assert not at.exception
    assert any("Pausa för P0004" in s.value for s in at.success)
    at.button(key="cd_submit").click().run()
    log = at.dataframe[0].value
    assert list(log["Beslut"]) == ["Pausa"] and list(log["Registrerat av"]) == ["Johan Berg"]
    stored = council.decisions(store=store)
    assert list(stored.project_id) == ["P0004"] and list(stored.decision) == ["pause"]
    assert list(stored.author) == ["sekreterare@demo.stad.invalid"]
    assert (app_wh.parent / "warehouse.followup.sqlite").exists()
    # edit without a reason → refused; with a reason → version 2, history shows both
    at.text_area(key="cd_edit_rationale_1").input("Utreds till februari")
    at.button(key="cd_save_edit_1").click().run()
    assert "Ange skälet till ändringen." in [e.value for e in at.error]
    at.text_input(key="cd_edit_reason_1").input("Förtydligande")
    at.button(key="cd_save_edit_1").click().run()
    assert "Beslutet är ändrat (version 2)." in [s.value for s in at.success]
    hist = at.dataframe[1].value
    assert list(hist["Version"]) == [1, 2] and list(hist["Ändring"]) == ["Ny", "Ändrad"]
    assert list(hist["Motivering"]) == ["Dubbelräkning mot P0001 ska utredas", "Utreds till februari"]
    assert list(council.decision_history(1, store=store).version) == [1, 2]
    # withdraw: gone from the log, kept in the history
    at.text_input(key="cd_edit_reason_1").input("Fel projekt")
    at.button(key="cd_withdraw_1").click().run()
    assert "Beslutet är återkallat; det finns kvar i historiken." in [s.value for s in at.success]
    assert council.decisions(store=store).empty
    assert list(council.decision_history(1, store=store).change) == ["create", "edit", "withdraw"]


def test_council_decisions_page_is_read_only_for_a_reader(app_wh):
    at = AppTest.from_file(str(ROOT / "pages" / "council_decisions.py"), default_timeout=60)
    _as_demo(at, "reader").run()
    assert not at.exception
    assert "Endast utvecklingsrådets sekreterare kan registrera beslut. Du ser loggen." in [i.value for i in at.info]
    assert not [w for w in at.selectbox if w.key == "cd_project"]


def test_project_page_deep_link(app_wh):
    at = AppTest.from_file(str(ROOT / "pages" / "project.py"), default_timeout=60)
    at.query_params["project"] = "P0003"
    at.run()
    assert not at.exception
    assert at.selectbox(key="project_pick").value == "P0003"
    body = texts(at)
    # the stopped innovation pilot shows its learning goal and exit plan
    assert "Pröva om invånarna använder chattboten" in body and "Avveckla om nyttan uteblir" in body
    assert "Stoppat" in body and "Innovativ" in body
