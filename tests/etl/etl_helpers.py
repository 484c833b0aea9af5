"""Helpers for the ETL tests (imported as etl_helpers; tests/etl is on sys.path)."""
import os
from pathlib import Path

import duckdb
from pipeline.cli import plan_files, run_batches

os.environ["GX_ANALYTICS_ENABLED"] = "false"
FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> Path:
    return FIXTURES / name


def load(warehouse: Path, *names: str, source: str | None = None):
    """Load fixture files (or paths) in one command and publish; returns the batch results."""
    paths = [n if isinstance(n, Path) else fixture(n) for n in names]
    return run_batches(plan_files(paths, source), warehouse)


def query(warehouse: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def snapshot(warehouse: Path, exclude=("warehouse_meta",)) -> dict[str, list[tuple]]:
    """Every table's full content, sorted, keyed by table name — fact tables in the Parquet fact store
    (views over their files, etl/factstore.py) included."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views() "
            "WHERE NOT internal AND NOT temporary ORDER BY 1").fetchall() if t not in exclude]
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
    finally:
        con.close()


def republish(warehouse: Path, sql: str) -> None:
    """Change a published warehouse the way `pipeline.publish` does: edit a staging copy, then os.replace it."""
    import shutil

    staging = warehouse.with_name(warehouse.name + ".staging")
    shutil.copy(warehouse, staging)
    con = duckdb.connect(str(staging))
    try:
        con.execute(sql)
    finally:
        con.close()
    os.replace(staging, warehouse)


def tree_files(root: Path, suffix: str = "") -> list[Path]:
    """Every file under `root` whose name ends with `suffix`, following directory links: a fact-store version
    links each source's and model's generation directory (docs/storage.md), which Path.rglob does not enter."""
    found = []
    for folder, _dirs, files in os.walk(root, followlinks=True):
        found += [Path(folder) / name for name in files if name.endswith(suffix)]
    return sorted(found)
