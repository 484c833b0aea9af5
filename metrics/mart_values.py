"""measure_values: every committee (plus CITY and PEER:<group>) × measure × grain × period.

Pipeline (all temp tables, set-based):
  _mv_raw      the declarations' SQL: measure, committee, month, numerator, denominator, n_obs
  _mv_raw_ent  the same summed per entity (committee itself, CITY, PEER:<group>) → ratio of sums
  _period_months  which months feed each period under each accumulation (own months, year to date, to date)
  _mv_pv       sums over every period the measure is computed for (its own grain or coarser),
               via _period_months; only periods with a denominator > 0
  measure_values  each chosen period takes the latest value at the measure's grain ending at or
               before the period's end (ASOF join), at most carry_forward_months old; then targets,
               overrides, status, score, peer median, peer and city value.

_mv_raw is kept in the warehouse as measure_month_sums: the incremental build (metrics.build) compares
a changed measure's new month sums with it and recomputes only the (measure, grain, period) cells listed
in a table passed as `only` (create_measure_values), every entity of each.
"""
from __future__ import annotations

import duckdb
import pandas as pd

from metrics import scoring
from metrics.catalog import UNATTRIBUTED, Measure, months_sql
from periods import GRAINS, MONTHS_PER, RANK, label_sql, start_sql

CATALOG_COLUMNS = [
    "measure_id", "ord", "perspective", "name_sv", "name_en", "description_sv", "description_en",
    "formula_sv", "formula_en", "unit", "direction", "target", "red_threshold", "band_low", "band_high",
    "objective_subjective", "source_sv", "source_en", "frequency", "frequency_note_sv", "frequency_note_en",
    "production_cost", "min_n", "grain", "grain_rank", "accumulate", "scale", "cap", "weight",
    "carry_forward_months",
]


def catalog_frame(measures: tuple[Measure, ...]) -> pd.DataFrame:
    rows = []
    for i, m in enumerate(measures):
        row = {c: getattr(m, c, None) for c in CATALOG_COLUMNS}
        row.update(measure_id=m.id, ord=i + 1, grain_rank=RANK[m.grain])
        rows.append(row)
    frame = pd.DataFrame(rows, columns=CATALOG_COLUMNS)
    for col in ("target", "red_threshold", "band_low", "band_high", "scale", "cap", "weight"):
        frame[col] = frame[col].astype("float64")
    return frame


def write_catalog(con: duckdb.DuckDBPyConnection, measures: tuple[Measure, ...]) -> None:
    frame = catalog_frame(measures)  # noqa: F841 (read by DuckDB's replacement scan)
    con.execute("CREATE OR REPLACE TABLE measure_catalog AS SELECT * FROM frame")


