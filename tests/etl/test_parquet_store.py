"""The published state is readable without the app: plain DuckDB (no project code) reads the fact store's
Parquet (Hive partitions source=/period=) and the catalog tables' Parquet, and gets the warehouse's rows
and measure values (docs/storage.md)."""
import os
from pathlib import Path

import duckdb
import pytest

from etl.factstore import collect, versions
from etl_helpers import ESERVICES, TRANSACTIONS_HEAD, fixture, load, query
from metrics.warehouse import Warehouse

TRANSACTIONS = TRANSACTIONS_HEAD + """2024-02,ES001,phone,15,
2024-01,ES002,digital,8,8
2024-01,ES002,visit,2,
"""
REVISION_2024_02 = """month,eservice_id,channel,completed,straight_through
2024-02,ES001,digital,15,15
2024-02,ES001,phone,5,
"""


def current(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.stem + ".parquet") / "current"


def plain() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()   # no project code: what Trino, Spark or another DuckDB would do


def e1_by_hand(root: Path) -> dict[tuple[str, str], float]:
    """E1 (digital share of completed errands, %) per owning committee and month, from the Parquet alone."""
    rows = plain().execute(f"""
        SELECT e.owner_committee, t.period,
               100.0 * sum(t.completed) FILTER (WHERE t.channel = 'digital') / sum(t.completed)
        FROM read_parquet('{root}/facts/source=eservice_transactions/*/*.parquet', hive_partitioning = true) t
        JOIN read_parquet('{root}/tables/dim_eservices.parquet') e USING (eservice_id)
        GROUP BY ALL""").fetchall()
    return {(c, p): v for c, p, v in rows}


def e1_published(root: Path) -> dict[tuple[str, str], float]:
    rows = plain().execute(f"""SELECT committee_code, period, value
        FROM read_parquet('{root}/tables/measure_values.parquet')
        WHERE measure_id = 'E1' AND grain = 'month' AND committee_code NOT IN ('CITY') AND value IS NOT NULL
          AND NOT carried_forward AND peer_group IS NOT NULL""").fetchall()
    return {(c, p): v for c, p, v in rows}


