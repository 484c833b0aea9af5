"""indicator_values: supporting indicators (not scored), summed over each period; no carry-forward."""
from __future__ import annotations

import duckdb
import pandas as pd

from metrics.catalog import Indicator, indicator_rows, months_sql


def write_catalog(con: duckdb.DuckDBPyConnection, indicators: tuple[Indicator, ...]) -> None:
    frame = pd.DataFrame(indicator_rows(indicators),  # noqa: F841 (read by DuckDB's replacement scan)
                         columns=["indicator_id", "base_id", "variant", "order", "name_sv", "name_en", "unit", "scale"])
    con.execute('CREATE OR REPLACE TABLE indicator_catalog AS SELECT * RENAME ("order" AS ord) FROM frame')


def create_raw(con: duckdb.DuckDBPyConnection, usable: list[Indicator], months: dict[str, list[str]] | None = None) -> None:
    """_iv_raw: the indicators' sums per entity and month; of only the months `months[id]` ('YYYY-MM') for an
    indicator named there (catalog.months_sql)."""
    months = months or {}
    parts = ["SELECT NULL::VARCHAR AS indicator_id, NULL::VARCHAR AS committee_code, NULL::DATE AS month, "
             "NULL::DOUBLE AS num, NULL::DOUBLE AS den WHERE false"]
    for ind in usable:
        sql = ind.sql if ind.id not in months else months_sql(ind.sql, ind.month_columns, months[ind.id])
        parts.append(
            f"SELECT CASE WHEN variant IS NULL THEN '{ind.id}' ELSE '{ind.id}_' || upper(CAST(variant AS VARCHAR)) END, "
            f"CAST(committee_code AS VARCHAR), CAST(month AS DATE), CAST(numerator AS DOUBLE), "
            f"CAST(denominator AS DOUBLE) FROM (\n{sql}\n) AS q_{ind.id}"
        )
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _iv_raw AS
        SELECT r.indicator_id, m.entity AS committee_code, r.month, SUM(r.num) AS num, SUM(r.den) AS den
        FROM ({' UNION ALL '.join(parts)}) AS r
        JOIN _mv_members m USING (committee_code)
        WHERE r.month IS NOT NULL
        GROUP BY ALL
    """)


SCOPE = "_iv_scope"  # (base_id, grain, period): the periods recomputed of the indicators built for some months


def create_scope(con: duckdb.DuckDBPyConnection, months: dict[str, list[str]], old_periods: str | None = None
                 ) -> dict[str, list[str]]:
    """_iv_scope: per indicator (base id) of `months`, the periods (every grain) holding one of its changed
    months ('YYYY-MM'), and with `old_periods` (a table of the (grain, period) pairs before the reporting
    horizon moved) every period new since; returns per indicator the months those periods span (the months
    whose sums make their values: an indicator's period value is the sum of its own months, no carry-forward)."""
    pairs = [(base, f"{m}-01") for base, ms in months.items() for m in ms]
    new = "" if old_periods is None else f"""
        UNION
        SELECT b.base_id, p.grain, p.period, p.start_month, p.end_month
        FROM (SELECT unnest($all) AS base_id) b CROSS JOIN scorecard_periods p
        WHERE (p.grain, p.period) NOT IN (SELECT (grain, period) FROM {old_periods})"""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {SCOPE} AS
        SELECT DISTINCT s.base_id, p.grain, p.period, p.start_month, p.end_month
        FROM (SELECT unnest($bases) AS base_id, CAST(unnest($months) AS DATE) AS month) s
        JOIN scorecard_periods p ON s.month BETWEEN p.start_month AND p.end_month{new}
    """, {"bases": [b for b, _ in pairs], "months": [m for _, m in pairs],
          **({} if old_periods is None else {"all": list(months)})})
    spans = dict(con.execute(f"""
        SELECT base_id, list(DISTINCT strftime(m, '%Y-%m') ORDER BY strftime(m, '%Y-%m'))
        FROM (SELECT base_id, unnest(range(start_month, end_month + INTERVAL 1 MONTH, INTERVAL 1 MONTH)) AS m
              FROM {SCOPE})
        GROUP BY base_id""").fetchall())
    return {base: spans.get(base, []) for base in months}


def create_indicator_values(con: duckdb.DuckDBPyConnection, only: list[str] | None = None,
                            scoped: list[str] = ()) -> None:
    """`only`: the base ids of the indicators recomputed (their rows replaced, the rest kept); of those, the
    ones in `scoped` only for their periods in _iv_scope (create_scope)."""
    if only is None:
        con.execute(f"CREATE OR REPLACE TABLE indicator_values AS {INDICATOR_VALUES_SQL.format(where='')}")
        return
    whole = [b for b in only if b not in scoped]
    con.execute("DELETE FROM indicator_values WHERE indicator_id IN "
                "(SELECT indicator_id FROM indicator_catalog WHERE list_contains(?, base_id))", [whole])
    if scoped:
        con.execute(f"DELETE FROM indicator_values WHERE (indicator_id, grain, period) IN "
                    f"(SELECT (c.indicator_id, s.grain, s.period) FROM {SCOPE} s JOIN indicator_catalog c USING (base_id))")
    where = (f"WHERE list_contains($whole, c.base_id) OR (c.base_id, p.grain, p.period) IN "
             f"(SELECT (base_id, grain, period) FROM {SCOPE})") if scoped else ""
    con.execute(f"INSERT INTO indicator_values BY NAME {INDICATOR_VALUES_SQL.format(where=where)}",
                {"whole": whole} if scoped else None)


# A NULL denominator means the indicator is a plain sum (volumes, costs).
INDICATOR_VALUES_SQL = """
        SELECT r.committee_code, p.grain, p.period, r.indicator_id,
               SUM(r.num) AS numerator, SUM(r.den) AS denominator,
               CASE WHEN count(r.den) = 0 THEN c.scale * SUM(r.num)
                    WHEN SUM(r.den) > 0 THEN c.scale * SUM(r.num) / SUM(r.den) END AS value,
               c.unit
        FROM _iv_raw r
        JOIN indicator_catalog c USING (indicator_id)
        JOIN _period_months p ON p.month = r.month AND p.accumulate = 'none'
        {where}
        GROUP BY r.committee_code, p.grain, p.period, r.indicator_id, c.scale, c.unit
        ORDER BY p.grain, p.period, r.committee_code, r.indicator_id
"""


def build(con: duckdb.DuckDBPyConnection, indicators: tuple[Indicator, ...], usable: list[Indicator],
          tables: set[str], only: list[str] | None = None, months: dict[str, list[str]] | None = None,
          old_periods: str | None = None) -> dict:
    """`only`: rebuild just these indicators (base ids; `usable` holds just those), keeping the catalogue;
    `months`: of those, the ones to rebuild only for the periods holding these months ('YYYY-MM': the months
    their rows can have changed in) and, when the horizon moved (`old_periods`: create_scope), the new periods.
    Returns per indicator built for some months the months read."""
    if only is None:
        write_catalog(con, indicators)
    spans = create_scope(con, months, old_periods) if months else {}
    create_raw(con, usable, spans)
    create_indicator_values(con, only, scoped=list(spans))
    for name in ("_iv_raw", SCOPE):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    return spans
