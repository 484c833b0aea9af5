"""`python -m pipeline` (alias `python -m etl`): demo | load | build | status | quarantine | loader.

`build [--full]` rebuilds every declared model and measure from the loaded data and publishes the result
(the one command after upgrading the product or changing declarations; it also moves what an older
version kept in the catalog, e.g. int_incidents, into the Parquet fact store).

`load` takes files, or SOURCE=PATH to name a file's source (e.g. `incidents=incident_event_log.csv
incident_mapping=map.csv`), or one SQL connection URL. `--system NAME` names the ITSM instance of
incident exports without a source_system column; `--date-order mdy` reads month-first timestamps.

A file whose name matches no source is reported on its own line ("[rejected] FILE: cannot tell which
source this is …", with the names that would work) and the command's other files still load.

Exit codes: 0 all loaded (or unchanged), 1 loaded with rows quarantined, 2 a batch rejected (or a file
no source matches; the other files are still loaded and published) or bad usage.
`demo` exits 0 when nothing was rejected (its deliberately bad rows are expected in quarantine).
"""
from __future__ import annotations

import argparse
import difflib
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import duckdb
from tqdm import tqdm

from etl.contracts import Contract, OverrideError, load_contracts, with_local_allowed_values
from etl.gate import warm_up_in_background
from etl.load import BatchResult, load_batch
from pipeline.publish import publish
from etl.servicenow import DATE_ORDERS, with_date_order
from settings import allowed_values_override_path, default_itsm_system, warehouse_path
from etl.readers import SourceData, read_file, read_sql

EXIT_OK, EXIT_QUARANTINED, EXIT_REJECTED = 0, 1, 2
REASONS_SHOWN = 10


class UsageError(Exception):
    pass


@dataclass
class PlannedBatch:
    contract: Contract | None             # None: no source matches the file (`problem` says why)
    name: str
    read: Callable[[], SourceData] | None
    given: dict[str, str] | None = None   # column values from the command line (--system)
    problem: str | None = None            # why the file cannot be loaded at all (e.g. no source matches its name)


def contracts() -> dict[str, Contract]:
    """The product's contracts with this installation's extra allowed values (settings.allowed_values_override_path)."""
    try:
        return with_local_allowed_values(load_contracts(), allowed_values_override_path())
    except OverrideError as err:
        raise UsageError(str(err))


class UnknownSource(UsageError):
    """No source's name starts the file (or table) name."""


def detect_source(name: str) -> Contract:
    """The contract whose source name is the longest prefix of the file stem."""
    stem = Path(name).stem.lower()
    matches = [c for s, c in contracts().items() if stem.startswith(s)]
    if not matches:
        raise UnknownSource(unknown_source_message(name))
    return max(matches, key=lambda c: len(c.source))


