"""Council decisions log (followup/council.py, through metrics.portfolio_query): validation, the
store next to the warehouse, rules, versions, survival across ETL publishes."""
from __future__ import annotations

import os
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from followup import council
from followup.identity import Grant, Identity, PermissionDenied
from followup.store import get_store, reset_stores
from metrics import portfolio_query as pq
from metrics.warehouse import Warehouse

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
SECRETARY = Identity("sekreterare@stad.se", "Rådets sekreterare", frozenset({Grant("secretary")}), "oidc")
READER = Identity("lasare@stad.se", "Läsare")


@pytest.fixture
def wh(warehouse_file):
    reset_stores()
    w = Warehouse(warehouse_file)
    yield w
    w.close()
    reset_stores()


def test_store_path_next_to_warehouse(tmp_path, monkeypatch):
    from settings import followup_store_url

    monkeypatch.delenv("SCORECARD_FOLLOWUP_URL", raising=False)
    assert followup_store_url(tmp_path / "warehouse.duckdb") == f"sqlite:///{tmp_path / 'warehouse.followup.sqlite'}"
    monkeypatch.setenv("SCORECARD_FOLLOWUP_URL", "postgresql://app@db/followup")
    assert followup_store_url(tmp_path / "warehouse.duckdb") == "postgresql://app@db/followup"


def test_record_and_read_back(wh, warehouse_file):
    pq.record_decision(wh, SECRETARY, "P0001", "close", "Nyttan är hemtagen", date(2026, 11, 19), now=NOW)
    pq.record_decision(wh, SECRETARY, "P0004", "pause", "Dubbelräkning mot P0001 ska utredas", now=NOW)
    log = pq.decision_log(wh)
    assert list(log.project_id) == ["P0004", "P0001"]            # newest decision date first
    assert list(log.decision) == ["pause", "close"]
    assert list(log.decision_id) == [2, 1]
    assert list(log.recorded_by) == ["Rådets sekreterare"] * 2    # from the identity, never typed
    assert list(log.author) == ["sekreterare@stad.se"] * 2
    assert log.decision_date.iloc[0] == pd.Timestamp(2026, 11, 20)  # default decision date = today (now)
    assert list(log.project_name) == ["Förenklad handläggning av hemtjänst", "E-tjänst för förskoleplats"]
    assert (Path(warehouse_file).parent / "warehouse.followup.sqlite").exists()
    only = pq.decision_log(wh, "P0001")
    assert list(only.rationale) == ["Nyttan är hemtagen"]


def test_validation_messages(wh):
    with pytest.raises(council.DecisionError) as err:
        pq.record_decision(wh, SECRETARY, "P9999", "cancel", "  ", now=NOW)
    codes = [c for c, _ in err.value.problems]
    assert codes == ["unknown_project", "bad_decision", "empty_rationale"]
    assert "P9999 does not exist" in str(err.value)
    with pytest.raises(council.DecisionError) as err:
        pq.record_decision(wh, SECRETARY, "P0001", "stop", "ok", date(2026, 12, 1), now=NOW)
    assert [c for c, _ in err.value.problems] == ["future_date"]
    # nothing was stored by the rejected attempts
    assert pq.decision_log(wh).empty


def test_finished_or_stopped_project_cannot_be_paused(wh):
    # P0001 is finished and P0003 stopped in the warehouse
    for pid, status in (("P0001", "finished"), ("P0003", "stopped")):
        with pytest.raises(council.DecisionError) as err:
            pq.record_decision(wh, SECRETARY, pid, "pause", "Vänta", now=NOW)
        assert err.value.problems == [("pause_ended", f"Project {pid} is {status}; a {status} project cannot be paused.")]
    # P0004 runs: it can be paused; after the council stops it, it cannot be paused any more
    pq.record_decision(wh, SECRETARY, "P0004", "stop", "Nyttan uteblir", date(2026, 11, 1), now=NOW)
    assert pq.project_status(wh, "P0004") == "stopped"
    with pytest.raises(council.DecisionError):
        pq.record_decision(wh, SECRETARY, "P0004", "pause", "Vänta", now=NOW)
    # withdrawing the stop makes the warehouse status (running) count again
    pq.withdraw_decision(wh, SECRETARY, 1, reason="Fel projekt", now=NOW)
    assert pq.project_status(wh, "P0004") == "running"
    assert pq.record_decision(wh, SECRETARY, "P0004", "pause", "Vänta", now=NOW)["decision_id"] == 2


def test_only_the_secretary_records_and_nothing_is_written_otherwise(wh):
    with pytest.raises(PermissionDenied) as err:
        pq.record_decision(wh, READER, "P0004", "pause", "Vänta", now=NOW)
    assert err.value.message("sv") == "lasare@stad.se har inte behörighet att registrera rådets beslut. Inget sparades."
    admin = Identity("admin@stad.se", "Admin", frozenset({Grant("admin")}))
    with pytest.raises(PermissionDenied):
        pq.record_decision(wh, admin, "P0004", "pause", "Vänta", now=NOW)
    assert pq.decision_log(wh).empty


