"""Atomic publishing of the warehouse file (docs/architecture.md, "Warehouse file and publishing").

The orchestration step above etl/ and metrics/: the loads (etl) and the build (metrics) both run
inside the staging copy, and only then is it published.

lock → copy the published catalog to staging → begin a new fact-store version (hard links of the
published one, etl/factstore.py) → run the loads in staging → refresh dim_calendar → build marts →
write warehouse_meta, the catalog tables as Parquet and the manifest → close → os.replace(staging,
published) → switch the store's `current` link → collect old versions. Any failure before the
os.replace deletes the staging file and the new version directory and leaves the published catalog
and the published Parquet byte-identical (docs/storage.md).
The build is incremental: the loads record the (table, month) pairs they change in the TEMP table
etl_changes and metrics.build rebuilds only what they reach (a demo and `python -m etl build` build in
full). The store is the build's ModelStore: the declared models kept per month (int_incidents) are written
into the new version by the build, only the months the loads changed.

Before the build, the follow-up store's current target changes (made by administrators in the app)
are copied into the warehouse table `store_targets`; the measure build takes the most recent of a
loaded target file and a store change (docs/followup.md "Target changes").
"""
from __future__ import annotations

import fcntl
import os
import shutil
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, TypeVar

import duckdb

from etl.contracts import load_contracts
from etl.factstore import FactStore, table_columns
from etl.load import CHANGES_DDL
from etl.rules import lit, q
from etl.schema import create_all, refresh_calendar
from metrics import status_history
from metrics.build import build_marts, pending_changes
from metrics.models import load_models
from settings import etl_memory_limit, fact_store_path, fact_store_retention, lock_path, staging_path, warehouse_path

T = TypeVar("T")


@contextmanager
def exclusive_lock(warehouse: Path):
    """Only one loader at a time; waits for a running one to finish."""
    with open(lock_path(warehouse), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)
    shutil.rmtree(path.with_name(path.name + ".tmp"), ignore_errors=True)  # DuckDB's spill files


def loaded_month_range(con, store: FactStore | None = None) -> tuple[str, str] | None:
    """Earliest and latest month with data in any month-grain period column. With a fact store these are
    all fact tables, and its partition names say it without reading data."""
    if store is not None:
        return store.month_range()
    parts = []
    for c in load_contracts().values():
        if c.period_column and c.column(c.period_column).type in ("month", "date", "timestamp"):
            col = q(c.period_column)
            parts.append(f"SELECT min({col}) AS lo, max({col}) AS hi FROM {c.table}")
    lo, hi = con.execute(f"SELECT min(lo), max(hi) FROM ({' UNION ALL '.join(parts)})").fetchall()[0]
    if lo is None:
        return None
    return lo.strftime("%Y-%m-01"), hi.strftime("%Y-%m-01")