def shown_name(name: str) -> str:
    """A file name as printed on one line: control characters (a line break in a name) escaped."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in name)


def unknown_source_message(name: str) -> str:
    """Which file, why, and what would work: the closest source names, SOURCE=PATH or --source."""
    known = sorted(contracts())
    stem = Path(name).stem.lower()
    # a source name misspelt at the start of the file name ("itcosts_2024", "systemer"): compare each
    # source name with as many leading characters of the name
    scored = sorted(((difflib.SequenceMatcher(None, stem[:len(s)], s).ratio(), s) for s in known), reverse=True)
    close = [s for ratio, s in scored if ratio >= 0.8][:3]
    guess = f"did you mean {' or '.join(close)}? " if close else ""
    example = close[0] if close else "incidents"
    shown = shown_name(name)
    return (f"{shown}: cannot tell which source this is; {guess}the file name must start with one of "
            f"{', '.join(known)}, or name it as SOURCE=PATH (e.g. {example}={shown}) or give --source")


def contract_named(source: str) -> Contract:
    try:
        return contracts()[source]
    except KeyError:
        raise UsageError(f"unknown source '{source}'; known sources: {', '.join(sorted(contracts()))}")


def split_source(arg: str) -> tuple[str | None, str]:
    """'incidents=exports/x.csv' → ('incidents', 'exports/x.csv'); a plain path → (None, path).
    Only a known source name before the first '=' counts, so paths containing '=' still work."""
    name, sep, rest = arg.partition("=")
    if sep and name in load_contracts():
        return name, rest
    return None, arg


def command_options(contract: Contract, system: str | None, date_order: str | None) -> tuple[Contract, dict | None]:
    """The contract and given column values for one batch under --system and --date-order."""
    given = None
    if "source_system" in contract.column_names:
        given = {"source_system": system or default_itsm_system()}
    if date_order and contract.timestamp_format:
        contract = with_date_order(contract, date_order)
    return contract, given


def plan_files(paths: list[Path | str], source: str | None = None, system: str | None = None,
               date_order: str | None = None) -> list[PlannedBatch]:
    """Batches in dependency order (dimensions first); the given order is kept within a source.
    A path may name its own source as SOURCE=PATH; else `source` (--source) or the file name decides.
    A file no source matches is planned with its `problem` (reported as rejected, nothing read):
    the command's other files still load. Files that match no source come first."""
    order = {s: i for i, s in enumerate(load_contracts())}
    planned = []
    for item in paths:
        named, path = split_source(str(item)) if isinstance(item, str) else (None, item)
        path = Path(path)
        chosen = named or source
        try:
            contract = contract_named(chosen) if chosen else detect_source(path.name)
        except UnknownSource as err:
            planned.append(PlannedBatch(None, path.name, None, problem=f"{err}; nothing loaded from this file"))
            continue
        contract, given = command_options(contract, system, date_order)
        planned.append(PlannedBatch(contract, path.name, lambda p=path: read_file(p), given))
    return sorted(planned, key=lambda b: order[b.contract.source] if b.contract else -1)


def plan_sql(url: str, source: str | None, query: str | None, table: str | None,
             system: str | None = None, date_order: str | None = None) -> PlannedBatch:
    if bool(query) == bool(table):
        raise UsageError(f"{url}: a SQL source needs exactly one of --query or --table")
    if source:
        contract = contract_named(source)
    elif table:
        contract = detect_source(table)
    else:
        raise UsageError(f"{url}: give --source for a --query extract")
    contract, given = command_options(contract, system, date_order)
    return PlannedBatch(contract, url, lambda: read_sql(url, query=query, table=table), given)


def run_batches(planned: list[PlannedBatch], warehouse: Path | None = None,
                with_marts: bool = True, origin: str | None = None) -> list[BatchResult]:
    """Load all batches of one command in one staging copy and publish once. `origin` ('demo' or
    'loaded') is written to warehouse_meta: the demo login is offered only on a demo warehouse.

    A planned file with a `problem` (no source matches it) gives a rejected result without a batch
    id and is not logged in the warehouse (it has no source); when no file of the command can be
    loaded at all nothing is published."""
    unloadable = [BatchResult(None, None, b.name, "rejected", b.problem) for b in planned if b.problem]
    loadable = [b for b in planned if not b.problem]
    if not loadable:
        return unloadable
    warm_up_in_background()

    def work(con):
        results = []
        for batch in tqdm(loadable, desc="Loading", unit="file", disable=None, file=sys.stderr):
            results.append(load_batch(con, batch.contract, batch.read, batch.name, batch.given))
        if with_marts:  # (the benchmark times the loads without the measure build)
            add_unattributed_notes(con, results)
        return results
    return unloadable + publish(work, warehouse, with_marts, meta={"origin": origin} if origin else None)


def add_unattributed_notes(con, results: list[BatchResult]) -> None:
    """Every incident accounted for: per loaded incident batch, how many incidents the attribution
    rule (metrics/models/int_incidents.sql) gives no committee and by which values: in the batch's
    message in etl_batches (so `status` and the data-quality page's history show it) and as lines of
    the load output. Runs in the staging copy, after every batch of the command (a mapping loaded in
    the same command counts)."""
    from metrics.quality_query import describe_unattributed, unattributed_in_batch

    for r in results:
        if r.source != "incidents" or r.status != "loaded":
            continue
        rows = unattributed_in_batch(con, r.batch_id)
        total = int(rows["incidents"].sum()) if len(rows) else 0
        headline = f"{total} incident{'s' if total != 1 else ''} could not be attributed to a committee"
        lines = [describe_unattributed(row) for _, row in rows.iterrows()]
        r.notes = [headline + (" (they count in the city total only; add the values to incident_mapping):"
                               if total else "")] + lines[:REASONS_SHOWN]
        if len(lines) > REASONS_SHOWN:
            r.notes.append(f"… {len(lines) - REASONS_SHOWN} more combinations: see the data-quality page")
        if total:
            shown = "; ".join(lines[:3]) + ("; …" if len(lines) > 3 else "")
            r.message += f"; {headline}: {shown}"
            con.execute("UPDATE etl_batches SET message = ? WHERE batch_id = ?", [r.message, r.batch_id])


