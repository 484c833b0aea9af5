"""Report generation timings (issue 11): one committee's tertial report, and every committee's.

    .venv/bin/python -m benchmarks --reports [--warehouse PATH] [--period 2026-T2] [--workers 2]
    .venv/bin/python -m benchmarks.reports   (the same)

Figures, each the median of --repeat runs:
* `committee_pdf_cli_s` — `python -m reports committee CODE --format pdf` end to end in a new process
  (interpreter start, imports, warehouse attach, queries, layout, write). Target ≤ 3 s.
* `committee_pdf_render_s` / `_docx_` / `_xlsx_` — gathering the data and rendering in a warm process.
* `all_pdf_cli_s` — `python -m reports committee --all --format pdf` for every committee with --workers
  processes (default 2). Target ≤ 60 s for 36 committees on 2 cores.
Targets are reported, not asserted (docs/benchmark.md)."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "reports.json"
TARGETS = {"committee_pdf_cli_s": 3.0, "all_pdf_cli_s": 60.0}


def parse(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks --reports")
    ap.add_argument("--warehouse", default=None, help="default: settings.warehouse_path()")
    ap.add_argument("--period", default=None, help="default: the latest complete tertial")
    ap.add_argument("--committee", default="SKARHOLMEN")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=str(OUT))
    return ap.parse_args(argv)


def _timed(cmd: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children): on a shared machine the CPU time
    says what the run costs when the wall time is inflated by other load."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr[-2000:]}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run(opts) -> dict:
    from metrics import query
    from metrics.warehouse import Warehouse
    from reports import model
    from reports.render import render
    from settings import warehouse_path

    wh_path = Path(opts.warehouse or warehouse_path())
    wh = Warehouse(wh_path)
    period = opts.period or query.latest_complete_period(wh, "tertial")
    n_committees = len(query.committees(wh))
    env = dict(os.environ, SCORECARD_WAREHOUSE=str(wh_path), TQDM_DISABLE="1")
    result = {"warehouse": str(wh_path), "period": period, "committee": opts.committee, "committees": n_committees,
              "workers": opts.workers, "cpu_count": os.cpu_count(), "loadavg_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        from followup.store import Store

        url = f"sqlite:///{tmp}/bench_followup.sqlite"
        Store(url).dispose()  # an installation's store: migrated, here without analyses
        env["SCORECARD_FOLLOWUP_URL"] = url
        one = [_timed([sys.executable, "-m", "reports", "committee", opts.committee, "--period", period, "--format", "pdf",
                       "--out", f"{tmp}/one.pdf"], env) for _ in range(opts.repeat)]
        result["committee_pdf_cli_s"] = statistics.median(w for w, _ in one)
        result["committee_pdf_cli_cpu_s"] = statistics.median(c for _, c in one)
        for fmt in ("pdf", "docx", "xlsx"):
            times = []
            for _ in range(opts.repeat + 1):
                t0 = time.perf_counter()
                render(model.committee_report(wh, opts.committee, period), fmt)
                times.append(time.perf_counter() - t0)
            result[f"committee_{fmt}_render_s"] = statistics.median(times[1:])  # the first warms the imports
        every = [_timed([sys.executable, "-m", "reports", "committee", "--all", "--period", period, "--format", "pdf",
                         "--workers", str(opts.workers), "--out", f"{tmp}/all"], env) for _ in range(max(1, opts.repeat - 1))]
        result["all_pdf_cli_s"] = statistics.median(w for w, _ in every)
        result["all_pdf_cli_cpu_s"] = statistics.median(c for _, c in every)
        result["all_pdf_files"] = len(list(Path(f"{tmp}/all").glob("*.pdf")))
    result["loadavg_after"] = os.getloadavg()[0]
    result["targets"] = {k: {"target_s": v, "met": result[k] <= v} for k, v in TARGETS.items()}
    return result


def main(argv=None) -> int:
    opts = parse(argv)
    result = run(opts)
    Path(opts.out).parent.mkdir(parents=True, exist_ok=True)
    Path(opts.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for k, v in result.items():
        if k.endswith("_s"):
            target = TARGETS.get(k)
            print(f"{k:28} {v:7.2f} s" + (f"   (target ≤ {target:.0f} s: {'met' if v <= target else 'NOT met'})" if target else ""))
    print(f"{result['all_pdf_files']} PDFs for {result['committees']} committees, {result['workers']} workers, "
          f"load average {result['loadavg_before']:.1f} → {result['loadavg_after']:.1f}")
    return 0 if all(t["met"] for t in result["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
