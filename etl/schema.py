"""Create the warehouse schema: fixed tables (schema.sql), the seed tables (seeds/, replaced from the files)
and one table per contract."""
from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

import periods as P

from etl import factstore
from etl.contracts import Contract, load_contracts
from settings import default_itsm_system
from etl.seeds import load_seeds

SCHEMA_SQL = Path(__file__).with_name("schema.sql")


def contract_ddl(contract: Contract) -> str:
    cols = [f'"{c.name}" {c.duckdb_type}' for c in contract.columns]
    cols += ["_batch_id BIGINT", "_source_row BIGINT"]
    return f"CREATE TABLE IF NOT EXISTS {contract.table} (\n    " + ",\n    ".join(cols) + "\n)"


SCHEMA_STATE_KEY = "schema"   # etl_publish_state: digest of the DDL a publish last ran on this catalog


def create_all(con: duckdb.DuckDBPyConnection) -> None:
    """Idempotent: creates whatever is missing, never drops data. With a fact store registered for the
    connection (a publish), fact tables are views over its Parquet files.

    In a publish, the DDL (schema.sql and one CREATE TABLE IF NOT EXISTS per contract) is skipped when the upgrade
    check found nothing to change and the catalog records that a publish already ran exactly this DDL on it
    (SHA-256 of the DDL text, key 'schema' in etl_publish_state): the catalog is only ever changed by publishes,
    which keep every table the DDL creates, so running it again would change nothing (~3 statements and
    ~10 ms per command)."""
    store = factstore.store_for(con)
    contracts = list(load_contracts().values())
    schema_sql = SCHEMA_SQL.read_text(encoding="utf-8")
    contracts_sql = ";\n".join(contract_ddl(c) for c in contracts)
    digest = hashlib.sha256(f"{UPGRADES}\0{schema_sql}\0{contracts_sql}".encode()).hexdigest()
    # the upgrade check always runs (one catalog query): a catalog an earlier version published after this one
    # (a downgrade, then this version again) keeps this version's digest but may lack what the upgrade adds
    upgraded = _upgrade_incident_tables(con)
    current = (store is not None and not upgraded
               and factstore.publish_state(con, [SCHEMA_STATE_KEY]).get(SCHEMA_STATE_KEY) == digest)
    if not current:
        _run_ddl(con, schema_sql)
    load_seeds(con)  # before the contracts' tables: deliveries reference seed tables (dim_portfolios)
    if not current:
        con.execute(contracts_sql)   # one round trip: each is IF NOT EXISTS
        if store is not None:
            factstore.set_publish_state(con, SCHEMA_STATE_KEY, digest)
    if store is not None:  # views over the Parquet fact store (etl/factstore.py), re-created when their files changed
        store.ensure_all(con, [c for c in contracts if factstore.is_fact(c)])


def _run_ddl(con: duckdb.DuckDBPyConnection, schema_sql: str) -> None:
    con.execute(schema_sql)


UPGRADES = "incident_tables-1"   # part of the schema digest: change it when an upgrade step changes


def _upgrade_incident_tables(con: duckdb.DuckDBPyConnection) -> bool:
    """Bring a warehouse published by an earlier version up to the incident tables of this one; True when
    something had to change.

    * fact_incidents gets source_system (incidents are keyed by system and number); earlier rows get
      the installation's default system (settings.default_itsm_system()).
    * dim_incident_sla was a fixed seed (priority, resolve_hours); it is now the loadable source
      incident_sla. The seeded hours are kept as a version valid from 1900-01-01 in 24x7 hours with no
      batch, so that Q2 does not change until the city loads its own SLA table.
    * the view v_incidents is replaced by the declared model int_incidents (metrics/models/)."""
    columns = dict(con.execute(
        "SELECT table_name, list(column_name) FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND list_contains(['fact_incidents', 'dim_incident_sla', 'v_incidents'], table_name) "
        "GROUP BY table_name").fetchall())   # one catalog query for the three (duckdb_columns lists views too)
    had_view = "v_incidents" in columns
    if had_view:
        con.execute("DROP VIEW IF EXISTS v_incidents")
    fact = columns.get("fact_incidents", [])
    if fact and "source_system" not in fact:
        con.execute("ALTER TABLE fact_incidents ADD COLUMN source_system VARCHAR")
        con.execute("UPDATE fact_incidents SET source_system = ?", [default_itsm_system()])
    sla = columns.get("dim_incident_sla", [])
    if sla and "valid_from" not in sla:
        con.execute("ALTER TABLE dim_incident_sla RENAME TO dim_incident_sla_seed")
        con.execute(contract_ddl(load_contracts()["incident_sla"]))
        con.execute("""INSERT INTO dim_incident_sla (priority, resolve_hours, calendar, valid_from)
                       SELECT priority, resolve_hours, '24x7', DATE '1900-01-01' FROM dim_incident_sla_seed""")
        con.execute("DROP TABLE dim_incident_sla_seed")
    return had_view or (bool(fact) and "source_system" not in fact) or (bool(sla) and "valid_from" not in sla)


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