def exit_code(results: list[BatchResult]) -> int:
    if any(r.status == "rejected" for r in results):
        return EXIT_REJECTED
    if any(r.rows_quarantined for r in results):
        return EXIT_QUARANTINED
    return EXIT_OK


def report(results: list[BatchResult]) -> None:
    for r in results:
        if r.batch_id is None:  # not a batch: a file no source matches
            print(f"[{r.status}] {r.message}")
            continue
        print(f"[{r.status}] batch {r.batch_id} {r.source}: {r.message}")
        for note in r.notes:
            print(f"    {note}")
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
        planned = [plan_sql(urls[0], args.source, args.query, args.table, args.system, args.date_order)]
    else:
        if args.query or args.table:
            raise UsageError("--query and --table only apply to a SQL connection URL")
        planned = plan_files(list(args.paths), args.source, args.system, args.date_order)
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


def cmd_build(args) -> int:
    path = warehouse_path()
    if not path.exists():
        raise UsageError(f"no warehouse at {path}; load data first (python -m etl demo or python -m etl load)")
    import logging

    logging.basicConfig(level=logging.INFO, format="%(message)s")  # the build's own lines (what it moved, rebuilt)
    started = time.perf_counter()
    publish(lambda con: None, full=True)
    print(f"Rebuilt every model and measure and published {path} in {time.perf_counter() - started:.1f} s")
    return EXIT_OK


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
    load.add_argument("paths", nargs="+", metavar="[SOURCE=]PATH",
                      help="a file, SOURCE=PATH to name its source (e.g. incidents=incident_event_log.csv), "
                           "or one SQL connection URL")
    load.add_argument("--source", help="contract source name for every file not named SOURCE=PATH "
                                       "(default: from the file name prefix)")
    load.add_argument("--system", metavar="NAME",
                      help="ITSM instance of incident exports that have no source_system column "
                           f"(default: {default_itsm_system()}); numbers are unique only within one instance")
    load.add_argument("--date-order", choices=sorted(DATE_ORDERS), dest="date_order",
                      help="date order of the timestamps: dmy (day-first, the contract's) or mdy (month-first)")
    load.add_argument("--no-loader", action="store_true", dest="no_loader",
                      help="load in this process even when a warm loader (python -m etl loader) listens")
    extract = load.add_mutually_exclusive_group()
    extract.add_argument("--query", help="SQL query for a connection URL")
    extract.add_argument("--table", help="table to read from a connection URL")
    build = sub.add_parser("build", help="rebuild every model and measure from the loaded data and publish")
    build.add_argument("--full", action="store_true", help="rebuild everything (what build always does)")
    status = sub.add_parser("status", help="recent batches")
    status.add_argument("--limit", type=int, default=20)
    quarantine = sub.add_parser("quarantine", help="quarantined rows with their reasons")
    quarantine.add_argument("--batch", type=int)
    quarantine.add_argument("--limit", type=int, default=200)
    loader = sub.add_parser("loader", help="the warm loader of this warehouse: imports once, forks a process "
                                           "per `load` (pipeline/loader.py)")
    what = loader.add_mutually_exclusive_group()
    what.add_argument("--status", action="store_true", help="whether a loader listens, and what it has served")
    what.add_argument("--stop", action="store_true", help="stop the loader after its running loads")
    return p


def cmd_loader(args) -> int:
    from pipeline.loader import cmd_loader as run

    return run(args)


COMMANDS = {"demo": cmd_demo, "load": cmd_load, "build": cmd_build, "status": cmd_status,
            "quarantine": cmd_quarantine, "loader": cmd_loader}


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
