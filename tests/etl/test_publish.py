"""Atomic publish: readers never block a load, failures leave the published file byte-identical."""
import duckdb
import pytest

from pipeline.cli import plan_files
from etl.load import load_batch
from pipeline.publish import publish
from etl_helpers import fixture, load, query


def test_open_read_only_connection_does_not_block_a_load(warehouse):
    load(warehouse, "committees.csv")
    reader = duckdb.connect(str(warehouse), read_only=True)
    assert reader.execute("SELECT count(*) FROM dim_committees").fetchall() == [(5,)]
    (result,) = load(warehouse, "it_costs_2024.csv")
    assert result.status == "loaded"
    # the open connection still reads the file it opened; the load did not wait for it
    assert reader.execute("SELECT count(*) FROM etl_batches").fetchall() == [(1,)]
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


def test_failure_during_publish_leaves_published_file_byte_identical(warehouse):
    load(warehouse, "committees.csv")
    before = warehouse.read_bytes()
    (batch,) = plan_files([fixture("it_costs_2024.csv")])

    def load_then_fail(con):
        load_batch(con, batch.contract, batch.read, batch.name)
        assert con.execute("SELECT count(*) FROM fact_it_costs").fetchall() == [(19,)]
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        publish(load_then_fail, warehouse)
    assert warehouse.read_bytes() == before
    assert sorted(p.name for p in warehouse.parent.iterdir()) == ["warehouse.duckdb", "warehouse.duckdb.lock"]


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
