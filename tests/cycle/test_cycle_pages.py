"""The cycle in the app (AppTest against the demo warehouse and a throwaway store, logged in through the
demo login of ui/auth.py): a reporter writes an analysis on the scorecard and cannot submit while a red
measure is unexplained; a chair approves; a reader sees it read-only; the city director's page lists
who has not reported."""
from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from app_tables import table, tables  # noqa: F401

from cycle_helpers import ROOT


REPORTER = "rapportor.skarholmen@demo.stad.invalid"  # ui.auth.DEMO_USERS
CHAIR = "ordforande.skarholmen@demo.stad.invalid"


@pytest.fixture
def app(demo_warehouse, store, monkeypatch):
    import metrics.warehouse as mw

    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(demo_warehouse))
    monkeypatch.setenv("SCORECARD_DEMO_LOGIN", "1")
    st.cache_data.clear()
    st.cache_resource.clear()
    mw._singleton = None

    def run(page: str, demo_user: str = "reader", committee: str | None = None) -> AppTest:
        at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=90)
        if committee:
            at.query_params["committee"] = committee
        at.session_state["_demo_user"] = demo_user
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at
    yield run
    mw._singleton = None


def grant(store, people, email: str, role: str, code: str) -> None:
    from followup.roles import grant as grant_role

    grant_role(people("admin@stad.se", "Admin", ("admin", None)), email, role, [code], store=store)


def test_reporter_writes_on_the_scorecard_submit_waits_for_red_analyses_chair_approves(app, store, people, red_committee,
                                                                                        period):
    from followup import cycle as C

    code, red = red_committee
    grant(store, people, REPORTER, "reporter", code)  # the demo reporter (Omar Hassan) reports for this committee
    grant(store, people, CHAIR, "chair", code)
    at = app("committee_scorecard", "reporter", code)
    assert "Ej påbörjad" in " ".join(m.value for m in at.markdown)
    submit = next(b for b in at.button if b.key == "cycle_submit")
    assert submit.disabled  # red measures without analysis
    assert any(red[0] in c.value for c in at.caption)
    # write the analysis of the first red measure through its form
    area = next(a for a in at.text_area if a.key == f"cyc_text_measure_{red[0]}_sv")
    area.input("Tillgängligheten sjönk efter ett avbrott i juni.")
    next(s for s in at.selectbox if s.key == f"cyc_assess_measure_{red[0]}_sv").set_value("at_risk")
    form_button = next(b for b in at.button if b.proto.form_id == f"cycle_analysis_measure_{red[0]}_sv")
    form_button.click()
    at.run()
    assert not at.exception
    written = C.analyses(code, period, store)
    assert [(a["subject_id"], a["text"], a["assessment"], a["author_email"], a["author"]) for a in written] == \
        [(red[0], "Tillgängligheten sjönk efter ett avbrott i juni.", "at_risk", REPORTER, "Omar Hassan")]
    anna = people("anna@stad.se", "Anna Berg", ("reporter", code))
    for m in red[1:]:
        C.write_analysis(anna, code, period, "measure", m, f"Analys {m}.", store=store)
    at = app("committee_scorecard", "reporter", code)
    submit = next(b for b in at.button if b.key == "cycle_submit")
    assert not submit.disabled
    submit.click()
    at.run()
    assert C.state(code, period, store) == "submitted"
    # the reporter has no approve button; the chair has
    assert not any(b.key == "cycle_approve" for b in at.button)
    at = app("committee_scorecard", "chair", code)
    next(b for b in at.button if b.key == "cycle_approve").click()
    at.run()
    assert C.workflow(code, period, store)["approved_by"] == "Sara Lindqvist"
    assert "godkänd av Sara Lindqvist" in " ".join(m.value for m in at.markdown)


def test_without_a_login_the_cycle_is_read_only(app, store, people, red_committee, period):
    from followup import cycle as C

    code, red = red_committee
    C.write_analysis(people("a@stad.se", "Anna", ("reporter", code)), code, period, "measure", red[0], "Synlig analys.",
                     store=store)
    at = app("committee_scorecard", "reader", code)
    assert not any(a.key and a.key.startswith("cyc_text_") for a in at.text_area)
    assert not any(b.key in ("cycle_submit", "cycle_approve") for b in at.button)
    assert any("Synlig analys." in m.value for m in at.markdown)
    # the demo reporter reports for SKARHOLMEN only: another committee's scorecard is read-only for him
    other = next(c for c in ("BROMMA", "FARSTA") if c != code)
    grant(store, people, REPORTER, "reporter", code)
    at = app("committee_scorecard", "reporter", other)
    assert not any(a.key and a.key.startswith("cyc_text_") for a in at.text_area)
    assert not any(b.key == "cycle_submit" for b in at.button)
    at = app("committee_scorecard", "reporter", code)  # and his own is not
    assert any(a.key and a.key.startswith("cyc_text_") for a in at.text_area)


