"""Create the warehouse schema: fixed tables (schema.sql) and one table per contract."""
from __future__ import annotations

from pathlib import Path

import duckdb

from etl.contracts import Contract, load_contracts

SCHEMA_SQL = Path(__file__).with_name("schema.sql")


def contract_ddl(contract: Contract) -> str:
    cols = [f'"{c.name}" {c.duckdb_type}' for c in contract.columns]
    cols += ["_batch_id BIGINT", "_source_row BIGINT"]
    return f"CREATE TABLE IF NOT EXISTS {contract.table} (\n    " + ",\n    ".join(cols) + "\n)"


def create_all(con: duckdb.DuckDBPyConnection) -> None:
    """Idempotent: creates whatever is missing, never drops data."""
    con.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
    for contract in load_contracts().values():
        con.execute(contract_ddl(contract))


def refresh_calendar(con: duckdb.DuckDBPyConnection, first: str = "2013-01-01", last: str | None = None) -> None:
    """Rebuild dim_calendar for every month from `first` to `last` (default: the current month)."""
    last_sql = f"DATE '{last}'" if last else "date_trunc('month', current_date)"
    con.execute("DELETE FROM dim_calendar")
    con.execute(f"""
        INSERT INTO dim_calendar
        SELECT m::DATE, year(m), strftime(m, '%Y') || '-Q' || quarter(m),
               strftime(m, '%Y') || '-T' || ((month(m) - 1) // 4 + 1), strftime(m, '%Y-%m')
        FROM range(DATE '{first}', {last_sql} + INTERVAL 1 MONTH, INTERVAL 1 MONTH) t(m)
    """)
