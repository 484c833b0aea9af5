"""Thin adapters over the project's public functions (ETL, demo generator, marts, query layer).

The benchmark only calls the project through this module, so an interface change is fixed here.
What the benchmark would like the owners to add is listed in docs/benchmark.md ("Hooks wanted").
"""
from __future__ import annotations

import inspect
import sys
from pathlib import Path

MARTS_STUBBED = False


# ---------------------------------------------------------------- demo generator
def generate(out_dir: Path, seed: int = 2013, end_month: str | None = None, scale: float = 1.0) -> list[Path]:
    from etl.demo import generate as gen

    params = inspect.signature(gen).parameters
    kwargs = {"seed": seed, "end_month": end_month}
    if "scale" in params:
        kwargs["scale"] = scale
    elif scale != 1.0:
        raise RuntimeError("etl.demo.generate has no `scale` parameter yet")
    return [Path(p) for p in gen(out_dir, **kwargs)]


# ---------------------------------------------------------------- ETL
def _run_batches_has_with_marts() -> bool:
    from pipeline import cli

    return "with_marts" in inspect.signature(cli.run_batches).parameters


def prepare_etl() -> None:
    """In the ETL child only: make the publish step skip the measure build, which the benchmark
    times on its own (task_marts). Everything else — read, validate (GX), quarantine, load, batch
    log, calendar, copy + atomic rename — runs as in production. Uses
    `run_batches(..., with_marts=False)` where the ETL has it, else patches `pipeline.publish.build_marts`."""
    global MARTS_STUBBED
    if _run_batches_has_with_marts():
        MARTS_STUBBED = True
        return
    import pipeline.publish

    def _skip_marts(con, *a, **k):  # noqa: ARG001
        return None

    pipeline.publish.build_marts = _skip_marts
    MARTS_STUBBED = True


# Functions of the ETL whose cumulative time is recorded per source (module, attribute, label).
# Nested: load_batch ⊃ read + validate_and_insert ⊃ stage, typed, violations, gx_gate, ...
PHASES = [
    ("pipeline.cli", "read_file", "read (read_file: hash, encoding and delimiter detection)"),
    ("etl.load", "_stage", "stage (source into a DuckDB temp table, event-log collapse)"),
    ("etl.load", "create_typed", "type (SQL casts)"),
    ("etl.load", "create_violations", "row rules (SQL)"),
    ("etl.load", "_check_bad_share", "bad-share check"),
    ("etl.load", "_check_expectations", "GX gate (typed → pandas → GX)"),
    ("etl.load", "_delete_scope", "revision scope delete"),
    ("etl.load", "_quarantine", "quarantine insert"),
    ("etl.load", "_periods", "periods"),
    ("etl.load", "_validate_and_insert", "validate_and_insert (total)"),
    ("etl.load", "load_batch", "load_batch (total)"),
    ("pipeline.publish", "create_all", "publish: create_all"),
    ("pipeline.publish", "refresh_calendar", "publish: refresh_calendar"),
    ("pipeline.publish", "loaded_month_range", "publish: loaded_month_range"),
    ("pipeline.publish", "publish", "publish (total: copy + work + marts + rename)"),
    ("etl.schema", "load_seeds", "publish: seeds (read + validate every seed file)"),
    ("pipeline.publish", "note_store_target_changes", "publish: follow-up store targets"),
    ("pipeline.publish", "_compact_if_sparse", "publish: catalog compaction check"),
    ("etl.factstore", "FactStore.begin", "publish: fact store version (hard links of the previous one)"),
    ("etl.factstore", "FactStore.ensure", "publish: fact table views"),
    ("etl.factstore", "FactStore.write", "write: fact store files (scope + new Parquet)"),
    ("etl.factstore", "FactStore.finish", "publish: catalog tables as Parquet + manifest"),
    ("etl.factstore", "FactStore.commit", "publish: switch current + collect old versions"),
]
_PHASE_TIMES: dict[str, float] = {}


def _install_phase_timers() -> None:
    import functools
    import importlib
    import time

    for mod_name, attr, label in PHASES:
        try:
            mod = importlib.import_module(mod_name)
        except ImportError:
            continue
        owner, name = mod, attr
        if "." in attr:  # a method: Class.method (a classmethod is wrapped bound, which keeps its call)
            cls_name, name = attr.split(".", 1)
            owner = getattr(mod, cls_name, None)
            if owner is None:
                continue
        fn = getattr(owner, name, None)
        if fn is None or getattr(fn, "_bench_timed", False):
            continue

        def make(fn=fn, label=label):
            @functools.wraps(fn)
            def timed(*a, **k):
                t0 = time.perf_counter()
                try:
                    return fn(*a, **k)
                finally:
                    _PHASE_TIMES[label] = _PHASE_TIMES.get(label, 0.0) + time.perf_counter() - t0
            timed._bench_timed = True
            return timed

        setattr(owner, name, make())
        if mod_name == "etl.load" and attr == "load_batch":
            import pipeline.cli  # run_batches calls pipeline.cli's imported name

            pipeline.cli.load_batch = mod.load_batch
        if mod_name == "pipeline.publish" and attr == "publish":
            import pipeline.cli

            pipeline.cli.publish = mod.publish