def publish(work: Callable[[duckdb.DuckDBPyConnection], T], warehouse: Path | None = None,
            with_marts: bool = True, meta: dict[str, str] | None = None, full: bool = False) -> T:
    """Run `work(con)` on a staging copy of the warehouse catalog and a new fact-store version, and
    publish both atomically; returns its result. `meta` adds keys to warehouse_meta (e.g. origin = demo | loaded).

    The catalog is small (facts live in the Parquet fact store, etl/factstore.py), so its copy costs
    little; the fact store's new version is hard links plus the files this publish writes. The commit
    point is os.replace(staging, catalog): the catalog's views name their version directory.

    `with_marts=False` is for benchmarks that time the measure build on its own; loads always build.
    `full=True` rebuilds every model and mart (`python -m etl build`; the demo does too), else the build
    recomputes what the loads changed. The models kept per month (int_incidents) are written into the new
    store version by the build (the store is its ModelStore); one still in an older catalog is moved there."""
    warehouse = Path(warehouse or warehouse_path())
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    staging = staging_path(warehouse)
    with exclusive_lock(warehouse):
        _remove(staging)
        store: FactStore | None = None
        try:
            if warehouse.exists():
                shutil.copyfile(warehouse, staging)
            limit = etl_memory_limit()
            con = duckdb.connect(str(staging), config={"memory_limit": limit} if limit else {})
            con.execute("SET enable_progress_bar = false")
            con.execute("SET parquet_metadata_cache = true")  # fact-store files are immutable: read their footers once
            compact = None
            try:
                store = FactStore.begin(con, fact_store_path(warehouse))
                moving = _models_to_move(con)
                result = _run_in_staging(con, work, with_marts, warehouse, meta, store, full)
                compact = _compact_if_sparse(con, staging, force=bool(moving) and with_marts)
            finally:
                if store is not None:
                    store.release()
                con.close()
            if compact is not None:
                os.replace(compact, staging)
            os.replace(staging, warehouse)
        except BaseException:
            _remove(staging)
            _remove(staging.with_name(staging.name + ".compact"))
            if store is not None:
                store.abort()
            raise
        store.commit(*fact_store_retention())  # published: `current` follows, old versions are collected
    return result


COMPACT_WHEN = 2.0  # the catalog is rewritten when its file is over twice the size of its live data


def _models_to_move(con) -> list[str]:
    """Declared models kept per month in the fact store that this catalog still holds as tables (published
    by an older version): the build moves them, and the catalog is then compacted (their blocks freed)."""
    kept = [m.decl.name for m in load_models() if m.decl.partition is not None]
    if not kept:
        return []
    return [t for (t,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary "
        "AND schema_name = 'main' AND list_contains(?, table_name)", [kept]).fetchall()]


def _compact_if_sparse(con, staging: Path, force: bool = False) -> Path | None:
    """Rebuilding the marts every publish leaves freed blocks that DuckDB reuses but never gives back: when
    the staging catalog's file is over COMPACT_WHEN × its live data (or `force`: a model was moved out), copy
    its database into a fresh file (returned; the caller renames it onto the staging file after closing).
    Keeps the catalog small."""
    name, block, used = con.execute("SELECT database_name, block_size, used_blocks FROM pragma_database_size() "
                                    "WHERE database_name = current_database()").fetchall()[0]
    if not force and staging.stat().st_size <= COMPACT_WHEN * block * used:
        return None
    compact = staging.with_name(staging.name + ".compact")
    _remove(compact)
    con.execute(f"ATTACH {lit(str(compact))} AS _compact")
    try:
        con.execute(f"COPY FROM DATABASE {q(name)} TO _compact")
    finally:
        con.execute("DETACH _compact")
    return compact


STORE_TARGETS_COLUMNS = [("committee_code", "VARCHAR"), ("year", "INTEGER"), ("measure_id", "VARCHAR"),
                         ("target", "DOUBLE"), ("red_threshold", "DOUBLE"), ("changed_by", "VARCHAR"),
                         ("changed_at", "TIMESTAMP"), ("reason", "VARCHAR")]
STORE_TARGETS_DDL = ("CREATE OR REPLACE TABLE store_targets ("
                     + ", ".join(f"{name} {kind}" for name, kind in STORE_TARGETS_COLUMNS) + ")")


def copy_store_targets(con, warehouse: Path | None, changes=None) -> int:
    """Replace `store_targets` with the follow-up store's current target changes (`changes`, when the caller
    read them already); returns their count."""
    from followup.targets import targets_for_publish

    if changes is None:
        changes = targets_for_publish(warehouse)
    con.execute(STORE_TARGETS_DDL)
    if not changes.empty:
        con.register("_store_targets_df", changes)
        try:
            con.execute("INSERT INTO store_targets SELECT committee_code, year, measure_id, target, red_threshold, "
                        "changed_by, changed_at, reason FROM _store_targets_df")
        finally:
            con.unregister("_store_targets_df")
    return len(changes)


