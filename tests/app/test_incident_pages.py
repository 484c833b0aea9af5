"""Issue 17 on the pages: the data-quality page lists incidents without a committee with the values
to add to the mapping; the Q2 drill-down says in Swedish which rule decided each incident."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from app_tables import table, tables  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "etl"))

from etl_helpers import fixture, load  # noqa: E402
from test_incidents_itsm import SLA, unmapped_rows, verdict_rows, write  # noqa: E402


@pytest.fixture
def incident_wh(tmp_path, monkeypatch):
    wh = tmp_path / "w.duckdb"
    sla = tmp_path / "incident_sla.csv"
    sla.write_text(SLA, encoding="utf-8")
    rows = unmapped_rows() + verdict_rows()
    load(wh, fixture("committees.csv"), fixture("incident_mapping.csv"), sla, write(tmp_path / "incidents_x.csv", rows))
    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(wh))
    monkeypatch.delenv("SCORECARD_COUNCIL_DB", raising=False)
    monkeypatch.setenv("SCORECARD_DEMO_LOGIN", "1")  # the demo login (reader) on this hand-made warehouse
    st.cache_data.clear()
    st.cache_resource.clear()
    yield wh
    st.cache_data.clear()
    st.cache_resource.clear()


def run(page: str, lang: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=60)
    if lang:
        at.query_params["lang"] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table_with(at: AppTest, column: str):
    hits = [d.value for d in tables(at) if column in d.value.columns]
    assert len(hits) == 1, [list(d.value.columns) for d in tables(at)]
    return hits[0]


def test_data_quality_lists_unattributed_incidents_with_their_values(incident_wh):
    at = run("data_quality")
    table = table_with(at, "Tilldelad grupp")
    assert list(table.columns) == ["Källsystem", "Period", "Plats", "Tilldelad grupp", "Konfigurationsobjekt",
                                   "Incidenter", "Varav lösta", "Första laddning", "Senaste laddning"]
    assert table[["Plats", "Tilldelad grupp", "Incidenter", "Varav lösta"]].values.tolist() == [
        ["? (saknas)", "? (saknas)", "6", "5"], ["Location 999", "? (saknas)", "3", "3"]]
    assert set(table["Period"]) == {"mar 2016"}
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Incidenter utan nämnd"] == "9"
    assert any("9 incidenter utan nämnd" in c.value for c in at.caption)


def test_q2_drilldown_names_the_rule_in_swedish(incident_wh):
    at = run("measure_explorer")
    at.selectbox(key="explorer_measure_sv").set_value("Q2").run()
    at.session_state["explorer_tab_sv"] = "Underlag bakom ett värde"
    at.run()
    assert not at.exception
    at.selectbox(key="explorer_drill_committee_sv").set_value("BROMMA").run()
    table = table_with(at, "Avgjort av")
    rules = dict(zip(table["Ärendenummer"], table["Avgjort av"]))
    assert rules["INC0000102"] == "ärendesystemets SLA-bedömning (made_sla)"
    assert rules["INC0000106"] == "åtgärdstid mot avtalad tid"
    assert set(table["Inom avtalad tid"]) == {"Ja", "Nej"}
    assert "made_sla" not in table.columns and "True" not in table.to_string()
