"""Council decisions log (metrics/council.py): validation, storage, survival across ETL publishes."""
from __future__ import annotations

import os
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from metrics import council

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)


def test_council_path_next_to_warehouse(tmp_path, monkeypatch):
    monkeypatch.delenv("SCORECARD_COUNCIL_DB", raising=False)
    assert council.council_db_path(tmp_path / "warehouse.duckdb") == tmp_path / "warehouse.council.duckdb"
    monkeypatch.setenv("SCORECARD_COUNCIL_DB", str(tmp_path / "other.duckdb"))
    assert council.council_db_path(tmp_path / "warehouse.duckdb") == tmp_path / "other.duckdb"


def test_record_and_read_back(warehouse_file):
    council.record_decision("P0001", "close", "Nyttan är hemtagen", "Rådets sekreterare",
                            date(2026, 11, 19), warehouse=warehouse_file, now=NOW)
    council.record_decision("P0002", "pause", "Dubbelräkning mot P0001 ska utredas", "Rådets sekreterare",
                            warehouse=warehouse_file, now=NOW)
    log = council.decisions(warehouse=warehouse_file)
    assert list(log.project_id) == ["P0002", "P0001"]            # newest decision date first
    assert list(log.decision) == ["pause", "close"]
    assert list(log.decision_id) == [2, 1]
    assert log.decision_date.iloc[0] == pd_date(2026, 11, 20)    # default decision date = today (now)
    assert (tmp_path_of(warehouse_file) / "warehouse.council.duckdb").exists()
    only = council.decisions("P0001", warehouse=warehouse_file)
    assert list(only.rationale) == ["Nyttan är hemtagen"]


def pd_date(y, m, d):
    import pandas as pd
    return pd.Timestamp(y, m, d)


def tmp_path_of(p: Path) -> Path:
    return Path(p).parent


def test_validation_messages(warehouse_file):
    with pytest.raises(council.DecisionError) as err:
        council.record_decision("P9999", "cancel", "  ", "", warehouse=warehouse_file, now=NOW)
    codes = [c for c, _ in err.value.problems]
    assert codes == ["unknown_project", "bad_decision", "empty_rationale", "empty_recorded_by"]
    assert "P9999 does not exist" in str(err.value)
    with pytest.raises(council.DecisionError) as err:
        council.record_decision("P0001", "stop", "ok", "Sekreterare", date(2026, 12, 1),
                                warehouse=warehouse_file, now=NOW)
    assert [c for c, _ in err.value.problems] == ["future_date"]
    # nothing was stored by the rejected attempts
    assert council.decisions(warehouse=warehouse_file).empty


def test_empty_log_when_store_missing(tmp_path):
    log = council.decisions(council_db=tmp_path / "missing.duckdb")
    assert log.empty and list(log.columns) == council.COLUMNS


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
    monkeypatch.delenv("SCORECARD_COUNCIL_DB", raising=False)
    src = tmp_path / "src"
    src.mkdir()
    (src / "committees.csv").write_text(COMMITTEES_CSV, encoding="utf-8")
    (src / "projects.csv").write_text(PROJECTS_CSV.format(name="E-tjänst för förskoleplats"), encoding="utf-8")
    results = run_batches(plan_files([src / "committees.csv", src / "projects.csv"]), warehouse)
    assert [r.status for r in results] == ["loaded", "loaded"]

    council.record_decision("P0001", "continue", "Följer planen", "Rådets sekreterare", now=NOW)
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
    council.record_decision("P0001", "close", "Klart", "Rådets sekreterare", now=NOW)
    assert len(council.decisions()) == 2


def _writer(args):
    warehouse, n, who = args
    from metrics import council as c

    for i in range(n):
        c.record_decision("P0001", "continue", f"Uppföljning {i}", who, warehouse=warehouse,
                          now=datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc))
    return n


def test_concurrent_writers_are_serialised(warehouse_file):
    # 3 processes × 4 decisions, all under the store's lock → 12 rows, ids 1..12 without gaps or clashes
    import multiprocessing as mp

    with mp.get_context("spawn").Pool(3) as pool:
        done = pool.map(_writer, [(str(warehouse_file), 4, f"Sekreterare {k}") for k in range(3)])
    assert sum(done) == 12
    log = council.decisions(warehouse=warehouse_file)
    assert sorted(log.decision_id) == list(range(1, 13))
    assert log.recorded_by.value_counts().to_dict() == {"Sekreterare 0": 4, "Sekreterare 1": 4, "Sekreterare 2": 4}
