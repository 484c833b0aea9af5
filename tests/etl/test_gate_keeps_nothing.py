"""Nothing is kept without the Great Expectations gate's verdict: when GE disagrees with the row rules, or
fails, the batch is rejected, no Parquet file of it stays in the fact store and the published warehouse is as
before (but for the load log)."""
from pathlib import Path

import pytest

import etl.load
from etl.gate import GateResult
from etl_helpers import fixture, load, query, snapshot, tree_files

ESERVICES = """eservice_id,name,owner_committee,errand_type
ES001,Bygglov,BROMMA,bygglov
"""
FIRST = """month,eservice_id,channel,completed,straight_through
2024-01,ES001,digital,30,20
2024-02,ES001,digital,5,5
"""
REVISION = """month,eservice_id,channel,completed,straight_through
2024-02,ES001,digital,15,15
2024-03,ES001,digital,7,7
"""


def _facts(warehouse: Path) -> list[str]:
    root = warehouse.with_name(warehouse.stem + ".parquet") / "current" / "facts" / "source=eservice_transactions"
    return sorted(str(p.relative_to(root)) for p in tree_files(root, ".parquet"))


def _published(tmp_path: Path) -> Path:
    wh = tmp_path / "warehouse.duckdb"
    (tmp_path / "eservices.csv").write_text(ESERVICES, encoding="utf-8")
    (tmp_path / "eservice_transactions.csv").write_text(FIRST, encoding="utf-8")
    results = load(wh, fixture("committees.csv"), tmp_path / "eservices.csv", tmp_path / "eservice_transactions.csv")
    assert [r.status for r in results] == ["loaded"] * 3
    (tmp_path / "rev").mkdir()
    (tmp_path / "rev" / "eservice_transactions.csv").write_text(REVISION, encoding="utf-8")
    return wh


def _unchanged_except_the_log(wh: Path, before: dict, files_before: list[str]) -> None:
    """Every table as before but the load log, the gate log and the publish's own build metadata."""
    after = snapshot(wh)
    for table in set(before) | set(after):
        if table not in ("etl_batches", "etl_gate_results", "measure_status_history", "mart_build_info"):
            assert after.get(table) == before.get(table), table
    assert _facts(wh) == files_before


def test_a_gate_that_disagrees_with_the_row_rules_keeps_nothing(tmp_path, monkeypatch):
    wh = _published(tmp_path)
    before, files_before = snapshot(wh), _facts(wh)
    assert [f.split("/")[0] for f in files_before] == ["period=2024-01", "period=2024-02"]

    def wrong(contract, frames, present, counts=None):
        assert len(list(frames)[0]) == 2      # both rows handed to GE as one frame
        return GateResult(False, ["Great Expectations check (injected) failed"], [])

    monkeypatch.setattr(etl.load, "run_suite", wrong)
    (result,) = load(wh, tmp_path / "rev" / "eservice_transactions.csv")
    assert result.status == "rejected"
    assert "the Great Expectations verdict (False) differs from the row rules' (True)" in result.message
    _unchanged_except_the_log(wh, before, files_before)
    assert query(wh, "SELECT status FROM etl_batches ORDER BY batch_id DESC LIMIT 1") == [("rejected",)]


def test_a_gate_that_fails_rejects_the_batch(tmp_path, monkeypatch):
    wh = _published(tmp_path)
    before, files_before = snapshot(wh), _facts(wh)

    def broken(contract, frames, present, counts=None):
        raise ValueError("GE broke")

    monkeypatch.setattr(etl.load, "run_suite", broken)
    (result,) = load(wh, tmp_path / "rev" / "eservice_transactions.csv")
    assert result.status == "rejected"
    assert "ValueError: GE broke" in result.message and "nothing loaded" in result.message
    _unchanged_except_the_log(wh, before, files_before)


