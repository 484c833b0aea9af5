"""`python -m pipeline` (alias `python -m etl`): demo | load | status | quarantine.

Exit codes: 0 all loaded (or unchanged), 1 loaded with rows quarantined, 2 a batch rejected or bad usage.
`demo` exits 0 when nothing was rejected (its deliberately bad rows are expected in quarantine).
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import duckdb
from tqdm import tqdm

from etl.contracts import Contract, load_contracts
from etl.gate import warm_up_in_background
from etl.load import BatchResult, load_batch
from pipeline.publish import publish
from settings import warehouse_path
from etl.readers import SourceData, read_file, read_sql

EXIT_OK, EXIT_QUARANTINED, EXIT_REJECTED = 0, 1, 2
REASONS_SHOWN = 10


class UsageError(Exception):
    pass


@dataclass
class PlannedBatch:
    contract: Contract
    name: str
    read: Callable[[], SourceData]


def detect_source(name: str) -> Contract:
    """The contract whose source name is the longest prefix of the file stem."""
    stem = Path(name).stem.lower()
    matches = [c for s, c in load_contracts().items() if stem.startswith(s)]
    if not matches:
        known = ", ".join(sorted(load_contracts()))
        raise UsageError(f"{name}: cannot tell which source this is; the file name must start with one of "
                         f"{known}, or give --source")
    return max(matches, key=lambda c: len(c.source))


def contract_named(source: str) -> Contract:
    try:
        return load_contracts()[source]
    except KeyError:
        raise UsageError(f"unknown source '{source}'; known sources: {', '.join(sorted(load_contracts()))}")


def plan_files(paths: list[Path], source: str | None = None) -> list[PlannedBatch]:
    """Batches in dependency order (dimensions first); the given order is kept within a source."""
    order = {s: i for i, s in enumerate(load_contracts())}
    planned = []
    for path in paths:
        contract = contract_named(source) if source else detect_source(path.name)
        planned.append(PlannedBatch(contract, path.name, lambda p=path: read_file(p)))
    return sorted(planned, key=lambda b: order[b.contract.source])


def plan_sql(url: str, source: str | None, query: str | None, table: str | None) -> PlannedBatch:
    if bool(query) == bool(table):
        raise UsageError(f"{url}: a SQL source needs exactly one of --query or --table")
    if source:
        contract = contract_named(source)
    elif table:
        contract = detect_source(table)
    else:
        raise UsageError(f"{url}: give --source for a --query extract")
    return PlannedBatch(contract, url, lambda: read_sql(url, query=query, table=table))


def run_batches(planned: list[PlannedBatch], warehouse: Path | None = None,
                with_marts: bool = True, origin: str | None = None) -> list[BatchResult]:
    """Load all batches of one command in one staging copy and publish once. `origin` ('demo' or
    'loaded') is written to warehouse_meta: the demo login is offered only on a demo warehouse."""
    if planned:
        warm_up_in_background()

    def work(con):
        results = []
        for batch in tqdm(planned, desc="Loading", unit="file", disable=None, file=sys.stderr):
            results.append(load_batch(con, batch.contract, batch.read, batch.name))
        return results
    return publish(work, warehouse, with_marts, meta={"origin": origin} if origin else None)


def exit_code(results: list[BatchResult]) -> int:
    if any(r.status == "rejected" for r in results):
        return EXIT_REJECTED
    if any(r.rows_quarantined for r in results):
        return EXIT_QUARANTINED
    return EXIT_OK


def report(results: list[BatchResult]) -> None:
    for r in results:
        print(f"[{r.status}] batch {r.batch_id} {r.source}: {r.message}")
        for reason in r.reasons[:REASONS_SHOWN]:
            print(f"    quarantined: {reason}")
        if len(r.reasons) > REASONS_SHOWN:
            print(f"    … {len(r.reasons) - REASONS_SHOWN} more problems: python -m etl quarantine "
                  f"--batch {r.batch_id}")


def cmd_load(args) -> int:
    urls = [p for p in args.paths if "://" in p]
    if urls and len(args.paths) > 1:
        raise UsageError("load either one SQL connection URL or files, not both")
    if urls:
        planned = [plan_sql(urls[0], args.source, args.query, args.table)]
    else:
        if args.query or args.table:
            raise UsageError("--query and --table only apply to a SQL connection URL")
        planned = plan_files([Path(p) for p in args.paths], args.source)
    results = run_batches(planned, origin="loaded")
    report(results)
    return exit_code(results)


def cmd_demo(args) -> int:
    from etl import demo

    started = time.perf_counter()
    warm_up_in_background()
    sample_dir = Path(args.sample_dir)
    print(f"Generating demo data (scale {args.scale}, seed {args.seed}) into {sample_dir} …")
    paths = demo.generate(sample_dir, seed=args.seed, end_month=args.end, scale=args.scale)
    generated = time.perf_counter()
    results = run_batches(plan_files([Path(p) for p in paths]), origin="demo")
    report(results)
    print(f"Demo warehouse published to {warehouse_path()}: generated in {generated - started:.1f} s, "
          f"loaded and published in {time.perf_counter() - generated:.1f} s")
    # The demo data contains deliberately bad rows to show the quarantine: only a rejection fails the demo.
    return EXIT_REJECTED if exit_code(results) == EXIT_REJECTED else EXIT_OK


def _read_only():
    path = warehouse_path()
    if not path.exists():
        raise UsageError(f"no warehouse at {path}; load data first (python -m etl demo or python -m etl load)")
    return duckdb.connect(str(path), read_only=True)


def cmd_status(args) -> int:
    con = _read_only()
    try:
        rows = con.execute("""SELECT batch_id, status, source, file_name, rows_read, rows_loaded,
                                     rows_quarantined, rows_replaced, finished_at, message
                              FROM etl_batches ORDER BY batch_id DESC LIMIT ?""", [args.limit]).fetchall()
    finally:
        con.close()
    for b, status, source, name, read, loaded, quarantined, replaced, finished, message in rows:
        print(f"batch {b} [{status}] {source} {name} at {finished:%Y-%m-%d %H:%M:%S}: read {read}, "
              f"loaded {loaded}, quarantined {quarantined}, replaced {replaced}\n    {message}")
    if not rows:
        print("No batches loaded yet.")
    return EXIT_OK


def cmd_quarantine(args) -> int:
    con = _read_only()
    where, params = ("WHERE batch_id = ?", [args.batch]) if args.batch is not None else ("", [])
    try:
        rows = con.execute(f"""SELECT batch_id, rule, reason, raw_values FROM etl_quarantine {where}
                               ORDER BY batch_id DESC, source_row, column_name LIMIT ?""",
                           [*params, args.limit]).fetchall()
    finally:
        con.close()
    for batch_id, rule, reason, raw in rows:
        print(f"batch {batch_id} [{rule}] {reason}\n    raw values: {raw}")
    if not rows:
        print("No quarantined rows" + (f" in batch {args.batch}." if args.batch is not None else "."))
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m etl", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="generate the demo sources, load them all and publish")
    demo.add_argument("--scale", type=float, default=1.0)
    demo.add_argument("--seed", type=int, default=2013)
    demo.add_argument("--end", default=None, metavar="YYYY-MM", help="last month of demo data")
    demo.add_argument("--sample-dir", default="data/sample")
    load = sub.add_parser("load", help="load files (.csv .xlsx .parquet) or one SQL connection URL")
    load.add_argument("paths", nargs="+", metavar="PATH")
    load.add_argument("--source", help="contract source name (default: from the file name prefix)")
    extract = load.add_mutually_exclusive_group()
    extract.add_argument("--query", help="SQL query for a connection URL")
    extract.add_argument("--table", help="table to read from a connection URL")
    status = sub.add_parser("status", help="recent batches")
    status.add_argument("--limit", type=int, default=20)
    quarantine = sub.add_parser("quarantine", help="quarantined rows with their reasons")
    quarantine.add_argument("--batch", type=int)
    quarantine.add_argument("--limit", type=int, default=200)
    return p


COMMANDS = {"demo": cmd_demo, "load": cmd_load, "status": cmd_status, "quarantine": cmd_quarantine}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_REJECTED
    except (duckdb.Error, OSError) as err:
        print(f"error: {err.__class__.__name__}: {err}; the published warehouse was not changed", file=sys.stderr)
        return EXIT_REJECTED
    except Exception as err:  # never a traceback for the user; each batch already reports its own failure
        first = (str(err).splitlines() or [""])[0]
        print(f"error: {err.__class__.__name__}: {first}; the published warehouse was not changed", file=sys.stderr)
        return EXIT_REJECTED
