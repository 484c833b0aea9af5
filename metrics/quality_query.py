"""Data-quality queries for the app (docs/query_api.md, "Data quality").

Read-only SQL against the ETL bookkeeping tables (etl_batches, etl_quarantine) and the fact
tables' period columns. All functions take the Warehouse first and return DataFrames."""
from __future__ import annotations

import pandas as pd

BATCH_COLS = ["source", "batch_id", "file_name", "status", "rows_read", "rows_loaded", "rows_quarantined",
              "rows_replaced", "finished_at", "message"]
QUARANTINE_COLS = ["batch_id", "source", "file_name", "source_row", "column_name", "rule", "reason", "raw_values"]
UNATTRIBUTED_COLS = ["source_system", "period", "location", "assignment_group", "cmdb_ci", "incidents",
                     "resolved", "first_batch_id", "last_batch_id"]
FRESHNESS_COLS = ["source", "committee_code", "latest_period", "expected_period", "months_behind", "gap",
                  "first_period", "missing_months"]

# source → SELECT giving (committee_code, month DATE) per fact row; committee attribution
# follows the same dimensions the measures use (system/e-service owner, incident mapping).
_FRESHNESS_SQL = {
    "eservice_transactions": ("fact_eservice_transactions", "dim_eservices",
        "SELECT e.owner_committee AS committee_code, f.month FROM wh.fact_eservice_transactions f "
        "JOIN wh.dim_eservices e USING (eservice_id)"),
    "system_usage": ("fact_system_usage", "dim_systems",
        "SELECT s.owner_committee AS committee_code, f.month FROM wh.fact_system_usage f "
        "JOIN wh.dim_systems s USING (system_id)"),
    "outages": ("fact_outages", "dim_systems",
        "SELECT s.owner_committee AS committee_code, date_trunc('month', f.started_at)::DATE AS month "
        "FROM wh.fact_outages f JOIN wh.dim_systems s USING (system_id)"),
    # incidents: the one attribution rule, in the declared model int_incidents (metrics/models/)
    "incidents": ("int_incidents", None,
        "SELECT committee_code, date_trunc('month', opened_at)::DATE AS month FROM wh.int_incidents"),
    "licences": ("fact_licences", None, "SELECT committee_code, month FROM wh.fact_licences"),
    "it_costs": ("fact_it_costs", None, "SELECT committee_code, month FROM wh.fact_it_costs"),
    "operating_costs": ("fact_operating_costs", None, "SELECT committee_code, month FROM wh.fact_operating_costs"),
    "it_users": ("fact_it_users", None, "SELECT committee_code, month FROM wh.fact_it_users"),
    "survey_responses": ("fact_survey_responses", None,
        "SELECT committee_code, date_trunc('month', response_date)::DATE AS month FROM wh.fact_survey_responses"),
}


def _tables(wh) -> set[str]:
    # tables and views: fact tables in the Parquet fact store are views of the catalog (docs/storage.md)
    df = wh.df("SELECT table_name FROM information_schema.tables WHERE table_catalog = 'wh'")
    return set(df["table_name"])


def latest_batches(wh) -> pd.DataFrame:
    """Latest batch per source (by batch_id), whatever its status."""
    if "etl_batches" not in _tables(wh):
        return pd.DataFrame(columns=BATCH_COLS)
    return wh.df(
        "SELECT " + ", ".join(BATCH_COLS) + " FROM wh.etl_batches "
        "QUALIFY row_number() OVER (PARTITION BY source ORDER BY batch_id DESC) = 1 ORDER BY source"
    )


def batch_history(wh, limit: int = 200) -> pd.DataFrame:
    if "etl_batches" not in _tables(wh):
        return pd.DataFrame(columns=BATCH_COLS)
    return wh.df("SELECT * FROM wh.etl_batches ORDER BY batch_id DESC LIMIT ?", [int(limit)])


def quarantine(wh, batch_id: int | None = None) -> pd.DataFrame:
    if "etl_quarantine" not in _tables(wh):
        return pd.DataFrame(columns=QUARANTINE_COLS)
    sql = "SELECT " + ", ".join(QUARANTINE_COLS[:-1]) + ", CAST(raw_values AS VARCHAR) AS raw_values FROM wh.etl_quarantine"
    params: list = []
    if batch_id is not None:
        sql += " WHERE batch_id = ?"
        params.append(int(batch_id))
    sql += " ORDER BY batch_id DESC, source, source_row"
    return wh.df(sql, params)


