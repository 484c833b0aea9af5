"""Queries for the committee and city reports, the ILS export and the alerts (reports/ package).

Like metrics.query: a Warehouse first, raw numbers back; the reports format and translate."""
from __future__ import annotations

import pandas as pd

from metrics import periods as P
from metrics.warehouse import Warehouse

BATCH_COLUMNS = ["batch_id", "source", "file_name", "rows_loaded", "finished_at", "periods_min", "periods_max"]


def source_batches(wh: Warehouse) -> pd.DataFrame:
    """The loaded batches whose data the published figures rest on (status 'loaded'), newest first
    per source. Rejected and unchanged attempts are not sources of a figure."""
    if not wh.has_table("etl_batches"):
        return pd.DataFrame(columns=BATCH_COLUMNS)
    return wh.df(f"""SELECT {', '.join(BATCH_COLUMNS)} FROM etl_batches WHERE status = 'loaded'
                     ORDER BY source, batch_id DESC""")


def trend_table(wh: Warehouse, committee_code: str, grain: str, period: str, n_periods: int) -> pd.DataFrame:
    """[measure_id, period, value, status] for the n periods of the grain ending at `period` (oldest
    first per measure; periods without a value included) — a report's trend column for its own period,
    not the newest one."""
    start = P.previous(period, n_periods - 1)
    return wh.df("""
        WITH ps AS (SELECT period, start_month FROM scorecard_periods
                    WHERE grain = $grain AND start_month BETWEEN $start AND $end)
        SELECT d.measure_id, ps.period, v.value, COALESCE(v.status, 'grey') AS status
        FROM measure_catalog d CROSS JOIN ps
        LEFT JOIN measure_values v ON v.period = ps.period AND v.grain = $grain
             AND v.committee_code = $committee AND v.measure_id = d.measure_id
        ORDER BY d.ord, ps.start_month
    """, {"grain": grain, "start": P.first_month(start), "end": P.first_month(period), "committee": committee_code})


def measure_values(wh: Warehouse, grain: str, period: str) -> pd.DataFrame:
    """Every committee's measure values of one period (committees only, not CITY/PEER rows)."""
    return wh.df("""
        SELECT v.committee_code, v.measure_id, v.value, v.target, v.red_threshold, v.status, v.score,
               v.insufficient_data, v.n_obs, v.value_period, v.carried_forward, d.min_n, d.unit
        FROM measure_values v JOIN dim_committees c USING (committee_code)
        JOIN measure_catalog d USING (measure_id)
        WHERE v.grain = $grain AND v.period = $period
        ORDER BY v.committee_code, d.ord
    """, {"grain": grain, "period": period})
