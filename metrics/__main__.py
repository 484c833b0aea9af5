"""`python -m metrics build [--warehouse PATH]`: rebuild the marts in a warehouse file in place.

The ETL builds marts on its staging copy before publishing (incrementally: only what its loads changed);
this command always rebuilds in full (`--full` says so explicitly), e.g. after a change to the measure
declarations. It needs the file unopened by writers (readers are fine only
until it finishes: they should re-attach).

It works on a plain warehouse file only. A published warehouse with a Parquet fact store
(docs/storage.md: warehouse_meta names `store_path`) is never changed in place — its facts and the models
kept per month are files of a published version — so there the command refuses and names the one that
rebuilds and publishes it: `python -m etl build`."""
from __future__ import annotations

import argparse
import logging
import sys

import duckdb

from metrics.build import build_marts
from metrics.warehouse import warehouse_path


def _store_path(con) -> str | None:
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'warehouse_meta' "
                       "AND database_name = current_database()").fetchone()[0]:
        return None
    row = con.execute("SELECT value FROM warehouse_meta WHERE key = 'store_path'").fetchone()
    return row[0] if row else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m metrics")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="compute measure_values, perspective/overall scores and indicators")
    build.add_argument("--warehouse", default=None, help="warehouse file (default: SCORECARD_WAREHOUSE or data/warehouse.duckdb)")
    build.add_argument("--full", action="store_true",
                       help="rebuild every model, measure and period (the default here: no load recorded changes)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    path = args.warehouse or warehouse_path()
    con = duckdb.connect(str(path))
    try:
        if _store_path(con):
            print(f"error: {path} is a published warehouse with a Parquet fact store ({_store_path(con)}); it is "
                  "never changed in place. Rebuild and publish it with: python -m etl build "
                  f"(SCORECARD_WAREHOUSE={path})", file=sys.stderr)
            return 2
        timings = build_marts(con)
    finally:
        con.close()
    counts = ", ".join(f"{k} {v:.2f} s" for k, v in timings.items() if isinstance(v, float))
    print(f"marts built in {path}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