def create_raw(con: duckdb.DuckDBPyConnection, usable: list[Measure], months: dict[str, list[str]] | None = None) -> None:
    """_mv_raw: the month sums of the `usable` measures; of only the months `months[id]` ('YYYY-MM') for a
    measure named there (catalog.months_sql: its models narrowed to those months in the scan)."""
    months = months or {}
    parts = ["SELECT NULL::VARCHAR AS measure_id, NULL::VARCHAR AS committee_code, NULL::DATE AS month, "
             "NULL::DOUBLE AS num, NULL::DOUBLE AS den, NULL::DOUBLE AS n_obs WHERE false"]
    for m in usable:
        sql = m.sql if m.id not in months else months_sql(m.sql, m.month_columns, months[m.id])
        parts.append(
            f"SELECT '{m.id}', CAST(committee_code AS VARCHAR), CAST(month AS DATE), CAST(numerator AS DOUBLE), "
            f"CAST(denominator AS DOUBLE), CAST(n_obs AS DOUBLE) FROM (\n{sql}\n) AS q_{m.id}"
        )
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _mv_raw AS
        SELECT measure_id, committee_code, month, SUM(num) AS num, SUM(den) AS den, SUM(n_obs) AS n_obs
        FROM ({' UNION ALL '.join(parts)}) AS u
        WHERE committee_code IS NOT NULL AND month IS NOT NULL
        GROUP BY ALL
    """)


def create_members(con: duckdb.DuckDBPyConnection, tables: set[str]) -> None:
    """Which entity rows each committee's numbers add up into: itself, CITY and its peer group.
    Records a measure reports under UNATTRIBUTED add up into CITY only (where the measure allows it,
    e.g. Q2: an incident of the city that no mapping attributes is still one of the city's)."""
    if "dim_committees" in tables:
        source = "SELECT committee_code, peer_group FROM dim_committees"
    else:
        source = "SELECT NULL::VARCHAR AS committee_code, NULL::VARCHAR AS peer_group WHERE false"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _mv_members AS
        WITH c AS ({source})
        SELECT committee_code, committee_code AS entity, peer_group FROM c
        UNION ALL SELECT committee_code, 'CITY', NULL FROM c
        UNION ALL SELECT committee_code, 'PEER:' || peer_group, NULL FROM c
        UNION ALL SELECT '{UNATTRIBUTED}', 'CITY', NULL
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _mv_raw_ent AS
        SELECT r.measure_id, m.entity, r.month, SUM(r.num) AS num, SUM(r.den) AS den, SUM(r.n_obs) AS n_obs
        FROM _mv_raw r JOIN _mv_members m USING (committee_code)
        GROUP BY ALL
    """)


def periods_sql(first: str, last: str) -> str:
    """Every period of every grain overlapping the months first..last, with its first and last month."""
    selects = []
    for grain in GRAINS:
        start = start_sql(grain, "m")
        selects.append(f"""
            SELECT DISTINCT '{grain}' AS grain, {label_sql(grain, 'm')} AS period, {start} AS start_month,
                   CAST({start} + INTERVAL {MONTHS_PER[grain] - 1} MONTH AS DATE) AS end_month, {RANK[grain]} AS grain_rank
            FROM months""")
    return f"""
        WITH months AS (
            SELECT CAST(unnest(range({first}, {last} + INTERVAL 1 MONTH, INTERVAL 1 MONTH)) AS DATE) AS m
        )
        {' UNION ALL '.join(selects)}"""


RAW_TABLE = "measure_month_sums"  # _mv_raw kept in the warehouse: the incremental build diffs against it


def kept_raw_sql(measure_ids: str, scope: str) -> str:
    """The kept month sums (measure_month_sums) of the measures in the list parameter `measure_ids` (every month)
    and of the (measure_id, month) pairs in the table `scope`: what a partial create_raw recomputed."""
    return (f"SELECT * FROM {RAW_TABLE} WHERE list_contains({measure_ids}, measure_id) UNION ALL "
            f"SELECT r.* FROM {RAW_TABLE} r SEMI JOIN {scope} s USING (measure_id, month)")


def persist_raw(con: duckdb.DuckDBPyConnection, measure_ids: list[str] | None = None, scope: str | None = None) -> None:
    """Keep _mv_raw as measure_month_sums (every measure; or replace just `measure_ids`' rows and those of the
    (measure_id, month) pairs in the table `scope`, which _mv_raw then holds)."""
    if measure_ids is None:
        con.execute(f"CREATE OR REPLACE TABLE {RAW_TABLE} AS SELECT * FROM _mv_raw ORDER BY measure_id, committee_code, month")
        return
    con.execute(f"DELETE FROM {RAW_TABLE} WHERE list_contains(?, measure_id)", [measure_ids])
    if scope is not None:
        con.execute(f"DELETE FROM {RAW_TABLE} WHERE (measure_id, month) IN (SELECT (measure_id, month) FROM {scope})")
        con.execute(f"INSERT INTO {RAW_TABLE} SELECT r.* FROM _mv_raw r SEMI JOIN {scope} s USING (measure_id, month) "
                    "ORDER BY measure_id, committee_code, month")
    con.execute(f"INSERT INTO {RAW_TABLE} SELECT * FROM _mv_raw WHERE list_contains(?, measure_id) "
                "ORDER BY measure_id, committee_code, month", [measure_ids])


def horizon(con: duckdb.DuckDBPyConnection, raw: str = "_mv_raw"):
    """(first, last) month of the reporting horizon from the month sums in `raw` (None, None when empty)."""
    first, last = con.execute(f"""
        WITH actual AS (
            SELECT r.month, d.grain = 'month' AND d.accumulate <> 'to_date' AS monthly_actual
            FROM {raw} r JOIN measure_catalog d USING (measure_id)
        )
        SELECT COALESCE(min(month) FILTER (WHERE monthly_actual), min(month)),
               COALESCE(max(month) FILTER (WHERE monthly_actual),
                        least(max(month), CAST(date_trunc('month', current_date) AS DATE)))
        FROM actual
    """).fetchone()
    if first is None or last is None:
        return None, None
    return min(first, last), last


def create_periods(con: duckdb.DuckDBPyConnection, raw: str = "_mv_raw") -> None:
    """scorecard_periods: the reporting horizon is the span of the monthly measures that report actuals, so
    that neither a benefit plan due in 2030 nor benefit records from long before follow-up began stretch
    it (cumulative measures still sum their earlier months: see create_period_months)."""
    first, last = horizon(con, raw)
    if first is None or last is None:
        con.execute("""CREATE OR REPLACE TABLE scorecard_periods (grain VARCHAR, period VARCHAR, start_month DATE,
                       end_month DATE, grain_rank INTEGER, complete BOOLEAN, last_data_month DATE)""")
        return
    con.execute(f"""
        CREATE OR REPLACE TABLE scorecard_periods AS
        SELECT *, end_month <= DATE '{last}' AS complete, DATE '{last}' AS last_data_month
        FROM ({periods_sql(f"DATE '{first}'", f"DATE '{last}'")}) AS p
        ORDER BY grain_rank, grain, start_month
    """)


def create_period_months(con: duckdb.DuckDBPyConnection) -> None:
    """_period_months: for every period and accumulation mode, the months whose sums make its value
    (its own months; January to its end; everything up to its end). Lets the sums use equality joins."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _period_months AS
        WITH first AS (SELECT least(min(month), (SELECT min(start_month) FROM scorecard_periods)) AS first_month
                       FROM _mv_raw),
        modes AS (SELECT * FROM (VALUES ('none'), ('year_to_date'), ('to_date')) AS t(accumulate))
        SELECT p.grain, p.period, p.start_month, p.end_month, p.grain_rank, a.accumulate,
               CAST(unnest(range(CASE a.accumulate WHEN 'none' THEN p.start_month
                                                   WHEN 'year_to_date' THEN CAST(date_trunc('year', p.end_month) AS DATE)
                                                   ELSE first.first_month END,
                                 p.end_month + INTERVAL 1 MONTH, INTERVAL 1 MONTH)) AS DATE) AS month
        FROM scorecard_periods p CROSS JOIN modes a CROSS JOIN first
    """)


def create_period_values(con: duckdb.DuckDBPyConnection) -> None:
    create_period_months(con)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _mv_pv AS
        SELECT r.measure_id, r.entity, pm.grain, pm.period, pm.start_month, pm.end_month,
               SUM(r.num) AS num, SUM(r.den) AS den, SUM(r.n_obs) AS n_obs
        FROM _mv_raw_ent r
        JOIN measure_catalog d USING (measure_id)
        JOIN _period_months pm ON pm.month = r.month AND pm.accumulate = d.accumulate
        WHERE pm.grain_rank >= d.grain_rank
        GROUP BY ALL
        HAVING SUM(r.den) > 0
    """)


