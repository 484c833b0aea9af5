"""Scope in the query layer: drill-down records and their exports limited to the user's committees when
the installation restricts drill-down (SCORECARD_DRILLDOWN_RESTRICTED=1); counted on the demo warehouse."""
from __future__ import annotations

import io

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app_tables import table, tables  # noqa: F401

from followup.identity import Grant, Identity, drilldown_scope
from ui.tables import PAGE_SIZE

ANALYST = Identity("karin@stad.se", "Karin", frozenset({Grant("analyst", "SKARHOLMEN"), Grant("analyst", "FARSTA")}))
CITY_ANALYST = Identity("ali@stad.se", "Ali", frozenset({Grant("analyst")}))
CHAIR = Identity("sara@stad.se", "Sara", frozenset({Grant("chair", "SKARHOLMEN")}))
READER = Identity("lena@stad.se", "Lena")


def _period(wh):
    from metrics import query

    return query.latest_complete_period(wh, "year")


def csv_rows(df: pd.DataFrame) -> int:
    from ui.tables import to_csv_bytes

    return len(pd.read_csv(io.BytesIO(to_csv_bytes(df)), sep=";", encoding="utf-8-sig"))


def test_scope_follows_the_setting(monkeypatch):
    monkeypatch.delenv("SCORECARD_DRILLDOWN_RESTRICTED", raising=False)
    assert drilldown_scope(READER) is None                       # not restricted: everyone sees all
    monkeypatch.setenv("SCORECARD_DRILLDOWN_RESTRICTED", "1")
    assert drilldown_scope(ANALYST) == frozenset({"SKARHOLMEN", "FARSTA"})
    assert drilldown_scope(CITY_ANALYST) is None
    assert drilldown_scope(CHAIR) == frozenset({"SKARHOLMEN"})
    assert drilldown_scope(READER) == frozenset()


def test_analyst_scope_limits_drilldown_rows_and_exports(wh, monkeypatch):
    from metrics import query

    monkeypatch.setenv("SCORECARD_DRILLDOWN_RESTRICTED", "1")
    period = _period(wh)
    rows = {c: len(query.drilldown(wh, "E1", c, "year", period)) for c in ("SKARHOLMEN", "FARSTA", "BROMMA")}
    city_all = query.drilldown(wh, "E1", "CITY", "year", period)
    assert min(rows.values()) > 0 and len(city_all) > sum(rows.values())
    scope = drilldown_scope(ANALYST)
    # own committees: every record; another committee: none; the city: exactly the own committees' records
    assert len(query.drilldown(wh, "E1", "SKARHOLMEN", "year", period, scope)) == rows["SKARHOLMEN"]
    assert len(query.drilldown(wh, "E1", "BROMMA", "year", period, scope)) == 0
    city = query.drilldown(wh, "E1", "CITY", "year", period, scope)
    assert len(city) == rows["SKARHOLMEN"] + rows["FARSTA"]
    assert csv_rows(city) == rows["SKARHOLMEN"] + rows["FARSTA"]          # the export has the same rows
    assert len(query.drilldown(wh, "E1", "CITY", "year", period, drilldown_scope(CITY_ANALYST))) == len(city_all)
    assert len(query.drilldown(wh, "E1", "CITY", "year", period, drilldown_scope(READER))) == 0


def test_measure_explorer_drilldown_uses_the_scope(app_env, wh, tmp_path, monkeypatch):
    """The page passes the logged-in user's scope: the demo analyst (Skärholmen, Farsta) gets no Bromma
    records, the demo chair of Skärholmen gets Skärholmen's."""
    from pathlib import Path

    from followup.store import reset_stores
    from metrics import query

    monkeypatch.setenv("SCORECARD_FOLLOWUP_URL", f"sqlite:///{tmp_path / 'f.sqlite'}")
    monkeypatch.setenv("SCORECARD_DRILLDOWN_RESTRICTED", "1")
    reset_stores()
    root = Path(__file__).resolve().parents[2]

    def drill(user: str, committee: str) -> tuple[str, int]:
        at = AppTest.from_file(str(root / "pages" / "measure_explorer.py"), default_timeout=60)
        at.session_state["_demo_user"] = user
        at.run()
        at.selectbox(key="explorer_measure_sv").set_value("E1").run()
        at.session_state["explorer_tab_sv"] = "Underlag bakom ett värde"
        at.run()
        at.selectbox(key="explorer_drill_committee_sv").set_value(committee).run()
        assert not at.exception, [e.value for e in at.exception]
        period = at.selectbox(key="explorer_drill_period_sv").value
        shown = len(table(at, "explorer_drill_table")) if "Inga rader" not in " ".join(i.value for i in at.info) else 0
        return period, shown

    period, shown = drill("analyst", "BROMMA")
    assert len(query.drilldown(wh, "E1", "BROMMA", "tertial", period)) > 0 and shown == 0
    period, shown = drill("chair", "SKARHOLMEN")
    n = len(query.drilldown(wh, "E1", "SKARHOLMEN", "tertial", period))
    assert shown == min(n, PAGE_SIZE) and n > 0  # the first page of the records; the count names them all
    reset_stores()
