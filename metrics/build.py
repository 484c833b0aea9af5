"""Build the models and marts inside the warehouse connection (called by pipeline.publish before
publishing and by `python -m metrics build`). The declared models (metrics/models/) come first and
their data tests must pass, else the build raises ModelTestError and nothing is published.

Every step is set-based SQL. Missing or empty source tables never make the build fail: a measure
whose tables are missing is left out (logged), and empty sources give empty marts with the full schema.
"""
from __future__ import annotations

import logging
import time

import duckdb

from metrics import mart_indicators, mart_scores, mart_values
from metrics.models import ModelTestError, build_models, test_models
from metrics.catalog import Indicator, Measure, load_indicators, load_measures

log = logging.getLogger(__name__)


def existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database()"
    ).fetchall()
    return {r[0] for r in rows}


def runnable(con: duckdb.DuckDBPyConnection, sql: str, what: str) -> bool:
    """Whether a declaration's SQL binds here (its tables exist, its columns resolve). One bad or
    unrunnable declaration is left out, logged, rather than failing every publish."""
    try:
        con.execute(f"EXPLAIN {sql}")
    except duckdb.Error as exc:
        log.warning("%s left out: %s", what, str(exc).splitlines()[0])
        return False
    return True


def usable_declarations(con: duckdb.DuckDBPyConnection, declarations, what: str) -> list:
    """The declarations whose SQL binds here: one bind of them all together, and only when that fails one
    bind each to find the ones to leave out."""
    if not declarations:
        return []
    together = " UNION ALL ".join(f"SELECT 1 FROM ({d.sql}) AS q{i}" for i, d in enumerate(declarations))
    try:
        con.execute(f"EXPLAIN {together}")
        return list(declarations)
    except duckdb.Error:
        return [d for d in declarations if runnable(con, d.sql, f"{what} {d.id}")]


def build_marts(con: duckdb.DuckDBPyConnection, measures: tuple[Measure, ...] | None = None,
                indicators: tuple[Indicator, ...] | None = None) -> dict:
    """Compute measure_values, perspective_scores, overall_scores, indicator_values (plus
    measure_catalog, indicator_catalog, scorecard_periods) in `con`. Returns timings in seconds."""
    measures = load_measures() if measures is None else measures
    indicators = load_indicators() if indicators is None else indicators
    timings, started = {}, time.perf_counter()
    built = build_models(con, missing_ok=True)
    failures = test_models(con, only=built)
    if failures:
        raise ModelTestError(failures)
    timings["models"] = time.perf_counter() - started
    tables = existing_tables(con)
    usable = usable_declarations(con, measures, "measure")
    mart_values.build(con, measures, usable, tables)
    timings["measure_values"] = time.perf_counter() - started
    mart_scores.build(con, measures)
    timings["scores"] = time.perf_counter() - started - timings["measure_values"]
    usable_ind = usable_declarations(con, indicators, "indicator")
    mart_indicators.build(con, indicators, usable_ind, tables)
    for name in ("_mv_members", "_period_months"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    timings["total"] = time.perf_counter() - started
    log.info("marts built in %.2f s", timings["total"])
    return timings