def test_the_gate_result_is_kept_and_the_revision_loads(tmp_path):
    wh = _published(tmp_path)
    (result,) = load(wh, tmp_path / "rev" / "eservice_transactions.csv")
    assert (result.status, result.rows_loaded, result.rows_replaced) == ("loaded", 2, 1)
    assert result.timings["gate"] > 0 and result.timings["write"] > 0
    assert query(wh, "SELECT month, completed FROM fact_eservice_transactions ORDER BY month") == [
        (__import__("datetime").date(2024, 1, 1), 30), (__import__("datetime").date(2024, 2, 1), 15),
        (__import__("datetime").date(2024, 3, 1), 7)]
    assert query(wh, "SELECT success FROM etl_gate_results WHERE batch_id = ?", [result.batch_id]) == [(True,)]


# The gate beside the write (etl/load.py `_GateBeside`): a fact-store batch the row rules accept is validated
# by GE in a thread while DuckDB writes its files; the verdict is awaited before the catalog COMMIT.

def test_the_gate_runs_while_the_files_are_written(tmp_path, monkeypatch):
    import threading

    import etl.factstore

    wh = _published(tmp_path)
    writing, seen = threading.Event(), {}
    real_suite, real_write = etl.load.run_suite, etl.factstore.FactStore._write_rows

    def suite(contract, frames, present, counts=None):
        seen["thread"] = threading.current_thread().name
        seen["write started first"] = writing.wait(timeout=30)   # never set if the write waited for the gate
        return real_suite(contract, frames, present, counts)

    def write_rows(self, *args, **kwargs):
        writing.set()
        return real_write(self, *args, **kwargs)

    monkeypatch.setattr(etl.load, "run_suite", suite)
    monkeypatch.setattr(etl.factstore.FactStore, "_write_rows", write_rows)
    (result,) = load(wh, tmp_path / "rev" / "eservice_transactions.csv")
    assert (result.status, result.rows_loaded, result.rows_replaced) == ("loaded", 2, 1)
    assert seen == {"thread": "gate-eservice_transactions", "write started first": True}
    assert query(wh, "SELECT success FROM etl_gate_results WHERE batch_id = ?", [result.batch_id]) == [(True,)]


def test_a_failing_gate_on_a_first_load_leaves_no_generation(tmp_path, monkeypatch):
    """The write made the source's first files in a generation of its own; the rejected gate removes both."""
    wh = tmp_path / "warehouse.duckdb"
    (tmp_path / "eservices.csv").write_text(ESERVICES, encoding="utf-8")
    assert [r.status for r in load(wh, fixture("committees.csv"), tmp_path / "eservices.csv")] == ["loaded"] * 2
    before = snapshot(wh)
    gens = wh.with_name(wh.stem + ".parquet") / "gens" / "facts" / "source=eservice_transactions"
    generations = sorted(p.name for p in gens.iterdir())

    monkeypatch.setattr(etl.load, "run_suite",
                        lambda contract, frames, present, counts=None: GateResult(False, ["injected"], []))
    (tmp_path / "eservice_transactions.csv").write_text(FIRST, encoding="utf-8")
    (result,) = load(wh, tmp_path / "eservice_transactions.csv")
    assert result.status == "rejected"
    _unchanged_except_the_log(wh, before, [])
    assert sorted(p.name for p in gens.iterdir()) == generations


def test_a_write_that_fails_waits_for_the_gate(tmp_path, monkeypatch):
    """GE is not thread-safe: a batch that fails during its write returns only after its gate thread ended,
    and the warehouse is as before."""
    import threading
    import time

    import etl.factstore

    wh = _published(tmp_path)
    before, files_before = snapshot(wh), _facts(wh)
    real_suite = etl.load.run_suite

    def slow_suite(contract, frames, present, counts=None):
        time.sleep(0.5)
        return real_suite(contract, frames, present, counts)

    def broken_write(self, *args, **kwargs):
        raise OSError("disk full (injected)")

    monkeypatch.setattr(etl.load, "run_suite", slow_suite)
    monkeypatch.setattr(etl.factstore.FactStore, "_write_rows", broken_write)
    (result,) = load(wh, tmp_path / "rev" / "eservice_transactions.csv")
    assert result.status == "rejected" and "disk full (injected)" in result.message
    assert not [t for t in threading.enumerate() if t.name.startswith("gate-")]
    _unchanged_except_the_log(wh, before, files_before)