def targets_source(tables: set[str]) -> str:
    """Per committee, year and measure the most recent target: from the loaded file (`targets`, contract
    target_overrides) or from the follow-up store (`store_targets`, copied in by every publish); on equal
    changed_at the store's change wins."""
    parts = []
    if "targets" in tables:
        parts.append("SELECT committee_code, year, measure_id, target, red_threshold, changed_at, 0 AS src FROM targets")
    if "store_targets" in tables:
        parts.append("SELECT committee_code, year, measure_id, target, red_threshold, changed_at, 1 AS src "
                     "FROM store_targets")
    if parts:
        return (f"SELECT committee_code, year, measure_id, target, red_threshold FROM ({' UNION ALL '.join(parts)}) "
                "QUALIFY row_number() OVER (PARTITION BY committee_code, year, measure_id "
                "ORDER BY changed_at DESC NULLS LAST, src DESC) = 1")
    return ("SELECT NULL::VARCHAR AS committee_code, NULL::INTEGER AS year, NULL::VARCHAR AS measure_id, "
            "NULL::DOUBLE AS target, NULL::DOUBLE AS red_threshold WHERE false")


def create_measure_values(con: duckdb.DuckDBPyConnection, tables: set[str], only: str | None = None) -> int:
    """measure_values from _mv_pv. `only`: a table of (measure_id, grain, period) to recompute (every
    entity of each, so peer and city values stay whole); their rows are replaced, the rest kept.
    Returns the number of rows written."""
    create_scored(con, tables, only)
    if only is None:
        con.execute(f"CREATE OR REPLACE TABLE measure_values AS {MEASURE_VALUES_SQL}")
        return con.execute("SELECT count(*) FROM measure_values").fetchone()[0]
    con.execute(f"DELETE FROM measure_values WHERE (measure_id, grain, period) IN "
                f"(SELECT (measure_id, grain, period) FROM {only})")
    return con.execute(f"INSERT INTO measure_values BY NAME {MEASURE_VALUES_SQL}").fetchone()[0]


