"""indicator_values: supporting indicators (not scored), summed over each period; no carry-forward."""
from __future__ import annotations

import duckdb
import pandas as pd

from metrics.catalog import Indicator, indicator_rows


def write_catalog(con: duckdb.DuckDBPyConnection, indicators: tuple[Indicator, ...]) -> None:
    frame = pd.DataFrame(indicator_rows(indicators),  # noqa: F841 (read by DuckDB's replacement scan)
                         columns=["indicator_id", "base_id", "variant", "order", "name_sv", "name_en", "unit", "scale"])
    con.execute('CREATE OR REPLACE TABLE indicator_catalog AS SELECT * RENAME ("order" AS ord) FROM frame')


def create_raw(con: duckdb.DuckDBPyConnection, usable: list[Indicator]) -> None:
    parts = ["SELECT NULL::VARCHAR AS indicator_id, NULL::VARCHAR AS committee_code, NULL::DATE AS month, "
             "NULL::DOUBLE AS num, NULL::DOUBLE AS den WHERE false"]
    for ind in usable:
        parts.append(
            f"SELECT CASE WHEN variant IS NULL THEN '{ind.id}' ELSE '{ind.id}_' || upper(CAST(variant AS VARCHAR)) END, "
            f"CAST(committee_code AS VARCHAR), CAST(month AS DATE), CAST(numerator AS DOUBLE), "
            f"CAST(denominator AS DOUBLE) FROM (\n{ind.sql}\n) AS q_{ind.id}"
        )
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _iv_raw AS
        SELECT r.indicator_id, m.entity AS committee_code, r.month, SUM(r.num) AS num, SUM(r.den) AS den
        FROM ({' UNION ALL '.join(parts)}) AS r
        JOIN _mv_members m USING (committee_code)
        WHERE r.month IS NOT NULL
        GROUP BY ALL
    """)


def create_indicator_values(con: duckdb.DuckDBPyConnection, only: list[str] | None = None) -> None:
    """`only`: the base ids of the indicators recomputed (their rows replaced, the rest kept)."""
    if only is None:
        con.execute(f"CREATE OR REPLACE TABLE indicator_values AS {INDICATOR_VALUES_SQL}")
        return
    con.execute("DELETE FROM indicator_values WHERE indicator_id IN "
                "(SELECT indicator_id FROM indicator_catalog WHERE list_contains(?, base_id))", [only])
    con.execute(f"INSERT INTO indicator_values BY NAME {INDICATOR_VALUES_SQL}")


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
        GROUP BY r.committee_code, p.grain, p.period, r.indicator_id, c.scale, c.unit
        ORDER BY p.grain, p.period, r.committee_code, r.indicator_id
"""


def build(con: duckdb.DuckDBPyConnection, indicators: tuple[Indicator, ...], usable: list[Indicator],
          tables: set[str], only: list[str] | None = None) -> None:
    """`only`: rebuild just these indicators (base ids; `usable` holds just those), keeping the catalogue."""
    if only is None:
        write_catalog(con, indicators)
    create_raw(con, usable)
    create_indicator_values(con, only)
    con.execute("DROP TABLE IF EXISTS _iv_raw")
