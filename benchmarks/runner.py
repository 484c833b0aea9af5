"""Orchestration: for each scale factor, generate → ETL → floor → naive → marts → queries,
each in its own child process; then ratios, growth and targets from figures of this same run."""
from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.child import ChildFailed, run_child
from benchmarks.sources import BIG_SOURCES

QUERY_NAMES = ["city_overview", "scorecard", "measure_series", "measure_ranking", "drilldown"]


def machine() -> dict:
    info = {"python": platform.python_version(), "platform": platform.platform(), "cores": os.cpu_count()}
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        info["cpu"] = platform.processor()
    try:
        for line in open("/proc/meminfo", encoding="utf-8"):
            if line.startswith("MemTotal"):
                info["ram_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    import duckdb
    import pandas

    info["duckdb"] = duckdb.__version__
    try:
        import subprocess

        root = Path(__file__).resolve().parent.parent
        info["git_commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                                            text=True, timeout=10).stdout.strip() or None
        info["git_commit"] = info["git_commit"] or os.environ.get("BENCH_GIT_COMMIT")
    except Exception:  # noqa: BLE001
        pass
    info["pandas"] = pandas.__version__
    try:
        from importlib.metadata import version

        info["great_expectations"] = version("great_expectations")
    except Exception:  # noqa: BLE001
        pass
    return info


def _log(msg: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _step(run: dict, name: str, task: str, timeout: float | None = None, **kwargs):
    t0 = time.perf_counter()
    _log(f"  {name} ...")
    try:
        res = run_child(task, timeout=timeout or _step.timeout, **kwargs)
        _log(f"  {name} done in {time.perf_counter() - t0:.1f} s (peak RSS {res['peak_rss_mb']:.0f} MB)")
        return res
    except ChildFailed as err:
        _log(f"  {name} FAILED: {err}")
        run.setdefault("errors", {})[name] = str(err)
        return None
    finally:
        run.setdefault("loadavg_1min", {})[name] = round(os.getloadavg()[0], 2)


_step.timeout = None


def _resumable(run: dict, name: str, task: str, keys: list[str], progress: Path, timeout: float | None = None,
               **kwargs) -> dict | None:
    """Run a per-source task; if its child dies (OOM, watchdog, timeout) on one source, record that
    source as failed and go on with the rest in a new child."""
    from benchmarks.child import run_child

    done: dict = {}
    failed: dict = {}
    extra: dict = {}
    peaks: list[float] = []
    while True:
        remaining = [k for k in keys if k not in done and k not in failed]
        if not remaining:
            break
        progress.unlink(missing_ok=True)
        t0 = time.perf_counter()
        _log(f"  {name} ({', '.join(remaining)}) ...")
        try:
            res = run_child(task, timeout=timeout or _step.timeout, skip=list(done) + list(failed),
                            progress=str(progress), **kwargs)
            done.update(res.pop("sources"))
            peaks.append(res.pop("peak_rss_mb"))
            extra.update(res)
            _log(f"  {name} done in {time.perf_counter() - t0:.1f} s (peak RSS {peaks[-1]:.0f} MB)")
        except ChildFailed as err:
            msg = str(err)
            part = json.loads(progress.read_text(encoding="utf-8")) if progress.exists() else {}
            done.update(part.get("sources") or {})
            if part.get("overall_peak_rss_mb"):
                peaks.append(part["overall_peak_rss_mb"])
            for k, v in part.items():
                if k not in ("sources", "running", "overall_peak_rss_mb"):
                    extra.setdefault(k, v)
            running = part.get("running")
            if running and running in remaining:
                failed[running] = msg
                _log(f"  {name} FAILED on {running}: {msg.splitlines()[0]}; going on with the rest")
            else:
                for k in remaining:
                    failed[k] = msg
                _log(f"  {name} FAILED: {msg}")
        finally:
            run.setdefault("loadavg_1min", {})[name] = round(os.getloadavg()[0], 2)
    progress.unlink(missing_ok=True)
    if failed:
        run.setdefault("errors", {}).update({f"{name}[{k}]": v for k, v in failed.items()})
    if not done:
        return None
    return {"sources": done, "failed": sorted(failed), "peak_rss_mb": max(peaks) if peaks else None, **extra}


def _count_rows(paths: list[str]) -> int:
    """Data lines of CSV files (header excluded); parquet via pyarrow metadata."""
    n = 0
    for p in paths:
        if p.endswith(".xlsx"):
            import openpyxl

            n += max(openpyxl.load_workbook(p, read_only=True).worksheets[0].max_row - 1, 0)
            continue
        if p.endswith(".parquet"):
            import pyarrow.parquet as pq

            n += pq.ParquetFile(p).metadata.num_rows
            continue
        with open(p, "rb") as f:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b""))
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":
                lines += 1
        n += max(lines - 1, 0)
    return n


def run_scale(scale: float, base: Path, sources: list[str], opts, save=lambda run: None) -> dict:
    run: dict = {"scale": scale, "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    work = base / f"scale_{scale:g}"
    src_dir = work / "sources"
    work.mkdir(parents=True, exist_ok=True)
    for stale in [*work.glob("warehouse*"), *work.glob("*_progress.json"), *work.glob("floor_*"), *work.glob("naive_*")]:
        # a kept work dir from an earlier run: only the generated sources are reused (the fact store
        # beside a warehouse, warehouse.parquet/, is a directory)
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale)
        else:
            stale.unlink()
    t_scale = time.perf_counter()
    _log(f"scale {scale:g}: {work}")

    gen = _step(run, "generate", "generate", out_dir=str(src_dir), scale=scale, seed=opts.seed,
                end_month=opts.end_month)
    if not gen:
        return run
    files = gen["files"]
    run["generate"] = {"seconds": gen["seconds"], "peak_rss_mb": gen["peak_rss_mb"], "bytes": gen["bytes"],
                       "unrecognised": gen["unrecognised"], "reused": bool(gen.get("reused"))}
    # rows per source as the generator reports them (data rows; incidents: event-log rows)
    run["rows"] = {s: int(gen["rows"].get(s) or _count_rows(ps)) for s, ps in files.items()}
    if gen.get("incident_records"):
        run["incident_records"] = gen["incident_records"]
    selected = {s: files[s] for s in sources if s in files}
    missing = [s for s in sources if s not in files]
    if missing:
        run["missing_sources"] = missing

    wh = work / "warehouse.duckdb"
    from benchmarks.tasks import etl_groups

    keys = [k for k, _, _ in etl_groups(files, list(selected))]
    etl = _resumable(run, "etl", "etl", keys, work / "etl_progress.json", warehouse=str(wh), files=files,
                     big_sources=list(selected))
    if etl:
        run["etl"] = etl["sources"]
        run["etl_peak_rss_mb"] = etl["peak_rss_mb"]
        run["etl_marts_stubbed"] = etl.get("marts_stubbed")
        run["etl_gx_warmup_s"] = etl.get("gx_warmup_s")
        run["warehouse_bytes"] = wh.stat().st_size if wh.exists() else 0

    save(run)
    floor = _resumable(run, "floor", "floor", list(selected), work / "floor_progress.json", files=selected,
                       work_dir=str(work))
    if floor:
        run["floor"] = floor["sources"]
        run["floor_peak_rss_mb"] = floor["peak_rss_mb"]

    save(run)
    if wh.exists():
        wh_marts = work / "warehouse_marts.duckdb"
        marts = _step(run, "marts", "marts", warehouse=str(wh), out_warehouse=str(wh_marts))
        if marts:
            run["marts"] = {k: marts[k] for k in ("build_seconds", "build_cpu_seconds", "build_peak_rss_mb", "scan", "mart_rows", "build_phases")
                            if k in marts}
            run["marts"]["peak_rss_mb"] = marts["peak_rss_mb"]
            queries = _step(run, "queries", "queries", warehouse=str(wh_marts), repeat=opts.repeat,
                            cold_repeat=opts.cold_repeat, grain=opts.grain)
            if queries:
                run["queries"] = queries["queries"]
                run["query_params"] = queries["params"]
                run["queries_peak_rss_mb"] = queries["peak_rss_mb"]
    save(run)

    # last, because it is the slowest step and only a yardstick: a timeout here loses nothing else
    if opts.no_naive or scale > getattr(opts, "naive_max_scale", float("inf")):
        run["naive_skipped"] = "--no-naive" if opts.no_naive else f"scale above --naive-max-scale {opts.naive_max_scale:g}"
    else:
        naive = _resumable(run, "naive", "naive", list(selected), work / "naive_progress.json",
                           timeout=opts.naive_timeout_min * 60 if opts.naive_timeout_min else None,
                           files=selected, work_dir=str(work), warehouse=str(wh) if wh.exists() else None)
        if naive:
            run["naive"] = naive["sources"]
            run["naive_peak_rss_mb"] = naive["peak_rss_mb"]
    run["wall_seconds"] = time.perf_counter() - t_scale
    derive(run)
    if not opts.keep:
        shutil.rmtree(work, ignore_errors=True)
    return run


def derive(run: dict) -> None:
    """Rates and ratios, only from figures measured in this run."""
    ratios = {}
    for s, e in (run.get("etl") or {}).items():
        if not e.get("big"):
            continue
        rows = e.get("rows_read") or run.get("rows", {}).get(s, 0)
        r = {"rows": rows, "etl_s": e["seconds"], "etl_rows_per_s": rows / e["seconds"] if e["seconds"] else None}
        f = (run.get("floor") or {}).get(s, {})
        if f.get("seconds"):
            r["floor_s"] = f["seconds"]
            r["floor_rows_per_s"] = f["rows"] / f["seconds"]
            r["etl_vs_floor"] = e["seconds"] / f["seconds"]
            if e.get("cpu_seconds") and f.get("cpu_seconds"):
                r["etl_vs_floor_cpu"] = e["cpu_seconds"] / f["cpu_seconds"]
        n = (run.get("naive") or {}).get(s, {})
        if n.get("seconds"):
            r["naive_s"] = n["seconds"]
            r["etl_vs_naive"] = e["seconds"] / n["seconds"]
            # the ETL and naive children run minutes apart on a shared machine: CPU time beside wall
            if e.get("cpu_seconds") and n.get("cpu_seconds"):
                r["etl_vs_naive_cpu"] = e["cpu_seconds"] / n["cpu_seconds"]
        ratios[s] = r
    if ratios:
        tot_e = sum(r["etl_s"] for r in ratios.values())
        tot_f = sum(r.get("floor_s", 0) for r in ratios.values())
        tot_n = sum(r.get("naive_s", 0) for r in ratios.values())
        ratios["_total"] = {"rows": sum(r["rows"] for r in ratios.values()), "etl_s": tot_e,
                            "floor_s": tot_f or None, "naive_s": tot_n or None,
                            "etl_vs_floor": tot_e / tot_f if tot_f else None,
                            "etl_vs_naive": tot_e / tot_n if tot_n else None}
    run["etl_ratios"] = ratios
    m = run.get("marts")
    if m and m["scan"]["seconds"]:
        m["ratio_to_scan"] = m["build_seconds"] / m["scan"]["seconds"]
        if m.get("build_cpu_seconds") and m["scan"].get("cpu_seconds"):
            m["ratio_to_scan_cpu"] = m["build_cpu_seconds"] / m["scan"]["cpu_seconds"]


def growth(runs: list[dict]) -> dict:
    """For consecutive scales: per figure the raw factor, the data factor it is set against (the
    source's own rows for per-source figures, total source rows otherwise; dimensions such as committees
    and e-services do not scale), and the factor normalised to 10x data: raw ** (1 / log10(data factor)).
    'Linear' is ≈ 10."""
    import math

    def figures(run: dict) -> dict:
        total = sum(run.get("rows", {}).values())
        f = {}
        for s, r in run.get("etl_ratios", {}).items():
            rows = r.get("rows") if s != "_total" else total
            f[f"etl_s[{s}]"] = (r.get("etl_s"), rows)
            f[f"etl_cpu_s[{s}]"] = (((run.get("etl") or {}).get(s) or {}).get("cpu_seconds"), rows)
            f[f"floor_s[{s}]"] = (r.get("floor_s"), rows)
            f[f"naive_s[{s}]"] = (r.get("naive_s"), rows)
            f[f"etl_rss_mb[{s}]"] = (((run.get("etl") or {}).get(s) or {}).get("peak_rss_mb"), rows)
        if run.get("marts"):
            f["marts_build_s"] = (run["marts"]["build_seconds"], total)
            f["marts_build_cpu_s"] = (run["marts"].get("build_cpu_seconds"), total)
            f["raw_scan_s"] = (run["marts"]["scan"]["seconds"], total)
        for q, v in (run.get("queries") or {}).items():
            f[f"query_warm_p95_ms[{q}]"] = (v["warm_p95_ms"], total)
            f[f"query_cold_p50_ms[{q}]"] = (v["cold_p50_ms"], total)
        f["etl_peak_rss_mb"] = (run.get("etl_peak_rss_mb"), total)
        f["queries_peak_rss_mb"] = (run.get("queries_peak_rss_mb"), total)
        return {k: v for k, v in f.items() if v[0] and v[1]}

    out = {}
    for a, b in zip(runs, runs[1:]):
        ra, rb = sum(a.get("rows", {}).values()), sum(b.get("rows", {}).values())
        if not ra or not rb or rb <= ra:
            continue
        fa, fb = figures(a), figures(b)
        step = {"data_factor": rb / ra, "figures": {}}
        for k in fa:
            if k in fb:
                raw = fb[k][0] / fa[k][0]
                data = fb[k][1] / fa[k][1]
                per10 = raw ** (1 / math.log10(data)) if data > 1.5 and raw > 0 else None
                step["figures"][k] = {"raw": raw, "data": data, "per_10x": per10}
        out[f"{a['scale']:g}->{b['scale']:g}"] = step
    return out


def targets(runs: list[dict], grow: dict, target_scale: float = 10) -> list[dict]:
    by = {r["scale"]: r for r in runs}
    ref = by.get(target_scale) or (runs[-1] if runs else {})
    at = f"{ref.get('scale', 0):g}x"
    out = []
    tot = (ref.get("etl_ratios") or {}).get("_total", {})
    for s, r in (ref.get("etl_ratios") or {}).items():
        if s != "_total" and r.get("etl_vs_floor") is not None:
            out.append({"target": f"ETL {s} <= 2.0x DuckDB floor ({at})", "value": r["etl_vs_floor"], "limit": 2.0,
                        "met": r["etl_vs_floor"] <= 2.0})
    if tot.get("etl_vs_floor") is not None:
        out.append({"target": f"ETL all big sources <= 2.0x DuckDB floor ({at})", "value": tot["etl_vs_floor"],
                    "limit": 2.0, "met": tot["etl_vs_floor"] <= 2.0})
    if ref.get("scale") == target_scale and tot.get("etl_vs_floor") is not None:  # issue 16, item 3
        out.append({"target": f"ETL all big sources <= 1.5x DuckDB floor ({at})", "value": tot["etl_vs_floor"],
                    "limit": 1.5, "met": tot["etl_vs_floor"] <= 1.5})
    one = by.get(1)   # issue 16, item 3: at the city's real size every big source <= naive and <= 2x floor
    for s, r in ((one or {}).get("etl_ratios") or {}).items():
        if s == "_total":
            continue
        if r.get("etl_vs_naive") is not None:
            out.append({"target": f"ETL {s} <= 1.0x the naive pipeline (1x)", "value": r["etl_vs_naive"],
                        "limit": 1.0, "met": r["etl_vs_naive"] <= 1.0, "cpu_ratio": r.get("etl_vs_naive_cpu")})
        if r.get("etl_vs_floor") is not None and one is not ref:  # (at 1x only, the floor targets above are these)
            out.append({"target": f"ETL {s} <= 2.0x DuckDB floor (1x)", "value": r["etl_vs_floor"], "limit": 2.0,
                        "met": r["etl_vs_floor"] <= 2.0, "cpu_ratio": r.get("etl_vs_floor_cpu")})
    m = ref.get("marts")
    if m and m.get("ratio_to_scan") is not None:
        out.append({"target": f"measure build <= 3x one raw scan ({at})", "value": m["ratio_to_scan"], "limit": 3.0,
                    "met": m["ratio_to_scan"] <= 3.0})
    for q, v in (ref.get("queries") or {}).items():
        out.append({"target": f"query {q} warm p95 <= 100 ms ({at})", "value": v["warm_p95_ms"], "limit": 100.0,
                    "met": v["warm_p95_ms"] <= 100.0})
    # growth: per-10x factor of data ≤ 10 (linear) with 20 % allowance for timer noise at small figures
    for step, g in grow.items():
        worst = [(k, v["per_10x"]) for k, v in g["figures"].items()
                 if v["per_10x"] is not None and not k.startswith(("floor_", "naive_", "raw_scan"))]
        if worst:
            k, v = max(worst, key=lambda kv: kv[1])
            out.append({"target": f"growth {step}: worst figure per 10x data <= 10 (linear, +20% noise)",
                        "value": v, "limit": 12.0, "met": v <= 12.0, "figure": k})
    for r in runs:
        if r["scale"] >= 100:
            ok = not r.get("errors") and bool(r.get("queries"))
            out.append({"target": f"{r['scale']:g}x completes on this machine", "value": r.get("wall_seconds"),
                        "limit": None, "met": ok, "errors": list((r.get("errors") or {}).keys())})
    return out


def merged_runs(runs: list[dict], paths: list[str]) -> list[dict]:
    """This run's scales plus earlier runs (from result JSONs) at other scales, ordered by scale."""
    have = {r["scale"] for r in runs}
    out = list(runs)
    for path in paths:
        earlier = json.loads(Path(path).read_text(encoding="utf-8"))
        for r in earlier.get("runs", []):
            if r["scale"] not in have:
                r.setdefault("started_at", earlier.get("started_at"))
                r["merged_from"] = {"file": Path(path).name, "commit": (earlier.get("machine") or {}).get("git_commit")}
                out.append(r)
                have.add(r["scale"])
    return sorted(out, key=lambda r: r["scale"])


def _available_mb() -> float | None:
    try:
        for line in open("/proc/meminfo", encoding="utf-8"):
            if line.startswith("MemAvailable"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def run(opts) -> dict:
    from benchmarks import child

    if opts.max_rss_gb:
        child.MAX_RSS_MB = opts.max_rss_gb * 1024
    elif _available_mb():
        child.MAX_RSS_MB = 0.85 * _available_mb()
    base = Path(opts.work_dir) if opts.work_dir else Path(tempfile.mkdtemp(prefix="scorecard-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    result = {"started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
              "config": {"scales": opts.scale, "sources": opts.sources, "seed": opts.seed,
                         "end_month": opts.end_month, "repeat": opts.repeat, "cold_repeat": opts.cold_repeat,
                         "grain": opts.grain, "naive": not opts.no_naive},
              "runs": []}
    _step.timeout = opts.timeout_min * 60 if opts.timeout_min else None
    result["config"]["max_rss_mb"] = child.MAX_RSS_MB
    def save(partial: dict | None = None) -> None:
        runs = result["runs"] + ([partial] if partial is not None else [])
        if partial is not None:
            derive(partial)
            partial["partial"] = True
        result["growth"] = growth(runs)
        result["targets"] = targets(runs, result["growth"])
        result["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        if opts.out:  # after every step, so a long run leaves partial results
            Path(opts.out).parent.mkdir(parents=True, exist_ok=True)
            Path(opts.out).write_text(json.dumps({**result, "runs": runs}, indent=1, default=str), encoding="utf-8")
        if partial is not None:
            partial.pop("partial", None)

    for scale in opts.scale:
        result["runs"].append(run_scale(scale, base, opts.sources, opts, save))
        save()
    if getattr(opts, "merge", None):
        result["runs"] = merged_runs(result["runs"], opts.merge)
        save()
    if getattr(opts, "xlsx_rows", 0):
        xlsx = _step(result, "xlsx_vs_csv", "xlsx_vs_csv", rows=opts.xlsx_rows, repeat=3)
        if xlsx:
            result["xlsx_vs_csv"] = {k: xlsx[k] for k in ("rows", "csv_s", "xlsx_s", "ratio", "target_ratio")}
        save()
    if not opts.work_dir and not opts.keep:
        shutil.rmtree(base, ignore_errors=True)
    return result


DEFAULT_SOURCES = BIG_SOURCES
