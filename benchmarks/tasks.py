"""Benchmark tasks. Each runs in its own child process (see benchmarks.child); arguments and
results are JSON-able. Timings are taken inside the child, around the measured call only
(interpreter start and imports are not counted)."""
from __future__ import annotations

import json
import os
import shutil
import statistics
import time
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from benchmarks.memory import overall_peak_mb, peak_rss_mb, reset_peak  # noqa: E402


# ---------------------------------------------------------------- generate
def task_generate(out_dir: str, scale: float, seed: int = 2013, end_month: str | None = None) -> dict:
    from benchmarks import adapters
    from benchmarks.sources import group_by_source

    out = Path(out_dir)
    manifest = out / "generated.json"
    wanted = {"scale": scale, "seed": seed, "end_month": end_month}
    if manifest.exists():  # --work-dir reuse: a 100x generation takes a quarter of an hour
        earlier = json.loads(manifest.read_text(encoding="utf-8"))
        if earlier.get("params") == wanted and all(Path(p).exists() for ps in earlier["files"].values() for p in ps):
            return {**earlier["result"], "reused": True}
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    paths = adapters.generate(out, seed=seed, end_month=end_month, scale=scale)
    seconds = time.perf_counter() - t0
    by_source = group_by_source(paths)
    files = {s: [str(p) for p in ps] for s, ps in by_source.items()}
    unknown = [str(p) for p in paths if not any(str(p) in v for v in files.values())]
    size = {s: sum(Path(p).stat().st_size for p in ps) for s, ps in files.items()}
    try:
        from etl.demo import LAST_RUN

        gen_rows = dict(LAST_RUN.get("rows") or {})
        incidents = LAST_RUN.get("incidents")
    except ImportError:
        gen_rows, incidents = {}, None
    result = {"seconds": seconds, "files": files, "bytes": size, "unrecognised": unknown, "rows": gen_rows,
              "incident_records": incidents}
    manifest.write_text(json.dumps({"params": wanted, "files": files, "result": result}), encoding="utf-8")
    return result


# ---------------------------------------------------------------- ETL
def _progress(path: str | None, result: dict) -> None:
    """Results so far, for the parent if this child dies (OOM, watchdog) half-way."""
    if path:
        result["overall_peak_rss_mb"] = overall_peak_mb()
        tmp = Path(path).with_suffix(".tmp")
        tmp.write_text(json.dumps(result, default=str), encoding="utf-8")
        tmp.replace(path)


def etl_groups(files: dict[str, list[str]], big_sources: list[str]) -> list[tuple[str, list[str], bool]]:
    """(key, sources, measured) in dependency order: first every unmeasured source that does not depend
    on a measured one, in one run (as `python -m etl demo` loads); then each measured source alone;
    then the remaining unmeasured sources in one run."""
    from etl.contracts import load_contracts

    contracts = load_contracts()
    by_table = {c.table: s for s, c in contracts.items()}
    memo: dict[str, set[str]] = {}

    def deps(source: str) -> set[str]:
        if source not in memo:
            memo[source] = set()
            c = contracts.get(source)
            for table in (c.referenced_tables if c else ()):
                d = by_table.get(table)
                if d and d != source:
                    memo[source] |= {d} | deps(d)
        return memo[source]

    big = [s for s in files if s in big_sources]
    before = [s for s in files if s not in big_sources and not (deps(s) & set(big))]
    after = [s for s in files if s not in big_sources and s not in before]
    groups = []
    if before:
        groups.append(("+".join(before), before, False))
    groups += [(s, [s], True) for s in big]
    if after:
        groups.append(("+".join(after), after, False))
    return groups


def task_etl(warehouse: str, files: dict[str, list[str]], big_sources: list[str], skip: list[str] = (),
             progress: str | None = None) -> dict:
    """Load every source through the project's ETL in dependency order. Each measured (big) source is
    its own `python -m etl load`-equivalent run (own staging copy + publish) and is timed; the other
    sources between them are loaded together, one run per stretch, as `python -m etl demo` would.
    Per-source peak RSS via a VmHWM reset before each run. Groups in `skip` are not loaded."""
    from benchmarks import adapters

    wh = Path(warehouse)
    out = {"sources": {}, "marts_stubbed": True}
    adapters.prepare_etl()
    t0 = time.perf_counter()
    adapters.etl_warmup()
    out["gx_warmup_s"] = time.perf_counter() - t0

    for key, group, big in etl_groups(files, big_sources):
        if key in skip:
            continue
        out["running"] = key
        _progress(progress, out)
        reset_peak()
        c0, t0 = time.process_time(), time.perf_counter()
        info = adapters.etl_load(wh, [Path(p) for s in group for p in files[s]], group[0] if big else None)
        seconds = time.perf_counter() - t0
        info.update({"seconds": seconds, "cpu_seconds": time.process_time() - c0, "peak_rss_mb": peak_rss_mb(),
                     "big": big, "loadavg": os.getloadavg()[0]})
        out["sources"][key] = info
    out.pop("running", None)
    out["warehouse_bytes"] = wh.stat().st_size if wh.exists() else 0
    out["overall_peak_rss_mb"] = overall_peak_mb()
    _progress(progress, out)
    return out