def etl_warmup() -> None:
    """Pay the ETL's one-time costs (GX import, context, first validation) outside the timings:
    `python -m etl` pays them once per command, on whatever batch comes first."""
    import pandas as pd

    from etl.contracts import load_contracts
    from etl.gate import validate_frame

    c = load_contracts()["committees"]
    frame = pd.DataFrame({col: ["X"] for col in c.column_names})
    validate_frame(c, frame, set(frame.columns))


def etl_load(warehouse: Path, paths: list[Path], source: str | None = None) -> dict:
    """Load the files of one source into `warehouse` through the real ETL, exactly as
    `python -m etl load <files>` does (pipeline.cli.plan_files + run_batches: one staging copy, the
    batches, atomic publish). Returns the batch figures and the time per ETL phase."""
    from pipeline import cli

    _install_phase_timers()
    _PHASE_TIMES.clear()
    planned = cli.plan_files([Path(p) for p in paths], source)
    if _run_batches_has_with_marts():
        results = cli.run_batches(planned, Path(warehouse), with_marts=False)
    else:
        results = cli.run_batches(planned, Path(warehouse))
    etl_timings: dict[str, float] = {}
    for r in results:  # the ETL's own per-phase timings (BatchResult.timings), where it has them
        for k, v in (getattr(r, "timings", None) or {}).items():
            etl_timings[k] = etl_timings.get(k, 0.0) + v
    return {
        "batches": len(results),
        "status": sorted({r.status for r in results}),
        "rows_read": int(sum(r.rows_read or 0 for r in results)),
        "rows_loaded": int(sum(r.rows_loaded or 0 for r in results)),
        "rows_quarantined": int(sum(r.rows_quarantined or 0 for r in results)),
        "messages": [r.message for r in results if r.status == "rejected"][:3],
        "phases": dict(_PHASE_TIMES),
        "etl_timings": etl_timings,
    }


# ---------------------------------------------------------------- marts
def import_marts() -> None:
    """Import the measure build before the timer starts (imports are not counted, as elsewhere)."""
    import metrics.build  # noqa: F401


def build_marts(con):
    """metrics.build.build_marts(con); returns whatever it returns (its own phase timings)."""
    from metrics.build import build_marts as build

    return build(con)


# ---------------------------------------------------------------- query layer
def new_warehouse(path: Path):
    from metrics.warehouse import Warehouse

    return Warehouse(path)


def close_warehouse(wh) -> None:
    close = getattr(wh, "close", None)
    if callable(close):
        close()
        return
    for attr in ("con", "_con", "conn", "_conn"):
        con = getattr(wh, attr, None)
        if con is not None and hasattr(con, "close"):
            con.close()
            return


def app_queries(path: Path, grain: str = "tertial") -> dict:
    """The app's page queries with realistic arguments picked from the warehouse itself."""
    from metrics import query as q

    wh = new_warehouse(path)
    try:
        period = q.latest_complete_period(wh, grain)
        periods = q.periods(wh, grain)
        committees = q.committees(wh)
        committee = str(committees["committee_code"].iloc[0])
        catalog = q.measure_catalog(wh)
        measure_ids = list(catalog["measure_id"])
        # the explorer/drilldown measure: an incident-based one if there is one (the biggest fact table)
        inc = catalog[catalog.apply(lambda r: "incident" in " ".join(str(v).lower() for v in r.values), axis=1)]
        measure = str(inc["measure_id"].iloc[0]) if len(inc) else measure_ids[0]
        older = [p for p in periods if p <= period]
        period_from = older[min(len(older) - 1, 5)] if older else period
        peers = list(committees["committee_code"].head(5))
    finally:
        close_warehouse(wh)

    calls = {
        "city_overview": (lambda wh: q.city_overview(wh, grain, period), f"city_overview({grain!r}, {period!r})"),
        "scorecard": (lambda wh: q.scorecard(wh, committee, grain, period),
                      f"scorecard({committee!r}, {grain!r}, {period!r})"),
        "measure_series": (lambda wh: q.measure_series(wh, measure, grain, period_from, period, peers),
                           f"measure_series({measure!r}, {grain!r}, {period_from!r}, {period!r}, 5 committees)"),
        "measure_ranking": (lambda wh: q.measure_ranking(wh, measure, grain, period),
                            f"measure_ranking({measure!r}, {grain!r}, {period!r})"),
        "drilldown": (lambda wh: q.drilldown(wh, measure, committee, grain, period),
                      f"drilldown({measure!r}, {committee!r}, {grain!r}, {period!r})"),
    }
    return {"calls": calls, "params": {"grain": grain, "period": period, "committee": committee,
                                       "measure": measure, "period_from": period_from}}