def test_double_submit_stores_one_decision(wh):
    a = pq.record_decision(wh, SECRETARY, "P0004", "continue", "Enligt plan", now=NOW, request_id="form-abc")
    b = pq.record_decision(wh, SECRETARY, "P0004", "continue", "Enligt plan", now=NOW, request_id="form-abc")
    assert a == b
    assert len(pq.decision_log(wh)) == 1


def test_edit_and_withdraw_are_new_versions_with_history(wh):
    pq.record_decision(wh, SECRETARY, "P0004", "continue", "Enligt plan", date(2026, 11, 2), now=NOW)
    other = Identity("sekr2@stad.se", "Andra sekreteraren", frozenset({Grant("secretary")}))
    with pytest.raises(council.DecisionError) as err:
        pq.edit_decision(wh, other, 1, reason=" ", rationale="x", now=NOW)
    assert err.value.problems[0][0] == "empty_reason"
    pq.edit_decision(wh, other, 1, reason="Stavfel", rationale="Enligt planen", now=NOW)
    log = pq.decision_log(wh)
    assert list(log.rationale) == ["Enligt planen"] and list(log.version) == [2]
    assert list(log.recorded_by) == ["Andra sekreteraren"]
    hist = pq.decision_history(wh, 1)
    assert list(hist.rationale) == ["Enligt plan", "Enligt planen"]
    assert list(hist.author) == ["sekreterare@stad.se", "sekr2@stad.se"]
    assert list(hist.decision_date) == [pd.Timestamp(2026, 11, 2)] * 2
    pq.withdraw_decision(wh, SECRETARY, 1, reason="Dubblett", now=NOW)
    assert pq.decision_log(wh).empty
    assert list(pq.decision_history(wh, 1).change) == ["create", "edit", "withdraw"]


def test_empty_log_when_nothing_written(wh):
    log = pq.decision_log(wh)
    assert log.empty and list(log.columns) == ["decision_id", "decision_date", "project_id", "project_name",
                                               "decision", "rationale", "recorded_by", "author", "recorded_at",
                                               "version", "change", "reason"]


COMMITTEES_CSV = """committee_code,name_sv,name_en,kind,peer_group
UTBN,Utbildningsnämnden,Education Committee,specialist_committee,specialist_committees
"""
PROJECTS_CSV = """project_id,name,portfolio_id,tier,owner_committee,benefit_owner,status,start_date,end_date,planned_running_cost_sek,council_goals,learning_goals,exit_plan
P0001,{name},1,differentiating,UTBN,Förvaltningschef,running,2025-01-01,2026-12-31,100000,KF1,,
"""


def test_decision_survives_etl_load_and_publish(tmp_path, monkeypatch):
    from pipeline.cli import plan_files, run_batches

    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(warehouse))
    monkeypatch.delenv("SCORECARD_FOLLOWUP_URL", raising=False)
    reset_stores()
    src = tmp_path / "src"
    src.mkdir()
    (src / "committees.csv").write_text(COMMITTEES_CSV, encoding="utf-8")
    (src / "projects.csv").write_text(PROJECTS_CSV.format(name="E-tjänst för förskoleplats"), encoding="utf-8")
    results = run_batches(plan_files([src / "committees.csv", src / "projects.csv"]), warehouse)
    assert [r.status for r in results] == ["loaded", "loaded"]

    pq.record_decision(Warehouse(warehouse), SECRETARY, "P0001", "continue", "Följer planen", now=NOW)
    ino_before = os.stat(warehouse).st_ino

    # a new delivery of projects → load + publish (copy + rename replaces the warehouse file)
    (src / "projects.csv").write_text(PROJECTS_CSV.format(name="E-tjänst för förskoleplats etapp 2"),
                                      encoding="utf-8")
    results = run_batches(plan_files([src / "projects.csv"]), warehouse)
    assert [r.status for r in results] == ["loaded"]
    assert os.stat(warehouse).st_ino != ino_before             # the warehouse really was replaced
    log = council.decisions()
    assert list(log.decision) == ["continue"] and list(log.project_id) == ["P0001"]

    # even a completely fresh warehouse (file deleted, everything reloaded) keeps the log
    warehouse.unlink()
    run_batches(plan_files([src / "committees.csv", src / "projects.csv"]), warehouse)
    assert list(council.decisions().rationale) == ["Följer planen"]
    # and a new decision can still be validated against the new warehouse
    pq.record_decision(Warehouse(warehouse), SECRETARY, "P0001", "close", "Klart", now=NOW)
    assert len(council.decisions()) == 2
    reset_stores()
