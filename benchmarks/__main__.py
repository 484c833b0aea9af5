"""python -m benchmarks --scale 1 10 100 [--sources ...] [--out results.json]
python -m benchmarks --reports [...]   report generation timings (benchmarks/reports.py)
python -m benchmarks --delivery [...]  small deliveries into the 1x/10x/100x warehouses (benchmarks/delivery.py)"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from benchmarks.report import table  # noqa: E402
from benchmarks.runner import DEFAULT_SOURCES, run  # noqa: E402

LATEST = Path(__file__).resolve().parent / "results" / "latest.json"


def parse(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("--scale", type=float, nargs="+", default=[1.0, 10.0],
                    help="scale factors of the demo data (1 = Stockholm size); default 1 10")
    ap.add_argument("--sources", nargs="+", default=DEFAULT_SOURCES,
                    help="sources whose ETL is compared with the floor and the naive pipeline "
                         "(all sources are loaded regardless); default: %(default)s")
    ap.add_argument("--out", default=str(LATEST), help="JSON results file; default benchmarks/results/latest.json")
    ap.add_argument("--seed", type=int, default=2013)
    ap.add_argument("--end-month", default=None, help="last month of the demo data (YYYY-MM); shorter = faster")
    ap.add_argument("--repeat", type=int, default=30, help="warm repetitions per query (p50/p95)")
    ap.add_argument("--cold-repeat", type=int, default=5, help="cold runs per query (fresh Warehouse each)")
    ap.add_argument("--grain", default="tertial", help="period grain for the app queries")
    ap.add_argument("--no-naive", action="store_true", help="skip the naive pandas + GX COMPLETE pipeline")
    ap.add_argument("--naive-max-scale", type=float, default=10,
                    help="run the naive pipeline only up to this scale (pandas cannot hold a 100x export); "
                         "default %(default)s")
    ap.add_argument("--merge", nargs="+", default=[],
                    help="earlier result JSONs: their runs at scales not run now join this result "
                         "(growth and targets are computed over all runs; each run keeps its own start time)")
    ap.add_argument("--naive-timeout-min", type=float, default=None,
                    help="give up the naive pipeline (run last) after this many minutes per scale")
    ap.add_argument("--work-dir", default=None, help="where to generate data (default: a temp dir, removed after)")
    ap.add_argument("--keep", action="store_true", help="keep generated data and warehouses")
    ap.add_argument("--max-rss-gb", type=float, default=None,
                    help="kill a step whose RSS exceeds this (default: 85%% of available memory at start)")
    ap.add_argument("--timeout-min", type=float, default=None, help="kill a step that runs longer than this")
    ap.add_argument("--table-out", default=None, help="also write the plain-text table to this file")
    ap.add_argument("--xlsx-rows", type=int, default=50_000,
                    help="rows of the same data loaded as .xlsx and as CSV (figure xlsx/CSV, target <= 2); "
                         "0 skips it; default %(default)s")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    import signal

    argv = sys.argv[1:] if argv is None else list(argv)
    if "--reports" in argv:  # report generation (issue 11): its own options, see benchmarks/reports.py
        from benchmarks.reports import main as reports_main

        return reports_main([a for a in argv if a != "--reports"])
    if "--delivery" in argv:  # small deliveries through `python -m etl load` (issue 16): see benchmarks/delivery.py
        from benchmarks.delivery import main as delivery_main

        return delivery_main([a for a in argv if a != "--delivery"])

    # SIGTERM → SystemExit, so the running child is killed too (benchmarks.child.run_child)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    opts = parse(argv)
    result = run(opts)
    text = table(result)
    print(text)
    if opts.table_out:
        Path(opts.table_out).write_text(text + "\n", encoding="utf-8")
    failed = any(r.get("errors") for r in result["runs"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