def note_store_target_changes(con, warehouse: Path | None) -> None:
    """copy_store_targets, recording the years whose store targets changed in etl_changes. When the store has
    no target changes and the catalog's store_targets is already empty with this version's columns, nothing
    changes and nothing is written (two catalog reads instead of five statements per publish)."""
    from followup.targets import targets_for_publish

    changes = targets_for_publish(warehouse)
    if changes.empty:
        database, exists = con.execute(
            "SELECT current_database(), count(*) > 0 FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND NOT temporary AND table_name = 'store_targets'").fetchall()[0]
        if (exists and table_columns(con, ["store_targets"], database)["store_targets"] == STORE_TARGETS_COLUMNS
                and not con.execute(f"SELECT count(*) FROM {q(database)}.main.store_targets").fetchall()[0][0]):
            return
    con.execute("CREATE OR REPLACE TEMP TABLE _store_targets_before AS SELECT * FROM store_targets"
                if "store_targets" in {r[0] for r in con.execute("SHOW TABLES").fetchall()}
                else STORE_TARGETS_DDL.replace("CREATE OR REPLACE TABLE store_targets",
                                               "CREATE OR REPLACE TEMP TABLE _store_targets_before"))
    copy_store_targets(con, warehouse, changes)
    con.execute("""INSERT INTO etl_changes SELECT DISTINCT 'store_targets', make_date(year, 1, 1) FROM (
                       (SELECT * FROM store_targets EXCEPT ALL SELECT * FROM _store_targets_before) UNION ALL
                       (SELECT * FROM _store_targets_before EXCEPT ALL SELECT * FROM store_targets))""")
    con.execute("DROP TABLE _store_targets_before")


def _refresh_calendar_if_moved(con, first: str, last: str) -> bool:
    """refresh_calendar when the loaded month range differs from the one dim_calendar was built for (recorded
    in etl_publish_state); returns whether it was rebuilt."""
    key, value = "calendar", f"{first}|{last}"
    recorded = con.execute("SELECT value FROM etl_publish_state WHERE key = ?", [key]).fetchall()
    if recorded and recorded[0][0] == value and con.execute("SELECT count(*) > 0 FROM dim_calendar").fetchall()[0][0]:
        return False
    refresh_calendar(con, first, last)
    con.execute("INSERT OR REPLACE INTO etl_publish_state VALUES (?, ?)", [key, value])
    return True


def _run_in_staging(con, work: Callable, with_marts: bool, warehouse: Path | None = None,
                    meta: dict[str, str] | None = None, store: FactStore | None = None, full: bool = False):
    con.execute(CHANGES_DDL)  # what the loads (and seeds, store targets) change: the measure build reads it
    create_all(con)
    result = work(con)
    note_store_target_changes(con, warehouse)
    months = loaded_month_range(con, store)
    if months:
        _refresh_calendar_if_moved(con, *months)
    if with_marts:  # the demo and `etl build` build in full; a load rebuilds what its changes reach
        full = full or (meta or {}).get("origin") == "demo"
        build_marts(con, changes=None if full else pending_changes(con), store=store)
    version = con.execute("SELECT coalesce(max(batch_id), 0) FROM etl_batches").fetchall()[0][0]
    published_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    con.execute("INSERT OR REPLACE INTO warehouse_meta VALUES ('version', ?), ('published_at', ?)",
                [str(version), published_at])
    for key, value in (meta or {}).items():
        con.execute("INSERT OR REPLACE INTO warehouse_meta VALUES (?, ?)", [key, str(value)])
    if with_marts:
        status_history.record(con, version, published_at)  # for the alerts: what turned red since the last publish
    if store is not None:
        # the catalog tables as Parquet (not the models materialized as tables: derived from the facts; those
        # kept per month are in the store already), the manifest, store_version
        store.finish(con, published_at, skip=frozenset(m.decl.name for m in load_models()))
    con.execute("CHECKPOINT")
    return result
