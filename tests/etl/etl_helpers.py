"""Helpers for the ETL tests (imported as etl_helpers; tests/etl is on sys.path)."""
import os
import shutil
import tempfile
from contextlib import contextmanager
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


# The small e-service delivery the publish tests load (eservices + the first rows of its transactions).
ESERVICES = """eservice_id,name,owner_committee,errand_type
ES001,Bygglov,BROMMA,bygglov
ES002,Skolval,UTBN,skolval
"""
TRANSACTIONS_HEAD = """month,eservice_id,channel,completed,straight_through
2024-01,ES001,digital,30,20
2024-01,ES001,paper,10,
2024-02,ES001,digital,5,5
"""

BENEFITS = ["B0001", "B0002", "B0003", "B0004"]


def prepare_benefits(con) -> None:
    """The warehouse schema plus one committee and the benefits BENEFITS, for benefit_plans deliveries."""
    from etl.schema import create_all

    create_all(con)
    con.execute("INSERT INTO dim_committees VALUES ('KS', 'Kommunstyrelsen', 'City Executive Board', "
                "'specialist_committee', 'specialist_committees', 1, 1)")
    for b in BENEFITS:
        con.execute("INSERT INTO dim_benefits (benefit_id, project_id, kind, description, unit, owner_committee, "
                    "disbenefit, benefit_class) VALUES (?, 'P0001', 'financial', 'x', 'SEK', 'KS', false, 'budget')",
                    [b])


@contextmanager
def benefit_plan_stores():
    """A plain DuckDB warehouse and a Parquet fact-store one, both prepared with prepare_benefits, in a fresh
    work directory: yields (contract, work, native, stored, store) and removes everything afterwards."""
    from etl.contracts import load_contracts
    from etl.factstore import FactStore

    contract = load_contracts()["benefit_plans"]
    work = Path(tempfile.mkdtemp())
    native, stored = duckdb.connect(), duckdb.connect(str(work / "catalog.duckdb"))
    store = FactStore.begin(stored, work / "catalog.parquet")
    try:
        prepare_benefits(native)
        prepare_benefits(stored)
        yield contract, work, native, stored, store
    finally:
        store.release()
        native.close()
        stored.close()
        shutil.rmtree(work, ignore_errors=True)
