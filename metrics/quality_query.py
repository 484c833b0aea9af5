"""Data-quality queries for the app (docs/query_api.md, "Data quality").

Read-only SQL against the ETL bookkeeping tables (etl_batches, etl_quarantine) and the fact
tables' period columns. All functions take the Warehouse first and return DataFrames."""
from __future__ import annotations

import pandas as pd

BATCH_COLS = ["source", "batch_id", "file_name", "status", "rows_read", "rows_loaded", "rows_quarantined",
              "rows_replaced", "finished_at", "message"]
QUARANTINE_COLS = ["batch_id", "source", "file_name", "source_row", "column_name", "rule", "reason", "raw_values"]
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
    "incidents": ("fact_incidents", "map_incident_committee",
        "SELECT coalesce(s.owner_committee, ml.committee_code, mg.committee_code) AS committee_code, "
        "date_trunc('month', f.opened_at)::DATE AS month FROM wh.fact_incidents f "
        "LEFT JOIN wh.dim_systems s ON s.system_id = f.cmdb_ci "
        "LEFT JOIN wh.map_incident_committee ml ON ml.match_field = 'location' AND ml.match_value = f.location "
        "LEFT JOIN wh.map_incident_committee mg ON mg.match_field = 'assignment_group' AND mg.match_value = f.assignment_group"),
    "licences": ("fact_licences", None, "SELECT committee_code, month FROM wh.fact_licences"),
    "it_costs": ("fact_it_costs", None, "SELECT committee_code, month FROM wh.fact_it_costs"),
    "operating_costs": ("fact_operating_costs", None, "SELECT committee_code, month FROM wh.fact_operating_costs"),
    "it_users": ("fact_it_users", None, "SELECT committee_code, month FROM wh.fact_it_users"),
    "survey_responses": ("fact_survey_responses", None,
        "SELECT committee_code, date_trunc('month', response_date)::DATE AS month FROM wh.fact_survey_responses"),
}


def _tables(wh) -> set[str]:
    df = wh.df("SELECT table_name FROM duckdb_tables() WHERE database_name = 'wh'")
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
