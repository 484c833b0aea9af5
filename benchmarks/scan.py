"""The raw-scan yardstick for the measure build: one plain GROUP BY committee, month over each
fact table that the measure declarations read."""
from __future__ import annotations

import re
import time
from pathlib import Path

import duckdb

from etl.contracts import load_contracts

ROOT = Path(__file__).resolve().parent.parent
COMMITTEE_COLUMNS = ["committee_code", "owner_committee", "system_id", "eservice_id", "assignment_group",
                     "location", "project_id", "cmdb_ci"]


def fact_tables_read_by_measures() -> list[str]:
    """fact_* tables named in metrics/definitions/*.yaml and metrics/*.py."""
    names: set[str] = set()
    for pattern in ("metrics/definitions/*.yaml", "metrics/definitions/*.yml", "metrics/*.py", "metrics/*.sql"):
        for path in ROOT.glob(pattern):
            names.update(re.findall(r"\bfact_[a-z_]+\b", path.read_text(encoding="utf-8", errors="replace")))
    return sorted(names)


def scan_queries(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, str]:
    existing = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    by_table = {c.table: c for c in load_contracts().values()}
    out = {}
    for table in tables:
        if table not in existing or table not in by_table:
            continue
        c = by_table[table]
        cols = {col.name: col for col in c.columns}
        group = next((g for g in COMMITTEE_COLUMNS if g in cols), None)
        period = c.period_column if c.period_column in cols else next(
            (n for n, col in cols.items() if col.type in ("month", "date", "timestamp")), None)
        if period and cols[period].type in ("integer", "year"):
            period_key = [f'"{period}"']
        elif period:
            period_key = [f"date_trunc('month', \"{period}\")"]
        else:
            period_key = []
        keys = ([f'"{group}"'] if group else []) + period_key
        aggs = ["count(*)"] + [f'sum("{n}")' for n, col in cols.items()
                               if col.type in ("integer", "decimal") and n != period]
        sel = ", ".join(keys + aggs)
        out[table] = f"SELECT {sel} FROM {table}" + (" GROUP BY ALL" if keys else "")
    return out


def time_scan(con: duckdb.DuckDBPyConnection, queries: dict[str, str], repeat: int = 3) -> dict:
    """Median over `repeat` runs of: every scan query once, results fetched."""
    runs, cpu = [], []
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        for sql in queries.values():
            con.execute(sql).fetchall()
        runs.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    runs.sort()
    cpu.sort()
    rows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in queries}
    return {"seconds": runs[len(runs) // 2], "cpu_seconds": cpu[len(cpu) // 2], "runs": runs, "tables": rows, "sql": queries}
