"""A publish does only what changed (docs/storage.md "One publish"): a version shares the generation directory of
every source it does not change, a seed is validated again only when its files changed, a view is re-created
only when the files it reads changed, a catalog table is written as Parquet only when its content changed —
and every guarantee stays: a failed publish leaves everything byte-identical, a reader pinned to an old
version reads its rows, old generations are collected when no kept version names them."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest

import settings
from etl import factstore, seeds
from etl.factstore import collect, generations, versions
from etl.seeds import SeedError, seed_contracts
from etl_helpers import ESERVICES, TRANSACTIONS_HEAD, fixture, load, query, snapshot, tree_files
from metrics.warehouse import Warehouse
from pipeline.cli import plan_files
from pipeline.publish import publish
from etl.load import load_batch
from test_publish import generations as generation_bytes, published_state

TRANSACTIONS = TRANSACTIONS_HEAD + """2024-01,ES002,digital,8,8
"""


def store_root(wh: Path) -> Path:
    return wh.with_name(wh.stem + ".parquet")


def source_link(wh: Path, source: str, version: str = "current") -> Path:
    return store_root(wh) / version / "facts" / f"source={source}"


def inodes(folder: Path) -> dict[str, tuple[int, int]]:
    """file (relative) → (inode, link count)"""
    return {str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_nlink) for p in tree_files(folder)}


@pytest.fixture
def two_sources(tmp_path) -> Path:
    wh = tmp_path / "warehouse.duckdb"
    (tmp_path / "eservices.csv").write_text(ESERVICES, encoding="utf-8")
    (tmp_path / "eservice_transactions.csv").write_text(TRANSACTIONS, encoding="utf-8")
    results = load(wh, "committees.csv", tmp_path / "eservices.csv", tmp_path / "eservice_transactions.csv",
                   "it_costs_2024.csv")
    assert [r.status for r in results] == ["loaded"] * 4
    return wh


def test_a_one_source_delivery_leaves_the_other_sources_files_untouched(two_sources):
    wh = two_sources
    root = store_root(wh)
    esv = source_link(wh, "eservice_transactions")
    esv_gen = Path(os.path.realpath(esv))
    esv_files = inodes(esv_gen)
    assert len(esv_files) == 2 and all(n == 1 for _, n in esv_files.values())   # one link: the generation's
    costs_gen = Path(os.path.realpath(source_link(wh, "it_costs")))
    costs_before = inodes(costs_gen)

    (rev,) = load(wh, "it_costs_2024-02_revision.csv")
    assert rev.status == "loaded" and rev.rows_replaced > 0
    assert os.readlink(root / "current") == "v000002"
    # the e-service transactions: v000002 names the same generation, same files, same inodes, no new link
    assert Path(os.path.realpath(source_link(wh, "eservice_transactions"))) == esv_gen
    assert os.readlink(source_link(wh, "eservice_transactions", "v000002")) == \
        os.readlink(source_link(wh, "eservice_transactions", "v000001"))
    assert inodes(esv_gen) == esv_files
    assert [g.relative_to(root).as_posix() for g in generations(root) if "eservice_transactions" in str(g)] == [
        "gens/facts/source=eservice_transactions/g000001"]
    # the ledger: a new generation of hard links, February's file replaced; v000001's generation as it was
    new_costs = Path(os.path.realpath(source_link(wh, "it_costs")))
    assert new_costs == root / "gens" / "facts" / "source=it_costs" / "g000002"
    assert {k: v[0] for k, v in inodes(costs_gen).items()} == {k: v[0] for k, v in costs_before.items()}
    after = inodes(new_costs)
    unchanged = [k for k in costs_before if not k.startswith("period=2024-02/")]
    assert unchanged and all(after[k][0] == costs_before[k][0] for k in unchanged)   # hard links, not copies
    assert not any(k.startswith("period=2024-02/") and k in costs_before for k in after)
    # the catalog reads the new rows; the view of the e-service source was not re-created (the state says so)
    assert query(wh, "SELECT count(*) FROM fact_eservice_transactions") == [(4,)]
    assert query(wh, "SELECT value FROM etl_publish_state WHERE key = 'view:fact_eservice_transactions'")[0][0] \
        .count("'<store>/gens/facts/source=eservice_transactions/g000001/period=*/*.parquet'") == 1
    assert query(wh, "SELECT sql FROM duckdb_views() WHERE view_name = 'fact_eservice_transactions'")[0][0] \
        .count(f"'{esv_gen}/period=*/*.parquet'") == 1
    assert query(wh, "SELECT count(*), sum(amount_sek) FROM fact_it_costs") == duckdb.connect().execute(
        f"SELECT count(*), sum(amount_sek) FROM read_parquet('{root}/current/facts/source=it_costs/*/*.parquet')"
    ).fetchall()


def test_views_and_catalog_tables_are_rewritten_only_when_they_changed(two_sources):
    wh = two_sources
    root = store_root(wh)
    seen = {}

    def deliver(con):
        store = factstore.store_for(con)
        seen["views_before_load"] = store.views_created        # create_all ran: no source changed yet
        (batch,) = plan_files([fixture("it_costs_2024-02_revision.csv")])
        result = load_batch(con, batch.contract, batch.read, batch.name, batch.given)
        seen["views_after_load"] = store.views_created
        seen["store"] = store
        return result

    result = publish(deliver, wh)
    assert result.status == "loaded"
    assert seen["views_before_load"] == 0 and seen["views_after_load"] == 1   # fact_it_costs only
    written = seen["store"].tables_written
    assert "etl_batches" in written and "dim_committees" not in written and "dim_eservices" not in written
    old, new = root / "v000001" / "tables", root / "v000002" / "tables"
    assert (new / "dim_committees.parquet").stat().st_ino == (old / "dim_committees.parquet").stat().st_ino
    assert (new / "etl_batches.parquet").stat().st_ino != (old / "etl_batches.parquet").stat().st_ino
    con = duckdb.connect(str(wh), read_only=True)
    try:   # every table's Parquet holds the catalog's rows, linked or written
        for table in json.loads((root / "current" / "manifest.json").read_text())["tables"]:
            name = Path(table).stem
            assert sorted(duckdb.connect().execute(f"SELECT * FROM read_parquet('{root}/current/{table}')").fetchall(),
                          key=repr) == sorted(con.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr), name
    finally:
        con.close()


def test_a_changed_seed_is_validated_again_and_an_unchanged_one_not(tmp_path, monkeypatch):
    seed_dir = tmp_path / "seeds"
    shutil.copytree(settings.seed_dir(), seed_dir)
    monkeypatch.setattr(settings, "SEED_DIR", seed_dir)
    seed_contracts.cache_clear()
    try:
        wh = tmp_path / "warehouse.duckdb"
        before = seeds.VALIDATED.copy()
        load(wh, "committees.csv")
        assert seeds.VALIDATED - before == {"dim_portfolios": 1, "dim_perspectives": 1}   # a new catalog
        before = seeds.VALIDATED.copy()
        load(wh, "it_costs_2024.csv")
        assert seeds.VALIDATED - before == {}                                            # nothing changed
        # touching a file without changing it does not count: the content decides
        os.utime(seed_dir / "portfolios.csv", (1, 1))
        load(wh, "committees.csv")
        assert seeds.VALIDATED - before == {}
        text = (seed_dir / "perspectives.csv").read_text(encoding="utf-8")
        (seed_dir / "perspectives.csv").write_text(text.replace("IT maturity", "IT maturity level"), encoding="utf-8")
        load(wh, "committees.csv")
        assert seeds.VALIDATED - before == {"dim_perspectives": 1}
        assert query(wh, "SELECT name_en FROM dim_perspectives WHERE code = 'maturity'") == [("IT maturity level",)]
        # a broken edit is found (validated, not skipped) and nothing is published
        published = published_state(wh)
        with (seed_dir / "portfolios.csv").open("a", encoding="utf-8") as f:
            f.write("9,EXTRA,Namn,Name\n")
        with pytest.raises(SeedError, match="portfolios.csv row 6, column portfolio_id"):
            load(wh, "committees.csv")
        assert published_state(wh) == published
    finally:
        seed_contracts.cache_clear()


def test_a_failed_publish_after_sharing_and_owning_leaves_everything_byte_identical(two_sources):
    wh = two_sources
    load(wh, "it_costs_2024-02_revision.csv")          # v000002 shares three sources and owns the ledger
    before, gens = published_state(wh), generation_bytes(wh)
    tables = snapshot(wh, exclude=())
    (batch,) = plan_files([fixture("it_costs_2024.csv")])

    def load_then_fail(con):
        result = load_batch(con, batch.contract, batch.read, batch.name, batch.given)
        assert result.status == "loaded" and result.rows_replaced > 0
        assert (store_root(wh) / "gens" / "facts" / "source=it_costs" / "g000003").is_dir()   # it was written
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        publish(load_then_fail, wh)
    assert published_state(wh) == before
    assert generation_bytes(wh) == gens
    assert snapshot(wh, exclude=()) == tables
    assert sorted(p.name for p in store_root(wh).iterdir()) == ["current", "gens", "v000001", "v000002"]
    assert not any(g.name == "g000003" for g in generations(store_root(wh)))


def test_a_reader_holding_the_old_version_reads_its_rows_while_publishes_and_collection_run(two_sources,
                                                                                            monkeypatch):
    wh = two_sources
    root = store_root(wh)
    reader = Warehouse(wh)
    pinned = reader.pin()
    old = pinned.df("SELECT count(*) AS n, sum(amount_sek) AS s FROM fact_it_costs").iloc[0].tolist()
    old_esv = pinned.df("SELECT sum(completed) AS s FROM fact_eservice_transactions").iloc[0].tolist()
    monkeypatch.setenv("SCORECARD_STORE_KEEP_VERSIONS", "1")
    monkeypatch.setenv("SCORECARD_STORE_KEEP_SECONDS", "3600")     # v000001 superseded just now: kept
    (rev,) = load(wh, "it_costs_2024-02_revision.csv")
    assert rev.status == "loaded" and rev.rows_replaced > 0
    assert versions(root) == [1, 2]
    assert pinned.df("SELECT count(*) AS n, sum(amount_sek) AS s FROM fact_it_costs").iloc[0].tolist() == old
    new = query(wh, "SELECT count(*), sum(amount_sek) FROM fact_it_costs")[0]
    assert list(new) != old
    # collection: v000001 goes, and with it the ledger generation only it named; the shared ones stay
    assert collect(root, 2, keep_versions=1, keep_seconds=0) == [1]
    assert [g.relative_to(root).as_posix() for g in generations(root) if "it_costs" in str(g)] == [
        "gens/facts/source=it_costs/g000002"]
    assert (root / "gens" / "facts" / "source=eservice_transactions" / "g000001").is_dir()
    reader.refresh()
    fresh = reader.pin()
    assert fresh.df("SELECT count(*) AS n, sum(amount_sek) AS s FROM fact_it_costs").iloc[0].tolist() == list(new)
    assert fresh.df("SELECT sum(completed) AS s FROM fact_eservice_transactions").iloc[0].tolist() == old_esv


def test_a_store_of_the_older_layout_is_adopted_by_the_next_publish(two_sources):
    """A version published by older code holds real directories per source (hard links of the version before):
    the next publish hard-links them into new generations once, and later publishes share them."""
    wh = two_sources
    root = store_root(wh)

    def facts():
        return {t: rows for t, rows in snapshot(wh).items() if t.startswith("fact_") or t == "measure_values"}

    rows = facts()
    assert rows["fact_it_costs"] and rows["fact_eservice_transactions"]
    v1 = root / "v000001"
    for kind in ("facts", "models"):
        for entry in list((v1 / kind).iterdir()) if (v1 / kind).is_dir() else []:
            target = Path(os.path.realpath(entry))
            entry.unlink()
            shutil.copytree(target, entry, copy_function=os.link)       # the older layout: a real directory
    manifest = json.loads((v1 / "manifest.json").read_text())
    manifest.pop("entries"), manifest.pop("table_fingerprints")
    (v1 / "manifest.json").write_text(json.dumps(manifest))
    load(wh, "committees.csv")                        # unchanged data, a new version all the same
    assert facts() == rows
    for entry in (root / "v000002" / "facts").iterdir():
        assert entry.is_symlink() and os.readlink(entry).endswith("/g000002"), entry   # adopted
    load(wh, "committees.csv")
    for entry in (root / "v000003" / "facts").iterdir():
        assert os.readlink(entry).endswith("/g000002"), entry                          # then shared
    assert facts() == rows
