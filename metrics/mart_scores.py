"""perspective_scores and overall_scores from measure_values (rules in metrics/scoring.py)."""
from __future__ import annotations

import duckdb

from metrics import scoring
from metrics.catalog import PERSPECTIVE_CODES, Measure


def build(con: duckdb.DuckDBPyConnection, measures: tuple[Measure, ...], only: str | None = None) -> None:
    """`only`: a table of (grain, period) to recompute (every committee, perspective and peer median of
    each); their rows are replaced and the rest kept. None: rebuild both tables."""
    create_perspective_scores(con, only)
    create_overall_scores(con, only)


def _write(con: duckdb.DuckDBPyConnection, table: str, sql: str, only: str | None) -> None:
    if only is None:
        con.execute(f"CREATE OR REPLACE TABLE {table} AS {sql}")
        return
    con.execute(f"DELETE FROM {table} WHERE (grain, period) IN (SELECT (grain, period) FROM {only})")
    con.execute(f"INSERT INTO {table} BY NAME {sql}")


def _restrict(only: str | None, alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return "" if only is None else f"WHERE ({prefix}grain, {prefix}period) IN (SELECT (grain, period) FROM {only})"


def create_perspective_scores(con: duckdb.DuckDBPyConnection, only: str | None = None) -> None:
    """Weighted mean of the member scores when at least 2/3 of the perspective's measures are scored."""
    _write(con, "perspective_scores", f"""
        WITH members AS (
            SELECT perspective, count(*) AS n_members,
                   CAST(ceil(count(*) * {scoring.PERSPECTIVE_MIN_SHARE} - 1e-9) AS INTEGER) AS n_required
            FROM measure_catalog GROUP BY perspective
        ), agg AS (
            SELECT v.committee_code, v.peer_group, v.grain, v.period, v.perspective,
                   sum(v.score * d.weight) / NULLIF(sum(d.weight) FILTER (WHERE v.score IS NOT NULL), 0) AS mean_score,
                   count(v.score) AS n_measures,
                   bool_or(v.status = 'red') AS red_flag,
                   count(*) FILTER (WHERE v.status = 'red') AS n_red_measures,
                   count(*) FILTER (WHERE v.status = 'grey') AS n_grey_measures
            FROM measure_values v JOIN measure_catalog d USING (measure_id)
            {_restrict(only, 'v')}
            GROUP BY ALL
        ), scored AS (
            SELECT a.*, m.n_members, m.n_required,
                   CASE WHEN a.n_measures >= m.n_required THEN a.mean_score END AS score
            FROM agg a JOIN members m USING (perspective)
        )
        , peer AS (
            SELECT grain, period, perspective, peer_group, median(score) AS peer_median_score
            FROM scored WHERE peer_group IS NOT NULL GROUP BY ALL
        )
        SELECT s.committee_code, s.grain, s.period, s.perspective, s.score,
               {scoring.score_status_sql('s.score')} AS status,
               s.red_flag, s.n_measures, s.n_members, s.n_red_measures, s.n_grey_measures,
               p.peer_median_score, s.peer_group
        FROM scored s LEFT JOIN peer p USING (grain, period, perspective, peer_group)
        ORDER BY s.grain, s.period, s.committee_code
    """, only)


def create_overall_scores(con: duckdb.DuckDBPyConnection, only: str | None = None) -> None:
    n_perspectives = len(PERSPECTIVE_CODES)
    n_required = scoring.min_required(n_perspectives, scoring.OVERALL_MIN_SHARE)
    _write(con, "overall_scores", f"""
        WITH agg AS (
            SELECT committee_code, peer_group, grain, period,
                   avg(score) AS mean_score, count(score) AS n_perspectives,
                   sum(n_red_measures) AS n_red_measures, sum(n_grey_measures) AS n_grey_measures,
                   count(*) FILTER (WHERE red_flag) AS n_red_flags
            FROM perspective_scores {_restrict(only)} GROUP BY ALL
        ), scored AS (
            SELECT *, CASE WHEN n_perspectives >= {n_required} THEN mean_score END AS score FROM agg
        )
        , peer AS (
            SELECT grain, period, peer_group, median(score) AS peer_median_score
            FROM scored WHERE peer_group IS NOT NULL GROUP BY ALL
        )
        SELECT s.committee_code, s.grain, s.period, s.score, {scoring.score_status_sql('s.score')} AS status,
               s.n_perspectives, s.n_red_flags, s.n_red_measures, s.n_grey_measures,
               p.peer_median_score, s.peer_group
        FROM scored s LEFT JOIN peer p USING (grain, period, peer_group)
        ORDER BY s.grain, s.period, s.committee_code
    """, only)