def freshness(wh) -> pd.DataFrame:
    """Latest month loaded per source and committee.

    expected_period = the latest month of that source over all committees; months_behind =
    months from latest_period to expected_period; missing_months = months without rows between
    the committee's first and latest month; gap = months_behind > 0 or missing_months > 0.
    Periods are 'YYYY-MM'."""
    tables = _tables(wh)
    parts = []
    for source, (fact, dim, select) in _FRESHNESS_SQL.items():
        if fact not in tables or (dim and dim not in tables):
            continue
        parts.append(f"SELECT '{source}' AS source, committee_code, month FROM ({select}) WHERE committee_code IS NOT NULL")
    if not parts:
        return pd.DataFrame(columns=FRESHNESS_COLS)
    sql = f"""
    WITH r AS ({' UNION ALL '.join(parts)}),
    per AS (
        SELECT source, committee_code, min(month) AS first_m, max(month) AS last_m,
               count(DISTINCT month) AS n_months
        FROM r GROUP BY source, committee_code
    ),
    src AS (SELECT source, max(last_m) AS expected_m FROM per GROUP BY source)
    SELECT per.source, per.committee_code,
           strftime(per.last_m, '%Y-%m') AS latest_period,
           strftime(src.expected_m, '%Y-%m') AS expected_period,
           CAST(date_diff('month', per.last_m, src.expected_m) AS BIGINT) AS months_behind,
           strftime(per.first_m, '%Y-%m') AS first_period,
           CAST(date_diff('month', per.first_m, per.last_m) + 1 - per.n_months AS BIGINT) AS missing_months
    FROM per JOIN src USING (source)
    ORDER BY months_behind DESC, missing_months DESC, per.source, per.committee_code
    """
    df = wh.df(sql)
    df["gap"] = (df["months_behind"] > 0) | (df["missing_months"] > 0)
    return df[FRESHNESS_COLS]


def unattributed_incidents(wh, batch_ids: list[int] | None = None, by_month: bool = True) -> pd.DataFrame:
    """Incidents that the attribution rule (metrics/models/int_incidents.sql: location, then
    assignment group, then the owner of cmdb_ci) gives no committee, per source system, month opened
    (`period`, 'YYYY-MM'; with by_month=False first_period..last_period instead) and the values they
    carry: the values to add to the incident mapping. location, assignment_group and cmdb_ci are None
    where the export had none ('?'). `incidents` counts them, `resolved` how many of those are
    resolved (they count in the city's value of Q2 but in no committee's). Optionally only those
    loaded by the given batches. Most incidents first."""
    if "int_incidents" not in _tables(wh):
        cols = UNATTRIBUTED_COLS if by_month else [c for c in UNATTRIBUTED_COLS if c != "period"] + [
            "first_period", "last_period"]
        return pd.DataFrame(columns=cols)
    where, params = "WHERE committee_code IS NULL", []
    if batch_ids is not None:
        where += " AND list_contains(?, batch_id)"
        params.append([int(b) for b in batch_ids])
    period = ("strftime(opened_at, '%Y-%m') AS period," if by_month else
              "strftime(min(opened_at), '%Y-%m') AS first_period, strftime(max(opened_at), '%Y-%m') AS last_period,")
    group = "source_system, period, location, assignment_group, cmdb_ci" if by_month else \
        "source_system, location, assignment_group, cmdb_ci"
    return wh.df(f"""
        SELECT source_system, {period} location, assignment_group, cmdb_ci,
               count(*) AS incidents, count(resolved_at) AS resolved,
               min(batch_id) AS first_batch_id, max(batch_id) AS last_batch_id
        FROM wh.int_incidents {where}
        GROUP BY {group}
        ORDER BY incidents DESC, {group.replace('location', 'location NULLS FIRST').replace(
            'assignment_group', 'assignment_group NULLS FIRST').replace('cmdb_ci', 'cmdb_ci NULLS FIRST')}""",
        params)


def unattributed_in_batch(con, batch_id: int) -> pd.DataFrame:
    """The same for one batch, on an open warehouse connection (the load's staging copy), straight
    from the model's SQL so that it works before the models are built:
    df[source_system, location, assignment_group, cmdb_ci, incidents, resolved]."""
    from metrics.models import load_models

    model = next(m for m in load_models() if m.decl.name == "int_incidents")
    return con.execute(f"""
        SELECT source_system, location, assignment_group, cmdb_ci,
               count(*) AS incidents, count(resolved_at) AS resolved
        FROM ({model.sql}) AS m
        WHERE committee_code IS NULL AND batch_id = ?
        GROUP BY ALL
        ORDER BY incidents DESC, source_system, location NULLS FIRST, assignment_group NULLS FIRST,
                 cmdb_ci NULLS FIRST""", [int(batch_id)]).df()


def describe_unattributed(row) -> str:
    """'6 incidents: location '?', assignment group 'Servicedesk'' (plain words for the load output)."""
    def shown(v):
        return "'?'" if v is None or v != v else f"'{v}'"
    n = int(row["incidents"])
    return (f"{n} incident{'s' if n != 1 else ''} of {row['source_system']}: location {shown(row['location'])}, "
            f"assignment group {shown(row['assignment_group'])}, cmdb_ci {shown(row['cmdb_ci'])}")
