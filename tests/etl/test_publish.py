"""Atomic publish: readers never block a load, failures leave the published state (the catalog file and
the current version of the Parquet fact store) byte-identical."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipeline.cli import plan_files
from etl.load import load_batch
from pipeline.publish import publish
from etl_helpers import fixture, load, query, tree_files


def test_open_read_only_connection_does_not_block_a_load(warehouse):
    load(warehouse, "committees.csv")
    reader = duckdb.connect(str(warehouse), read_only=True)
    assert reader.execute("SELECT count(*) FROM dim_committees").fetchall() == [(5,)]
    (result,) = load(warehouse, "it_costs_2024.csv")
    assert result.status == "loaded"
    # the open connection still reads the file it opened; the load did not wait for it
    assert reader.execute("SELECT count(*) FROM etl_batches").fetchall() == [(1,)]
    # and its fact views still read the fact-store version it names (no rows then), not the new one
    assert reader.execute("SELECT count(*) FROM fact_it_costs").fetchall() == [(0,)]
    reader.close()
    assert query(warehouse, "SELECT count(*) FROM fact_it_costs") == [(19,)]


def test_app_style_attach_sees_new_data_after_reattach(warehouse):
    load(warehouse, "committees.csv")
    app = duckdb.connect()
    app.execute(f"ATTACH '{warehouse}' AS wh (READ_ONLY)")
    assert app.execute("SELECT count(*) FROM wh.fact_it_costs").fetchall() == [(0,)]
    load(warehouse, "it_costs_2024.csv")
    app.execute("DETACH wh")
    app.execute(f"ATTACH '{warehouse}' AS wh (READ_ONLY)")
    assert app.execute("SELECT count(*) FROM wh.fact_it_costs").fetchall() == [(19,)]
    app.close()


def published_state(warehouse: Path) -> tuple:
    """The catalog's bytes, what `current` points at and every file of that fact-store version with its bytes
    (through the links to the sources' generations)."""
    current = warehouse.with_name(warehouse.stem + ".parquet") / "current"
    files = {str(p.relative_to(current)): p.read_bytes() for p in tree_files(current)}
    return warehouse.read_bytes(), os.readlink(current), files


def generations(warehouse: Path) -> dict[str, bytes]:
    """Every file of every generation directory of the store (gens/), with its bytes."""
    gens = warehouse.with_name(warehouse.stem + ".parquet") / "gens"
    return {str(p.relative_to(gens)): p.read_bytes() for p in tree_files(gens)}


@pytest.mark.parametrize("first, then", [
    (("committees.csv", "it_costs_2024.csv"), "it_costs_2024-02_revision.csv"),          # period scope: whole month
    (("committees.csv", "incident_mapping.csv", "incidents_servicenow.csv"),
     "incidents_servicenow_update.csv"),                                                 # key scope: rewritten file
])
def test_failure_during_publish_leaves_published_state_byte_identical(warehouse, first, then):
    load(warehouse, *first)
    before, gens = published_state(warehouse), generations(warehouse)
    assert any(name.startswith("facts/") for name in before[2])  # the facts are in the published Parquet
    (batch,) = plan_files([fixture(then)])

    def load_then_fail(con):
        result = load_batch(con, batch.contract, batch.read, batch.name, batch.given)
        assert result.status == "loaded" and result.rows_replaced > 0   # files were replaced in the new version
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        publish(load_then_fail, warehouse)
    assert published_state(warehouse) == before
    assert generations(warehouse) == gens    # no generation left behind, none changed
    assert sorted(p.name for p in warehouse.parent.iterdir()) == [
        "warehouse.duckdb", "warehouse.duckdb.lock", "warehouse.parquet"]
    assert sorted(p.name for p in warehouse.with_name("warehouse.parquet").iterdir()) == ["current", "gens", before[1]]


KILLED_LOADER = """
import sys, time
from pathlib import Path
from pipeline.cli import plan_files
from pipeline.publish import publish
from etl.load import load_batch
(batch,) = plan_files([Path(sys.argv[2])])
def load_and_hang(con):
    load_batch(con, batch.contract, batch.read, batch.name, batch.given)
    Path(sys.argv[3]).write_text("in staging")
    time.sleep(600)
publish(load_and_hang, Path(sys.argv[1]))
"""


def test_kill_9_during_publish_leaves_published_state_and_the_next_load_works(warehouse, tmp_path):
    load(warehouse, "committees.csv", "it_costs_2024.csv")
    before = published_state(warehouse)
    marker = tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_LOADER, str(warehouse),
                             str(fixture("it_costs_2024-02_revision.csv")), str(marker)],
                            cwd=Path(__file__).resolve().parents[2])
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "the loader never reached staging"
            time.sleep(0.1)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    store = warehouse.with_name("warehouse.parquet")
    assert published_state(warehouse) == before
    assert len([p for p in store.iterdir() if p.name.startswith("v")]) == 2   # the dead loader's version is left
    (result,) = load(warehouse, "it_costs_2024-02_revision.csv")               # … and removed by the next load
    assert result.status == "loaded" and result.rows_replaced > 0
    # the dead loader's v000002 was never published: removed, and the number is the next publish's
    assert os.readlink(store / "current") == "v000002" and before[1] == "v000001"
    assert sorted(p.name for p in store.iterdir()) == ["current", "gens", "v000001", "v000002"]
    assert query(warehouse, "SELECT count(*) FROM fact_it_costs WHERE _batch_id = ?", [result.batch_id])[0][0] > 0


def test_first_publish_failing_leaves_no_warehouse(warehouse):
    def fail(con):
        raise ValueError("broken")

    with pytest.raises(ValueError):
        publish(fail, warehouse)
    assert not warehouse.exists()
    assert not warehouse.with_name("warehouse.duckdb.staging").exists()


def test_warehouse_meta_and_views_are_written(warehouse):
    load(warehouse, "committees.csv")
    load(warehouse, "incident_mapping.csv")
    meta = dict(query(warehouse, "SELECT key, value FROM warehouse_meta"))
    assert meta["version"] == "2"
    assert meta["published_at"].endswith("Z") and len(meta["published_at"]) == 20
    assert query(warehouse, "SELECT count(*) FROM int_incidents") == [(0,)]   # the declared model, built
    assert query(warehouse, "SELECT count(*) FROM dim_incident_sla") == [(0,)]  # a loadable source, no seed


def test_a_second_loader_waits_for_the_lock(warehouse):
    import threading
    import time

    from pipeline.publish import exclusive_lock

    warehouse.parent.mkdir(parents=True, exist_ok=True)
    published = threading.Event()
    loader = threading.Thread(target=lambda: (publish(lambda con: None, warehouse), published.set()))
    with exclusive_lock(warehouse):
        loader.start()
        time.sleep(1.0)
        assert not published.is_set() and not warehouse.exists()
    loader.join(timeout=120)
    assert published.is_set() and warehouse.exists()