def test_plain_duckdb_reads_the_facts_and_recomputes_a_measure(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    (tmp_path / "eservices.csv").write_text(ESERVICES, encoding="utf-8")
    (tmp_path / "eservice_transactions.csv").write_text(TRANSACTIONS, encoding="utf-8")
    results = load(wh, fixture("committees.csv"), tmp_path / "eservices.csv", tmp_path / "eservice_transactions.csv")
    assert [r.status for r in results] == ["loaded"] * 3
    root = current(wh)
    # Hive layout: one directory per source and month
    assert sorted(p.name for p in (root / "facts" / "source=eservice_transactions").iterdir()) == [
        "period=2024-01", "period=2024-02"]
    facts = plain().execute(f"""
        SELECT source, period, strftime(month, '%Y-%m'), eservice_id, channel, completed, straight_through, _source_row
        FROM read_parquet('{root}/facts/*/*/*.parquet', hive_partitioning = true) ORDER BY _source_row""").fetchall()
    assert [f[0] for f in facts] == ["eservice_transactions"] * 6
    assert all(f[1] == f[2] for f in facts)   # the partition is the row's month
    # the same rows as the catalog's view
    assert [f[2:] for f in facts] == query(wh, "SELECT strftime(month, '%Y-%m'), eservice_id, channel, completed, "
                                               "straight_through, _source_row FROM fact_eservice_transactions "
                                               "ORDER BY _source_row")
    # E1 by hand: BROMMA 30 of 40 and 5 of 20 errands digital, UTBN 8 of 10
    expected = {("BROMMA", "2024-01"): 75.0, ("BROMMA", "2024-02"): 25.0, ("UTBN", "2024-01"): 80.0}
    assert e1_by_hand(root) == pytest.approx(expected)
    assert e1_published(root) == pytest.approx(expected)
    assert dict(((c, p), v) for c, p, v in query(
        wh, "SELECT committee_code, period, value FROM measure_values WHERE measure_id = 'E1' AND grain = 'month' "
            "AND committee_code IN ('BROMMA', 'UTBN') AND value IS NOT NULL AND NOT carried_forward")) == pytest.approx(expected)
    city = plain().execute(f"""SELECT value FROM read_parquet('{root}/tables/measure_values.parquet')
        WHERE measure_id = 'E1' AND grain = 'month' AND committee_code = 'CITY' AND period = '2024-01'""").fetchall()
    assert city == [(pytest.approx(76.0),)]   # 38 of 50

    # a revision of February: the new version drops February's file, January's file is the same inode
    january = next((root / "facts" / "source=eservice_transactions" / "period=2024-01").glob("*.parquet"))
    january_inode = january.stat().st_ino
    (tmp_path / "rev").mkdir()
    (tmp_path / "rev" / "eservice_transactions.csv").write_text(REVISION_2024_02, encoding="utf-8")
    (rev,) = load(wh, tmp_path / "rev" / "eservice_transactions.csv")
    assert (rev.status, rev.rows_loaded, rev.rows_replaced) == ("loaded", 2, 2)
    root = current(wh)
    assert os.readlink(root) == "v000002"
    assert next((root / "facts" / "source=eservice_transactions" / "period=2024-01").glob("*.parquet")).stat().st_ino \
        == january_inode   # a hard link: unchanged files are not copied
    expected[("BROMMA", "2024-02")] = 75.0   # 15 of 20
    assert e1_by_hand(root) == pytest.approx(expected)
    assert e1_published(root) == pytest.approx(expected)
    # the previous version is still complete for a reader pinned to it
    old = root.parent / "v000001"
    assert plain().execute(f"SELECT sum(completed) FROM read_parquet('{old}/facts/*/*/*.parquet')").fetchall() == [(70,)]


def test_every_fact_source_of_the_demo_reads_the_same_in_plain_duckdb(demo_warehouse):
    root = current(demo_warehouse)
    sources = sorted(p.name.removeprefix("source=") for p in (root / "facts").iterdir())
    assert "incidents" in sources and "it_costs" in sources and "survey_responses" in sources
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    try:
        for source in sources:
            table = {"incidents": "fact_incidents"}.get(source, f"fact_{source}")
            want = con.execute(f"SELECT count(*), sum(_source_row), min(_batch_id), max(_batch_id) FROM {table}").fetchall()
            got = plain().execute(f"SELECT count(*), sum(_source_row), min(_batch_id), max(_batch_id) FROM "
                                  f"read_parquet('{root}/facts/source={source}/*/*.parquet', hive_partitioning = true)"
                                  ).fetchall()
            assert got == want and want[0][0] > 0, source
        marts = ("measure_values", "perspective_scores", "overall_scores", "indicator_values")
        for mart in marts:
            assert plain().execute(f"SELECT count(*) FROM read_parquet('{root}/tables/{mart}.parquet')").fetchall() == \
                con.execute(f"SELECT count(*) FROM {mart}").fetchall(), mart
    finally:
        con.close()
    by_hand, published = e1_by_hand(root), e1_published(root)
    assert len(published) > 100
    assert {k: by_hand[k] for k in published} == pytest.approx(published)


def test_a_pinned_reader_keeps_its_version_while_loads_publish(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    load(wh, "committees.csv", "it_costs_2024.csv")
    reader = Warehouse(wh)
    pinned = reader.pin()
    before = pinned.df("SELECT count(*) AS n, sum(amount_sek) AS s FROM fact_it_costs").iloc[0].tolist()
    (rev,) = load(wh, "it_costs_2024-02_revision.csv")
    assert rev.status == "loaded" and rev.rows_replaced > 0
    assert pinned.df("SELECT count(*) AS n, sum(amount_sek) AS s FROM fact_it_costs").iloc[0].tolist() == before
    reader.refresh()
    after = reader.pin().df("SELECT count(*) AS n, sum(amount_sek) AS s FROM fact_it_costs").iloc[0].tolist()
    assert after != before
    assert after == list(query(wh, "SELECT count(*), sum(amount_sek) FROM fact_it_costs")[0])


def test_old_versions_are_collected_after_the_grace_time(tmp_path, monkeypatch):
    wh = tmp_path / "warehouse.duckdb"
    store = tmp_path / "warehouse.parquet"
    monkeypatch.setenv("SCORECARD_STORE_KEEP_VERSIONS", "2")
    monkeypatch.setenv("SCORECARD_STORE_KEEP_SECONDS", "3600")
    load(wh, "committees.csv")
    load(wh, "it_costs_2024.csv")
    load(wh, "it_costs_2024-02_revision.csv")
    rows = query(wh, "SELECT count(*), sum(amount_sek) FROM fact_it_costs")
    assert versions(store) == [1, 2, 3]             # v1 was superseded less than an hour ago: kept
    assert collect(store, 3, keep_versions=2, keep_seconds=0) == [1]
    assert versions(store) == [2, 3]
    monkeypatch.setenv("SCORECARD_STORE_KEEP_SECONDS", "0")
    load(wh, "committees.csv")                      # unchanged, but a new version all the same
    assert versions(store) == [3, 4]
    assert os.readlink(store / "current") == "v000004"
    assert query(wh, "SELECT count(*), sum(amount_sek) FROM fact_it_costs") == rows


def test_the_catalog_stays_small_over_many_publishes(tmp_path, monkeypatch):
    """Each publish rebuilds the marts, leaving freed blocks; the catalog is compacted when its file is over
    COMPACT_WHEN × its live data (2 in production; at this tiny size the file stays ~1.7× without compaction,
    so the test lowers it to see the compaction work)."""
    import pipeline.publish

    monkeypatch.setattr(pipeline.publish, "COMPACT_WHEN", 1.25)
    wh = tmp_path / "warehouse.duckdb"
    load(wh, "committees.csv", "it_costs_2024.csv")
    pk = "SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
    keys = query(wh, pk)          # the catalog's primary keys (load log, meta, status history, build info …)
    assert keys[0][0] >= 5
    for name in ("it_costs_2024-02_revision.csv", "it_costs_2024.csv") * 3:
        (result,) = load(wh, name)
        assert result.status == "loaded"
        con = duckdb.connect(str(wh), read_only=True)
        try:
            block, used = con.execute("SELECT block_size, used_blocks FROM pragma_database_size() "
                                      "WHERE database_name = current_database()").fetchall()[0]
        finally:
            con.close()
        assert wh.stat().st_size <= 1.25 * block * used + 2 * block
        assert query(wh, pk) == keys      # the compaction keeps every constraint
    assert query(wh, "SELECT count(*) FROM fact_it_costs") == query(wh, "SELECT rows_loaded FROM etl_batches "
                                                                       "ORDER BY batch_id DESC LIMIT 1")


def test_a_missing_fact_store_stops_the_publish_and_changes_nothing(tmp_path):
    import shutil

    from etl.factstore import StoreMissing

    wh = tmp_path / "warehouse.duckdb"
    load(wh, "committees.csv", "it_costs_2024.csv")
    before = wh.read_bytes()
    shutil.rmtree(tmp_path / "warehouse.parquet")
    with pytest.raises(StoreMissing, match="warehouse.parquet/v000001, which is missing"):
        load(wh, "it_costs_2024-02_revision.csv")
    assert wh.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb", "warehouse.duckdb.lock", "warehouse.parquet"]