# Aggregates joined back (not window functions): several times faster on ~10^5 rows.
MEASURE_VALUES_SQL = """
        WITH peer_median AS (
            SELECT measure_id, grain, period, peer_group, median(value) AS peer_median
            FROM _mv_scored WHERE status <> 'grey' AND peer_group IS NOT NULL
            GROUP BY ALL
        ), peer_value AS (
            SELECT measure_id, grain, period, substr(committee_code, 6) AS peer_group, value AS peer_value
            FROM _mv_scored WHERE committee_code LIKE 'PEER:%'
        ), city_value AS (
            SELECT measure_id, grain, period, value AS city_value FROM _mv_scored WHERE committee_code = 'CITY'
        )
        SELECT s.committee_code, s.grain, s.period, s.measure_id, s.perspective, s.value, s.value_period,
               s.numerator, s.denominator, s.n_obs, s.target, s.red_threshold, s.band_low, s.band_high,
               s.status, s.score, s.insufficient_data, s.carried_forward, s.target_overridden,
               pm.peer_median, pv.peer_value, cv.city_value, s.peer_group, s.period_start, s.period_end
        FROM _mv_scored s
        LEFT JOIN peer_median pm USING (measure_id, grain, period, peer_group)
        LEFT JOIN peer_value pv USING (measure_id, grain, period, peer_group)
        LEFT JOIN city_value cv USING (measure_id, grain, period)
        ORDER BY s.grain, s.period, s.committee_code
"""


def create_scored(con: duckdb.DuckDBPyConnection, tables: set[str], only: str | None = None) -> None:
    restrict = "" if only is None else (
        f"WHERE (d.measure_id, p.grain, p.period) IN (SELECT (measure_id, grain, period) FROM {only})")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _mv_scored AS
        WITH entities AS (
            SELECT DISTINCT entity AS committee_code, peer_group FROM _mv_members
        ), grid AS (
            SELECT e.committee_code, e.peer_group, d.measure_id, d.perspective, p.grain, p.period,
                   p.start_month, p.end_month,
                   CASE WHEN p.grain_rank >= d.grain_rank THEN p.grain ELSE d.grain END AS value_grain
            FROM entities e CROSS JOIN measure_catalog d CROSS JOIN scorecard_periods p
            {restrict}
        ), found AS (
            SELECT g.*, v.period AS value_period, v.end_month AS value_end, v.num, v.den, v.n_obs
            FROM grid g ASOF LEFT JOIN _mv_pv v
              ON g.measure_id = v.measure_id AND g.committee_code = v.entity
             AND g.value_grain = v.grain AND g.end_month >= v.end_month
        ), valued AS (
            SELECT f.committee_code, f.peer_group, f.measure_id, f.perspective, f.grain, f.period,
                   f.start_month AS period_start, f.end_month AS period_end, f.value_period, f.num, f.den, f.n_obs,
                   f.value_end IS NOT NULL
                       AND date_diff('month', f.value_end, f.end_month) <= d.carry_forward_months AS usable,
                   f.value_end < f.start_month AS earlier,
                   d.direction, d.min_n, d.band_low, d.band_high, d.cap, d.scale,
                   CASE WHEN d.direction = 'band' THEN NULL ELSE COALESCE(t.target, d.target) END AS target,
                   CASE WHEN d.direction = 'band' THEN NULL ELSE COALESCE(t.red_threshold, d.red_threshold) END AS red_threshold,
                   d.direction <> 'band' AND t.target IS NOT NULL AS target_overridden
            FROM found f JOIN measure_catalog d USING (measure_id)
            LEFT JOIN ({targets_source(tables)}) t
              ON t.committee_code = f.committee_code AND t.year = year(f.end_month) AND t.measure_id = f.measure_id
        ), kept AS (
            SELECT committee_code, peer_group, measure_id, perspective, grain, period, period_start, period_end,
                   CASE WHEN usable THEN value_period END AS value_period,
                   CASE WHEN usable THEN round(LEAST(COALESCE(cap, 'Infinity'::DOUBLE), scale * num / den), 9) END AS value,
                   CASE WHEN usable THEN num END AS numerator,
                   CASE WHEN usable THEN den END AS denominator,
                   CASE WHEN usable THEN n_obs END AS n_obs,
                   COALESCE(usable AND earlier, false) AS carried_forward,
                   direction, min_n, band_low, band_high, target, red_threshold, target_overridden
            FROM valued
        )
        SELECT *, {scoring.STATUS_SQL} AS status, {scoring.SCORE_SQL} AS score,
               COALESCE(value IS NOT NULL AND n_obs < min_n, false) AS insufficient_data
        FROM kept
    """)


def build(con: duckdb.DuckDBPyConnection, measures: tuple[Measure, ...], usable: list[Measure],
          tables: set[str]) -> None:
    write_catalog(con, measures)
    create_raw(con, usable)
    persist_raw(con)
    create_members(con, tables)
    create_periods(con)
    create_period_values(con)
    create_measure_values(con, tables)
    for name in ("_mv_raw", "_mv_raw_ent", "_mv_pv", "_mv_scored"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