# ---------------------------------------------------------------- floor and naive
def _per_source(files: dict[str, list[str]], skip, progress: str | None, run) -> dict:
    """run(source, paths) for every source not skipped, each with its own peak RSS."""
    out = {"sources": {}}
    for source, paths in files.items():
        if source in skip:
            continue
        out["running"] = source
        _progress(progress, out)
        reset_peak()
        r = run(source, [Path(p) for p in paths])
        r["peak_rss_mb"] = peak_rss_mb()
        out["sources"][source] = r
    out.pop("running", None)
    out["overall_peak_rss_mb"] = overall_peak_mb()
    return out


def task_floor(files: dict[str, list[str]], work_dir: str, skip: list[str] = (), progress: str | None = None) -> dict:
    from benchmarks.baselines import run_floor

    return _per_source(files, skip, progress,
                       lambda source, paths: run_floor(paths, Path(work_dir) / f"floor_{source}.duckdb", source))


def task_naive(files: dict[str, list[str]], work_dir: str, warehouse: str | None = None, skip: list[str] = (),
               progress: str | None = None) -> dict:
    from benchmarks.baselines import run_naive

    return _per_source(files, skip, progress,
                       lambda source, paths: run_naive(paths, Path(work_dir) / f"naive_{source}.duckdb", source,
                                                       Path(warehouse) if warehouse else None))


# ---------------------------------------------------------------- marts
def task_marts(warehouse: str, out_warehouse: str, scan_repeat: int = 3) -> dict:
    """build_marts on a copy of the loaded warehouse (kept as out_warehouse for the query task),
    and the raw aggregate scan of the fact tables the measures read, in the same connection."""
    import duckdb

    from benchmarks import adapters
    from benchmarks.scan import fact_tables_read_by_measures, scan_queries, time_scan

    shutil.copyfile(warehouse, out_warehouse)
    con = duckdb.connect(out_warehouse)
    queries = scan_queries(con, fact_tables_read_by_measures())
    for sql in queries.values():  # same page-cache state for both: touch the data once first
        con.execute(sql).fetchall()
    adapters.import_marts()
    reset_peak()
    c0, t0 = time.process_time(), time.perf_counter()
    inner = adapters.build_marts(con)
    con.execute("CHECKPOINT")
    build_s = time.perf_counter() - t0
    build_cpu = time.process_time() - c0
    build_rss = peak_rss_mb()
    scan = time_scan(con, queries, repeat=scan_repeat)
    marts = {}
    for t in ("measure_values", "perspective_scores", "overall_scores", "indicator_values"):
        try:
            marts[t] = con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        except duckdb.Error:
            pass
    con.close()
    return {"overall_peak_rss_mb": overall_peak_mb(), "build_seconds": build_s, "build_cpu_seconds": build_cpu, "build_peak_rss_mb": build_rss, "scan": scan, "mart_rows": marts,
            "build_phases": inner if isinstance(inner, dict) else None}


# ---------------------------------------------------------------- queries
def _pct(values: list[float], p: float) -> float:
    vals = sorted(values)
    if len(vals) == 1:
        return vals[0]
    k = (len(vals) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(vals) - 1)
    return vals[lo] + (vals[hi] - vals[lo]) * (k - lo)


def task_queries(warehouse: str, repeat: int = 30, cold_repeat: int = 5, grain: str = "tertial") -> dict:
    from benchmarks import adapters

    os.environ["SCORECARD_WAREHOUSE"] = warehouse
    calls = adapters.app_queries(Path(warehouse), grain)
    out = {}
    reset_peak()
    for name, (fn, desc) in calls["calls"].items():
        cold = []
        for _ in range(cold_repeat):
            t0 = time.perf_counter()
            wh = adapters.new_warehouse(Path(warehouse))
            fn(wh)
            cold.append(time.perf_counter() - t0)
            adapters.close_warehouse(wh)
        wh = adapters.new_warehouse(Path(warehouse))
        res = fn(wh)
        warm = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn(wh)
            warm.append(time.perf_counter() - t0)
        adapters.close_warehouse(wh)
        out[name] = {
            "call": desc,
            "rows": int(len(res)) if hasattr(res, "__len__") else 1,
            "warm_p50_ms": _pct(warm, 0.5) * 1000, "warm_p95_ms": _pct(warm, 0.95) * 1000,
            "warm_max_ms": max(warm) * 1000,
            "cold_p50_ms": statistics.median(cold) * 1000, "cold_max_ms": max(cold) * 1000,
        }
    return {"queries": out, "params": calls["params"], "overall_peak_rss_mb": overall_peak_mb()}


def task_xlsx_vs_csv(rows: int = 50_000, repeat: int = 3) -> dict:
    """The same ledger data as .xlsx (python-calamine) and as CSV through the whole ETL batch."""
    from benchmarks.xlsx_vs_csv import measure

    return measure(rows, repeat)