def test_the_directors_page_lists_who_has_not_reported(app, store, people, period, demo_wh):
    from followup import cycle as C
    from metrics import query

    anna = people("anna@stad.se", "Anna", ("reporter", "FARSTA"))
    C.write_analysis(anna, "FARSTA", period, "committee", "FARSTA", "Klart.", store=store)
    C.submit(anna, "FARSTA", period, [], store=store)
    at = app("reporting_status", "reader")
    n = len(query.committees(demo_wh))
    assert f"{n - 1} av {n} har inte skickat in" in " ".join(m.value for m in at.markdown)
    table = next(d.value for d in tables(at) if "Inskickad av" in d.value.columns)
    assert len(table) == n
    row = table[table["Nämnd/bolag"] == "Farsta stadsdelsnämnd"].iloc[0]
    assert row["Rapportens status"] == "Inskickad" and row["Inskickad av"] == "Anna"
    assert not any(b.key == "reporting_close" for b in at.button)  # only administrators close
    at = app("reporting_status", "admin")
    assert any(b.key == "reporting_close" for b in at.button)


def test_the_directors_page_orders_committees_by_name_in_swedish_order_within_each_state(app, store, people, period,
                                                                                         demo_wh):
    """Rows were ordered by committee code: Stockholms Hamn AB (code HAMN) sat between Hägersten-Liljeholmen
    and Hässelby-Vällingby. Within a state, rows follow the name, å ä ö after z."""
    from followup import cycle as C
    from metrics import query

    anna = people("anna@stad.se", "Anna", ("reporter", "FARSTA"))
    C.write_analysis(anna, "FARSTA", period, "committee", "FARSTA", "Klart.", store=store)
    C.submit(anna, "FARSTA", period, [], store=store)
    at = app("reporting_status", "reader")
    table = next(d.value for d in tables(at) if "Inskickad av" in d.value.columns)
    names = table["Nämnd/bolag"].tolist()
    assert names[-1] == "Farsta stadsdelsnämnd"  # submitted comes after not started
    waiting = names[:-1]
    committees = query.committees(demo_wh)
    alphabet = "abcdefghijklmnopqrstuvwxyzåäö"
    expected = sorted(committees["name_sv"][committees["committee_code"] != "FARSTA"],
                      key=lambda n: [alphabet.index(c) if c in alphabet else -1 for c in n.lower().replace("é", "e")])
    assert waiting == expected
    assert waiting.index("Hägersten-Liljeholmens stadsdelsnämnd") + 1 == waiting.index("Hässelby-Vällingby stadsdelsnämnd")
    assert waiting.index("Älvsjö stadsdelsnämnd") < waiting.index("Östermalms stadsdelsnämnd")
    first = [n[0] for n in waiting]
    assert first.index("Ä") > max(i for i, c in enumerate(first) if c in "STUVWXYZ") and first[-1] == "Ö"


def test_the_start_page_shows_a_committee_user_what_turned_red_since_the_previous_publish(
        tmp_path, demo_warehouse, store, people, monkeypatch, period):
    """Two publishes' statuses in the history: a measure red now that was green in the previous publish
    shows on the demo reporter's start page (his committee), not on a reader's."""
    import shutil

    import duckdb
    import metrics.warehouse as mw
    from metrics import status_history

    wh_path = tmp_path / "w.duckdb"
    shutil.copyfile(demo_warehouse, wh_path)
    con = duckdb.connect(str(wh_path))
    status_history.record(con, 0, "2026-09-01T00:00:00Z")  # makes sure the table exists
    v = con.execute("SELECT max(version) FROM measure_status_history").fetchone()[0]  # the demo build's publishes
    status_history.record(con, v + 1, "2026-09-01T10:00:00Z")
    red_now = con.execute("""SELECT measure_id FROM measure_status_history WHERE version = ? AND grain = 'tertial'
                             AND committee_code = 'SKARHOLMEN' AND status = 'red' ORDER BY measure_id LIMIT 1""",
                          [v + 1]).fetchone()
    assert red_now, "the demo warehouse has no red measure for SKARHOLMEN"
    con.execute("""UPDATE measure_status_history SET status = 'green' WHERE version = ? AND grain = 'tertial'
                   AND committee_code = 'SKARHOLMEN' AND measure_id = ?""", [v + 1, red_now[0]])
    status_history.record(con, v + 2, "2026-09-02T10:00:00Z")
    name = con.execute("SELECT name_sv FROM measure_catalog WHERE measure_id = ?", [red_now[0]]).fetchone()[0]
    con.close()
    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(wh_path))
    monkeypatch.setenv("SCORECARD_DEMO_LOGIN", "1")
    st.cache_data.clear()
    mw._singleton = None
    for user, shown in (("reporter", True), ("reader", False)):
        at = AppTest.from_file(str(ROOT / "pages" / "city_overview.py"), default_timeout=90)
        at.session_state["_demo_user"] = user
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        text = " ".join(w.value for w in at.warning)
        assert ("Blivit röda sedan förra publiceringen" in text) is shown, (user, text)
        if shown:
            assert f"{red_now[0]} {name}" in text and "Skärholmens stadsdelsnämnd" in text and "var grön" in text
    mw._singleton = None
