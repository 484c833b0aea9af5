"""Scorecard query layer: what the pages call (contract: docs/query_api.md).

Every function takes a Warehouse first and returns raw numbers in pandas DataFrames; formatting and
translation belong to ui/. SQL stays here, never in pages.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

import periods as P
from metrics.catalog import PERSPECTIVE_CODES, PERSPECTIVES, UNATTRIBUTED, measure as declared_measure
from metrics.warehouse import Warehouse

CATALOG_COLUMNS = [
    "measure_id", "perspective", "name_sv", "name_en", "description_sv", "description_en", "formula_sv",
    "formula_en", "unit", "direction", "target", "red_threshold", "band_low", "band_high",
    "objective_subjective", "source_sv", "source_en", "frequency", "production_cost", "min_n",
    "frequency_note_sv", "frequency_note_en", "accumulate",
]
SCORECARD_COLUMNS = [
    "measure_id", "perspective", "name_sv", "name_en", "unit", "direction", "value", "value_period",
    "numerator", "denominator", "n_obs", "target", "red_threshold", "status", "score", "insufficient_data",
    "carried_forward", "target_overridden", "peer_median", "peer_value", "city_value",
    "band_low", "band_high", "min_n",
]


def _check_grain(grain: str) -> None:
    if grain not in P.GRAINS:
        raise ValueError(f"grain must be one of {P.GRAINS}, not {grain!r}")


def committees(wh: Warehouse) -> pd.DataFrame:
    return wh.df("""SELECT committee_code, name_sv, name_en, kind, peer_group FROM dim_committees
                    ORDER BY CASE kind WHEN 'district_council' THEN 1 WHEN 'specialist_committee' THEN 2 ELSE 3 END,
                             name_sv""")


def perspectives() -> list[dict]:
    return [dict(p) for p in PERSPECTIVES]


def measure_catalog(wh: Warehouse) -> pd.DataFrame:
    cols = ", ".join(CATALOG_COLUMNS)
    return wh.df(f"SELECT {cols} FROM measure_catalog ORDER BY ord")


def periods(wh: Warehouse, grain: str) -> list[str]:
    _check_grain(grain)
    rows = wh.df("SELECT period FROM scorecard_periods WHERE grain = ? ORDER BY start_month DESC", [grain])
    return rows["period"].tolist()


def latest_complete_period(wh: Warehouse, grain: str) -> str:
    """The newest period whose every month has data; '' when the warehouse has no data."""
    _check_grain(grain)
    rows = wh.df("""SELECT period FROM scorecard_periods WHERE grain = ? AND complete
                    ORDER BY start_month DESC LIMIT 1""", [grain])
    if rows.empty:
        newest = periods(wh, grain)
        return newest[0] if newest else ""
    return rows["period"].iloc[0]


def city_overview(wh: Warehouse, grain: str, period: str, peer_group: str | None = None) -> pd.DataFrame:
    _check_grain(grain)
    pivots = ",\n".join(
        f"max(ps.score) FILTER (WHERE ps.perspective = '{p}') AS score_{p}, "
        f"COALESCE(max(ps.status) FILTER (WHERE ps.perspective = '{p}'), 'grey') AS status_{p}, "
        f"COALESCE(bool_or(ps.red_flag) FILTER (WHERE ps.perspective = '{p}'), false) AS red_flag_{p}"
        for p in PERSPECTIVE_CODES
    )
    return wh.df(f"""
        SELECT c.committee_code, c.name_sv, c.name_en, c.peer_group,
               {pivots},
               max(o.score) AS overall_score, COALESCE(max(o.status), 'grey') AS overall_status,
               COALESCE(max(o.n_red_measures), 0) AS n_red_measures,
               COALESCE(max(o.n_grey_measures), (SELECT count(*) FROM measure_catalog)) AS n_grey_measures
        FROM dim_committees c
        LEFT JOIN perspective_scores ps ON ps.committee_code = c.committee_code AND ps.grain = $grain AND ps.period = $period
        LEFT JOIN overall_scores o ON o.committee_code = c.committee_code AND o.grain = $grain AND o.period = $period
        WHERE $peer_group IS NULL OR c.peer_group = $peer_group
        GROUP BY c.committee_code, c.name_sv, c.name_en, c.peer_group, c.kind
        ORDER BY c.peer_group, c.name_sv
    """, {"grain": grain, "period": period, "peer_group": peer_group})


def city_row(wh: Warehouse, grain: str, period: str) -> pd.DataFrame:
    """The city as a whole ('CITY' in the marts), one row with the columns of city_overview."""
    _check_grain(grain)
    pivots = ",\n".join(
        f"max(ps.score) FILTER (WHERE ps.perspective = '{p}') AS score_{p}, "
        f"COALESCE(max(ps.status) FILTER (WHERE ps.perspective = '{p}'), 'grey') AS status_{p}, "
        f"COALESCE(bool_or(ps.red_flag) FILTER (WHERE ps.perspective = '{p}'), false) AS red_flag_{p}"
        for p in PERSPECTIVE_CODES
    )
    return wh.df(f"""
        SELECT 'CITY' AS committee_code, {pivots},
               max(o.score) AS overall_score, COALESCE(max(o.status), 'grey') AS overall_status,
               COALESCE(max(o.n_red_measures), 0) AS n_red_measures,
               COALESCE(max(o.n_grey_measures), (SELECT count(*) FROM measure_catalog)) AS n_grey_measures
        FROM (SELECT 1) one
        LEFT JOIN perspective_scores ps ON ps.committee_code = 'CITY' AND ps.grain = $grain AND ps.period = $period
        LEFT JOIN overall_scores o ON o.committee_code = 'CITY' AND o.grain = $grain AND o.period = $period
    """, {"grain": grain, "period": period})


def city_trend(wh: Warehouse, grain: str, period: str, n_periods: int = 8) -> pd.DataFrame:
    """The city's perspective scores and overall index over the n periods up to `period` (oldest
    first): [period, perspective ('overall' for the index), score, status]."""
    _check_grain(grain)
    return wh.df("""
        WITH last_periods AS (
            SELECT period, start_month FROM scorecard_periods
            WHERE grain = $grain AND start_month <= (SELECT start_month FROM scorecard_periods
                                                     WHERE grain = $grain AND period = $period)
            ORDER BY start_month DESC LIMIT $n
        ), scores AS (
            SELECT period, perspective, score, status FROM perspective_scores
            WHERE committee_code = 'CITY' AND grain = $grain
            UNION ALL
            SELECT period, 'overall', score, status FROM overall_scores WHERE committee_code = 'CITY' AND grain = $grain
        )
        SELECT p.period, s.perspective, s.score, COALESCE(s.status, 'grey') AS status
        FROM last_periods p JOIN scores s USING (period)
        ORDER BY p.start_month, s.perspective
    """, {"grain": grain, "period": period, "n": int(n_periods)})


def movers(wh: Warehouse, grain: str, period: str, n: int = 10) -> pd.DataFrame:
    """Committee measures whose score changed most (absolute) since the previous period, with the
    values of both periods, the measure's unit and the previous period's name."""
    _check_grain(grain)
    return wh.df("""
        SELECT v.committee_code, c.name_sv, c.name_en, v.measure_id, v.perspective,
               prev.score AS previous_score, v.score, v.score - prev.score AS change,
               prev.value AS previous_value, v.value, v.status, prev.status AS previous_status,
               d.unit, $previous AS previous_period
        FROM measure_values v
        JOIN measure_catalog d ON d.measure_id = v.measure_id
        JOIN measure_values prev ON prev.committee_code = v.committee_code AND prev.measure_id = v.measure_id
             AND prev.grain = v.grain AND prev.period = $previous
        JOIN dim_committees c ON c.committee_code = v.committee_code
        WHERE v.grain = $grain AND v.period = $period AND v.score IS NOT NULL AND prev.score IS NOT NULL
          AND v.score <> prev.score
        ORDER BY abs(v.score - prev.score) DESC, v.committee_code, v.measure_id
        LIMIT $n
    """, {"grain": grain, "period": period, "previous": P.previous(period), "n": int(n)})


def scorecard(wh: Warehouse, committee_code: str, grain: str, period: str) -> pd.DataFrame:
    """One row per measure in catalogue order; measures without a value are grey."""
    _check_grain(grain)
    frame = wh.df("""
        SELECT d.measure_id, d.perspective, d.name_sv, d.name_en, d.unit, d.direction,
               v.value, v.value_period, v.numerator, v.denominator, v.n_obs,
               CASE WHEN v.measure_id IS NULL THEN d.target ELSE v.target END AS target,
               CASE WHEN v.measure_id IS NULL THEN d.red_threshold ELSE v.red_threshold END AS red_threshold,
               COALESCE(v.status, 'grey') AS status, v.score,
               COALESCE(v.insufficient_data, false) AS insufficient_data,
               COALESCE(v.carried_forward, false) AS carried_forward,
               COALESCE(v.target_overridden, false) AS target_overridden,
               v.peer_median, v.peer_value, v.city_value, d.band_low, d.band_high, d.min_n
        FROM measure_catalog d
        LEFT JOIN measure_values v ON v.measure_id = d.measure_id AND v.committee_code = $committee
             AND v.grain = $grain AND v.period = $period
        ORDER BY d.ord
    """, {"committee": committee_code, "grain": grain, "period": period})
    return frame[SCORECARD_COLUMNS]


def perspective_scores(wh: Warehouse, committee_code: str, grain: str, period: str) -> pd.DataFrame:
    _check_grain(grain)
    order = pd.DataFrame({"perspective": list(PERSPECTIVE_CODES)})
    found = wh.df("""
        SELECT perspective, score, status, red_flag, n_measures, peer_median_score
        FROM perspective_scores WHERE committee_code = ? AND grain = ? AND period = ?
    """, [committee_code, grain, period])
    frame = order.merge(found, on="perspective", how="left")
    frame["status"] = frame["status"].fillna("grey")
    frame["red_flag"] = frame["red_flag"].fillna(False).astype(bool)
    frame["n_measures"] = frame["n_measures"].fillna(0).astype(int)
    return frame


def overall(wh: Warehouse, committee_code: str, grain: str, period: str) -> dict:
    _check_grain(grain)
    rows = wh.df("SELECT score, status, n_perspectives FROM overall_scores WHERE committee_code = ? AND grain = ? AND period = ?",
                 [committee_code, grain, period])
    if rows.empty:
        return {"score": None, "status": "grey", "n_perspectives": 0}
    row = rows.iloc[0]
    score = None if pd.isna(row["score"]) else float(row["score"])
    return {"score": score, "status": row["status"], "n_perspectives": int(row["n_perspectives"])}


def trend(wh: Warehouse, committee_code: str, measure_id: str, grain: str, n_periods: int) -> pd.DataFrame:
    """The last n periods of the grain (oldest first), including periods without a value."""
    _check_grain(grain)
    return wh.df("""
        WITH last_periods AS (
            SELECT period, start_month FROM scorecard_periods WHERE grain = $grain
            ORDER BY start_month DESC LIMIT $n
        )
        SELECT p.period, v.value, COALESCE(v.status, 'grey') AS status, v.score, v.value_period,
               COALESCE(v.carried_forward, false) AS carried_forward, v.target, v.red_threshold
        FROM last_periods p
        LEFT JOIN measure_values v ON v.period = p.period AND v.grain = $grain
             AND v.committee_code = $committee AND v.measure_id = $measure
        ORDER BY p.start_month
    """, {"grain": grain, "n": int(n_periods), "committee": committee_code, "measure": measure_id})


def trends(wh: Warehouse, committee_code: str, grain: str, n_periods: int) -> pd.DataFrame:
    """trend() for every measure in one query: [measure_id, period, value, status, score, value_period,
    carried_forward], oldest first per measure (for the scorecard's sparklines)."""
    _check_grain(grain)
    return wh.df("""
        WITH last_periods AS (
            SELECT period, start_month FROM scorecard_periods WHERE grain = $grain
            ORDER BY start_month DESC LIMIT $n
        )
        SELECT d.measure_id, p.period, v.value, COALESCE(v.status, 'grey') AS status, v.score, v.value_period,
               COALESCE(v.carried_forward, false) AS carried_forward
        FROM measure_catalog d CROSS JOIN last_periods p
        LEFT JOIN measure_values v ON v.period = p.period AND v.grain = $grain
             AND v.committee_code = $committee AND v.measure_id = d.measure_id
        ORDER BY d.ord, p.start_month
    """, {"grain": grain, "n": int(n_periods), "committee": committee_code})


def measure_series(wh: Warehouse, measure_id: str, grain: str, period_from: str, period_to: str,
                   committee_codes: list[str]) -> pd.DataFrame:
    """Values over a period range for the given committees (may include 'CITY' and 'PEER:<group>')."""
    _check_grain(grain)
    return wh.df("""
        SELECT committee_code, period, value, status, score, target, red_threshold, n_obs,
               value_period, carried_forward
        FROM measure_values
        WHERE measure_id = $measure AND grain = $grain AND list_contains($codes, committee_code)
          AND period_start BETWEEN $start AND $end
        ORDER BY committee_code, period_start
    """, {"measure": measure_id, "grain": grain, "codes": list(committee_codes),
          "start": P.first_month(period_from), "end": P.first_month(period_to)})


def measure_ranking(wh: Warehouse, measure_id: str, grain: str, period: str,
                    committee_codes: list[str] | None = None) -> pd.DataFrame:
    """Committees best first: by score, then by value in the measure's better direction; grey last."""
    _check_grain(grain)
    return wh.df("""
        SELECT v.committee_code, c.name_sv, c.name_en, c.peer_group, v.value, v.status, v.score,
               v.target, v.red_threshold, v.n_obs, v.value_period, v.carried_forward, v.insufficient_data,
               v.target_overridden, v.band_low, v.band_high
        FROM measure_values v
        JOIN dim_committees c USING (committee_code)
        JOIN measure_catalog d USING (measure_id)
        WHERE v.measure_id = $measure AND v.grain = $grain AND v.period = $period
          AND ($codes IS NULL OR list_contains($codes, v.committee_code))
        ORDER BY v.score DESC NULLS LAST,
                 CASE d.direction WHEN 'higher' THEN -v.value WHEN 'lower' THEN v.value
                      ELSE GREATEST(d.band_low - v.value, v.value - d.band_high, 0) END NULLS LAST,
                 v.committee_code
    """, {"measure": measure_id, "grain": grain, "period": period,
          "codes": None if committee_codes is None else list(committee_codes)})


def _member_codes(wh: Warehouse, committee_code: str) -> list[str]:
    if committee_code == "CITY":  # the city also holds what no committee could be attributed
        return wh.df("SELECT committee_code FROM dim_committees")["committee_code"].tolist() + [UNATTRIBUTED]
    if committee_code.startswith("PEER:"):
        return wh.df("SELECT committee_code FROM dim_committees WHERE peer_group = ?",
                     [committee_code.removeprefix("PEER:")])["committee_code"].tolist()
    return [committee_code]


def value_window(accumulate: str, value_period: str) -> tuple[dt.date, dt.date]:
    """The months a value was computed from (its period, from January, or from the start)."""
    last = P.last_month(value_period)
    if accumulate == "year_to_date":
        return dt.date(last.year, 1, 1), last
    if accumulate == "to_date":
        return dt.date(1000, 1, 1), last
    return P.first_month(value_period), last


def bind_params(sql: str, params: dict) -> dict:
    """Only the named parameters the SQL uses (DuckDB rejects unused ones)."""
    return {k: v for k, v in params.items() if f"${k}" in sql}


def drilldown(wh: Warehouse, measure_id: str, committee_code: str, grain: str, period: str,
              scope: frozenset[str] | None = None) -> pd.DataFrame:
    """The records behind one value: for a carried-forward value, the records of its own period.

    `scope`: the committees whose records the user may see (followup.identity.drilldown_scope; None =
    all). For a committee outside it the result is empty; for the city or a peer group only the records
    of member committees inside it. The same frame is what the page exports, so exports are limited too."""
    _check_grain(grain)
    found = wh.df("""SELECT value_period FROM measure_values
                     WHERE measure_id = ? AND committee_code = ? AND grain = ? AND period = ?""",
                  [measure_id, committee_code, grain, period])
    value_period = found["value_period"].iloc[0] if not found.empty else None
    if value_period is None or pd.isna(value_period):
        value_period = period
    m = declared_measure(measure_id)
    start, end = value_window(m.accumulate, value_period)
    members = _member_codes(wh, committee_code)
    if scope is not None:
        members = [c for c in members if c in scope] or [""]  # '' is never a committee code: no rows
    params = {"committees": members, "from_month": start, "to_month": end}
    return wh.df(m.drilldown_sql, bind_params(m.drilldown_sql, params))


def indicators(wh: Warehouse, committee_code: str, grain: str, period: str) -> pd.DataFrame:
    _check_grain(grain)
    return wh.df("""
        SELECT c.indicator_id, c.name_sv, c.name_en, c.unit, v.value, v.numerator, v.denominator
        FROM indicator_catalog c
        LEFT JOIN indicator_values v ON v.indicator_id = c.indicator_id AND v.committee_code = $committee
             AND v.grain = $grain AND v.period = $period
        ORDER BY c.ord
    """, {"committee": committee_code, "grain": grain, "period": period})
