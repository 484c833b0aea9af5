"""Create the warehouse schema: fixed tables (schema.sql), the seed tables (seeds/, replaced from the files)
and one table per contract."""
from __future__ import annotations

from pathlib import Path

import duckdb

import periods as P

from etl.contracts import Contract, load_contracts
from etl.seeds import load_seeds

SCHEMA_SQL = Path(__file__).with_name("schema.sql")


def contract_ddl(contract: Contract) -> str:
    cols = [f'"{c.name}" {c.duckdb_type}' for c in contract.columns]
    cols += ["_batch_id BIGINT", "_source_row BIGINT"]
    return f"CREATE TABLE IF NOT EXISTS {contract.table} (\n    " + ",\n    ".join(cols) + "\n)"


def create_all(con: duckdb.DuckDBPyConnection) -> None:
    """Idempotent: creates whatever is missing, never drops data."""
    con.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
    load_seeds(con)  # before the contracts' tables: deliveries reference seed tables (dim_portfolios)
    for contract in load_contracts().values():
        con.execute(contract_ddl(contract))
    con.execute(V_INCIDENTS)


# Incidents with their committee (mapping: location wins over assignment_group) and SLA outcome.
V_INCIDENTS = """
CREATE OR REPLACE VIEW v_incidents AS
SELECT i.*,
       coalesce(by_location.committee_code, by_group.committee_code) AS committee_code,
       sla.resolve_hours,
       CASE WHEN i.resolved_at IS NOT NULL AND sla.resolve_hours IS NOT NULL
            THEN (epoch(i.resolved_at) - epoch(i.opened_at)) / 3600.0 <= sla.resolve_hours END
           AS resolved_in_time
FROM fact_incidents i
LEFT JOIN map_incident_committee by_location
       ON by_location.match_field = 'location' AND by_location.match_value = i.location
LEFT JOIN map_incident_committee by_group
       ON by_group.match_field = 'assignment_group' AND by_group.match_value = i.assignment_group
LEFT JOIN dim_incident_sla sla ON sla.priority = i.priority
"""


def refresh_calendar(con: duckdb.DuckDBPyConnection, first: str = "2013-01-01", last: str | None = None) -> None:
    """Rebuild dim_calendar for every month from `first` to `last` (default: the current month)."""
    last_sql = f"DATE '{last}'" if last else "date_trunc('month', current_date)"
    con.execute("DELETE FROM dim_calendar")
    con.execute(f"""
        INSERT INTO dim_calendar
        SELECT m, year(m), {P.label_sql('quarter', 'm')}, {P.label_sql('tertial', 'm')}, {P.label_sql('month', 'm')}
        FROM (SELECT CAST(m AS DATE) AS m
              FROM range(DATE '{first}', {last_sql} + INTERVAL 1 MONTH, INTERVAL 1 MONTH) t(m))
    """)
