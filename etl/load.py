"""Load one batch (a file or a SQL extract) into an open warehouse connection, following its contract.

Batch rules reject the whole batch (nothing loads, the batch is logged as rejected); row rules send
single rows to etl_quarantine and the rest loads. See docs/architecture.md, "Load semantics".
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

import duckdb

from etl import factstore
from etl.contracts import Contract
from etl.gate import ROW_OK, BatchCounts, GateResult, allowed_bad, gate_columns, rows_pass, run_suite
from etl.readers import RAW_TABLE, ROW_COLUMN, SourceData, UnreadableSource
from etl.rules import clean_expr, create_typed, create_violations, is_native, lit, period_text_expr, q, scope_bounds, scope_expr
from etl.servicenow import BATCH_CHECKS, BATCH_NOTES, KEPT_ROWS, PREPROCESSORS
from settings import plausible_dates

EXAMPLES_IN_MESSAGE = 3


@dataclass
class BatchResult:
    batch_id: int
    source: str
    file_name: str
    status: str                      # loaded | rejected | unchanged
    message: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_replaced: int = 0
    reasons: list[str] = field(default_factory=list)   # quarantine reasons of this batch
    notes: list[str] = field(default_factory=list)     # further lines for the load output (e.g. unattributed incidents)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase: read, stage, type, rules, gate, write


@contextmanager
def _timed(timings: dict[str, float], phase: str):
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[phase] = timings.get(phase, 0.0) + time.perf_counter() - started


def rows(n: int, word: str = "row") -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


class Rejected(Exception):
    """A batch rule failed; the message says why in plain words."""

    def __init__(self, message: str, rows_read: int = 0):
        super().__init__(message)
        self.rows_read = rows_read
        self.gate = None  # the GE result when the batch got as far as the gate


def next_batch_id(con) -> int:
    return con.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM etl_batches").fetchall()[0][0]


def _log(con, result: BatchResult, content_hash: str, started: datetime, periods=(None, None)) -> None:
    con.execute(
        "INSERT INTO etl_batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [result.batch_id, result.source, result.file_name, content_hash, result.rows_read,
         result.rows_loaded, result.rows_quarantined, result.rows_replaced, result.status,
         result.message, started, datetime.now(), periods[0], periods[1]])


def load_batch(con, contract: Contract, read: Callable[[], SourceData], name: str,
               given: dict[str, str] | None = None) -> BatchResult:
    """Read, validate and load one batch; always logs it in etl_batches and returns what happened.

    `given`: column values supplied by the load command (e.g. source_system from --system) for
    columns the source lacks or leaves empty; a value in the source wins.

    Reading, typing and the rules work in TEMP tables only; the writes to the warehouse tables run
    in one transaction (`_write`). Whatever fails (a batch rule, or anything unexpected) leaves the
    warehouse tables as they were and is reported as a rejected batch naming the file and the
    reason, so the other batches of the same command still load. Nothing raises out of here except
    KeyboardInterrupt/SystemExit. (The TEMP tables stay outside the transaction: a 28 GB export
    staged inside one would be held as transaction-local data.)"""
    started = datetime.now()
    batch_id = next_batch_id(con)
    data, periods, timings, gate = None, (None, None), {}, None
    try:
        with _timed(timings, "read"):
            data = read()
        # Staging comes before the same-content check: a large file is hashed in a thread meanwhile.
        with _timed(timings, "stage"):
            present, rows_read, native = _stage(con, contract, data, given or {}, view=True)
        result = _unchanged(con, contract, data, batch_id)
        if result is None:
            result, gate, periods = _validate_and_insert(con, contract, data, batch_id, timings, present,
                                                         rows_read, native)
    except BaseException as err:
        _drop_temp(con)
        if not isinstance(err, Exception):
            raise
        file_name = data.file_name if data is not None else name
        gate = getattr(err, "gate", None)
        if isinstance(err, UnreadableSource):
            message = f"{name} {err}; nothing loaded"
        elif isinstance(err, Rejected):
            message = str(err)
        else:
            message = unexpected_failure(file_name, err)
        result = BatchResult(batch_id, contract.source, file_name, "rejected", message,
                             rows_read=getattr(err, "rows_read", 0))
        periods = (None, None)
    _drop_temp(con)
    result.timings = timings
    _log(con, result, _hash_or_empty(data), started, periods)
    if gate is not None:
        con.execute("INSERT INTO etl_gate_results VALUES (?, ?, ?, ?)",
                    [batch_id, contract.source, gate.success, gate.to_json()])
    return result


def _drop_temp(con) -> None:
    if _is_temp_view(con, "cand"):  # cand over source_raw (_stage with view=True)
        con.execute("DROP VIEW cand")
    for table in ("cand", "typed", "violations", RAW_TABLE):
        con.execute(f"DROP TABLE IF EXISTS {table}")


def _is_temp_view(con, name: str) -> bool:
    return con.execute("SELECT count(*) FROM duckdb_views() WHERE temporary AND view_name = ?",
                       [name]).fetchall()[0][0] > 0


def unexpected_failure(file_name: str, err: Exception) -> str:
    """A failure no batch rule foresaw, in one plain line (no traceback): the batch is rejected."""
    text = " ".join(str(err).split())
    if isinstance(err, duckdb.ConversionException):
        what = "a value could not be converted"
    elif isinstance(err, MemoryError) or isinstance(err, duckdb.OutOfMemoryException):
        what = "the load ran out of memory"
    elif isinstance(err, (OSError, duckdb.IOException)):
        what = "a file could not be read or written"
    else:
        what = "the load failed unexpectedly"
    detail = (text[:300] + "…") if len(text) > 300 else text
    return f"{file_name}: {what} ({err.__class__.__name__}: {detail}); nothing loaded from this file"


def _hash_or_empty(data: SourceData | None) -> str:
    try:
        return data.content_hash if data is not None else ""
    except UnreadableSource:
        return ""


def _unchanged(con, contract: Contract, data: SourceData, batch_id: int) -> BatchResult | None:
    """Revisions by content: the same content is unchanged only while the batch that loaded it is
    still current, i.e. every row it loaded is still in the table. Re-delivering an earlier version
    after another one replaced it (A, B, A) loads it again and makes it current."""
    earlier = con.execute(
        "SELECT batch_id, rows_loaded FROM etl_batches WHERE source = ? AND content_hash = ? AND status = 'loaded' "
        "ORDER BY batch_id DESC LIMIT 1", [contract.source, data.content_hash]).fetchall()
    if not earlier:
        return None
    earlier_id, rows_loaded = earlier[0]
    still = con.execute(f"SELECT count(*) FROM {contract.table} WHERE _batch_id = ?", [earlier_id]).fetchall()[0][0]
    if still != rows_loaded:
        return None
    message = f"{data.file_name}: same content as batch {earlier_id}, already loaded; nothing changed"
    return BatchResult(batch_id, contract.source, data.file_name, "unchanged", message)


def match_columns(contract: Contract, file_name: str, columns: list[str], rows_read: int,
                  given: frozenset[str] = frozenset()) -> dict[str, str]:
    """Source column → contract column (case-insensitive); columns the contract does not know are ignored.
    Columns in `given` are supplied by the load command and need not be in the source."""
    wanted = {c.lower(): c for c in contract.column_names}
    mapping = {col: wanted[col.strip().lower()] for col in columns if col.strip().lower() in wanted}
    missing = [c for c in contract.required_columns if c not in mapping.values() and c not in given]
    if missing:
        found = ", ".join(columns) or "none"
        noun = "columns" if len(missing) > 1 else "column"
        verb = "are" if len(missing) > 1 else "is"
        raise Rejected(f"{file_name}: required {noun} {', '.join(missing)} {verb} missing "
                       f"(columns found: {found}); nothing loaded", rows_read)
    return mapping


def _native_for(contract: Contract):
    wanted = {c.lower(): c for c in contract.column_names}

    def keep_native(source_column: str, type_name: str) -> bool:
        name = wanted.get(source_column.strip().lower())
        return name is not None and is_native(contract.column(name), type_name)
    return keep_native


def _stage(con, contract: Contract, data: SourceData, given: dict[str, str],
           view: bool = False) -> tuple[set[str], int, frozenset[str]]:
    """TEMP table cand: the contract's columns as text (or in their own type where a Parquet column
    already has the contract type: returned as `native`); personal drop_columns were never read.

    `view`: where no preprocessor collapses the rows, cand may be a TEMP view over source_raw (the
    columns renamed, the row number computed) instead of a copy of every cell: one pass less over the
    batch (docs/benchmark.md, "Typing, rules and write, session 7"). source_raw then stays until the
    batch's TEMP tables are dropped (`_drop_temp`), as the quarantine reads the original text through cand."""
    positions = data.stage(con, contract.drop_columns, _native_for(contract))
    rows_read = con.execute(f"SELECT count(*) FROM {RAW_TABLE}").fetchall()[0][0]
    mapping = match_columns(contract, data.file_name, list(positions), rows_read, frozenset(given))
    # positions are c0, c1, … (made by the reader); header names never become SQL. A value given by
    # the load command (a literal, e.g. --system) fills the column where the source has none.
    parts = [f"coalesce({clean_expr(positions[src], contract.missing_values)}, {lit(given[dst])}) AS {q(dst)}"
             if dst in given else f"{positions[src]} AS {q(dst)}" for src, dst in mapping.items()]
    parts += [f"{lit(value)} AS {q(name)}" for name, value in given.items() if name not in mapping.values()]
    select = ", ".join(parts)
    present = set(mapping.values()) | set(given)
    events = f"(SELECT {data.row_expr} AS {ROW_COLUMN}, {select} FROM {RAW_TABLE})"
    check = BATCH_CHECKS.get(contract.preprocess)
    problem = check(con, contract, present, events, data.file_name) if check else None
    if problem:
        raise Rejected(problem, rows_read)
    if view and not contract.preprocess:
        con.execute(f"CREATE OR REPLACE TEMP VIEW cand AS SELECT * FROM {events}")
        return present, rows_read, frozenset(mapping[c] for c in data.native_columns if c in mapping)
    if contract.preprocess in KEPT_ROWS and data.row_base is not None:
        # the kept data rows as rowids of source_raw: a filter on the table's own rowid reads the wide event
        # rows of the kept ones only (~15 % less than a filter on the computed row number; docs/benchmark.md,
        # "Typing, rules and write, session 7"). cand is not strictly in file order either way.
        kept = KEPT_ROWS[contract.preprocess](contract, present, events)
        con.execute(f"CREATE OR REPLACE TEMP TABLE cand AS SELECT {data.row_expr} AS {ROW_COLUMN}, {select} "
                    f"FROM {RAW_TABLE} WHERE rowid IN (SELECT r + {data.row_base - 1} FROM ({kept}) k(r))")
        con.execute(f"DROP TABLE {RAW_TABLE}")
        return present, rows_read, frozenset(mapping[c] for c in data.native_columns if c in mapping)
    keep = PREPROCESSORS[contract.preprocess](contract, present, events) if contract.preprocess else ""
    con.execute(f"CREATE OR REPLACE TEMP TABLE cand AS SELECT * FROM {events} {keep}")
    con.execute(f"DROP TABLE {RAW_TABLE}")
    return present, rows_read, frozenset(mapping[c] for c in data.native_columns if c in mapping)


def _validate_and_insert(con, contract: Contract, data: SourceData, batch_id: int,
                         timings: dict[str, float], present: set[str], rows_read: int,
                         native: frozenset[str]) -> tuple[BatchResult, GateResult, tuple]:
    with _timed(timings, "type"):
        create_typed(con, contract, present, data.decimal_comma, native)
    with _timed(timings, "rules"):
        truncated = rows_read if data.truncated_last_line and rows_read else None
        create_violations(con, contract, data.file_name, native, data.decimal_comma, plausible_dates(), truncated)
        candidates = con.execute("SELECT count(*) FROM typed").fetchall()[0][0]
        bad = con.execute("SELECT count(DISTINCT _source_row) FROM violations").fetchall()[0][0]
    rows_ok = rows_pass(candidates, bad, contract.max_bad_share)
    beside = None
    if rows_ok and _gate_beside_write(con, contract, candidates):
        # GE (Python) validates the batch in a thread while DuckDB writes its files, which releases the GIL;
        # the verdict is awaited before the catalog COMMIT (`_write`), and a failing one removes the files.
        fetch_started = time.perf_counter()
        beside = _GateBeside(con, contract, present, candidates)
        fetched = time.perf_counter() - fetch_started
    else:
        with _timed(timings, "gate"):
            gate = _agreeing(_run_gate(con, contract, present, candidates), rows_ok)
        try:
            _check_bad_share(con, contract, data, candidates, bad, rows_read)
        except Rejected as err:
            err.gate = gate
            raise
    try:
        return _validate_and_write(con, contract, data, batch_id, timings, present, rows_read, candidates, bad,
                                   beside, None if beside else gate)
    finally:
        if beside is not None:
            beside.join()   # never leave GE running (it is not thread-safe) when the batch fails early
            timings["gate"] = fetched + beside.seconds   # the gate's own time; beside the write, not added to it


def _agreeing(gate: GateResult, rows_ok: bool) -> GateResult:
    if rows_ok != gate.success:  # one gate: cannot happen unless GE and the row rules drift apart
        raise RuntimeError(f"the Great Expectations verdict ({gate.success}) differs from the row rules' "
                           f"({rows_ok}): {'; '.join(gate.failures)}")
    return gate


def _validate_and_write(con, contract: Contract, data: SourceData, batch_id: int, timings: dict[str, float],
                        present: set[str], rows_read: int, candidates: int, bad: int,
                        beside: _GateBeside | None, gate: GateResult | None) -> tuple[BatchResult, GateResult, tuple]:
    # everything that reads the batch happens before the write: after its COMMIT nothing can fail
    note_for = BATCH_NOTES.get(contract.preprocess)
    note = note_for(con, contract, _table_exists(con, contract.table)) if note_for else None
    reasons = [r for (r,) in con.execute(
        "SELECT reason FROM violations ORDER BY _source_row, column_name, rule").fetchall()]
    periods = _periods(con, contract)
    note_changes(con, contract)  # (table, month) pairs for the incremental measure build
    with _timed(timings, "write"):
        replaced = _write(con, contract, data.file_name, batch_id, present,
                          before_commit=beside.verdict if beside is not None else None)
    if beside is not None:
        gate = beside.result
    loaded = candidates - bad
    message = (f"{data.file_name} ({data.read_note}): {rows(loaded)} loaded into {contract.table}, "
               f"{rows(bad)} quarantined, {rows(replaced, 'earlier row')} replaced")
    if contract.preprocess and rows_read != candidates:
        message += f"; {rows_read} event rows collapsed to {candidates} records in their latest state"
    if note:
        message += f"; {note}"
    return BatchResult(batch_id, contract.source, data.file_name, "loaded", message, rows_read,
                       loaded, bad, replaced, reasons), gate, periods


def _write(con, contract: Contract, file_name: str, batch_id: int, present: set[str],
           before_commit: Callable[[], object] | None = None) -> int:
    """Replace the scope, insert the accepted rows, quarantine the others: all or nothing.

    A fact table kept in the Parquet fact store (etl/factstore.py) gets new files and loses the files of
    its replaced scope before the catalog transaction; when that transaction fails they are put back, and so
    they are when `before_commit` (the Great Expectations verdict, `_GateBeside.verdict`) raises."""
    store = factstore.store_for(con)
    if store is not None and factstore.is_fact(contract):
        replaced, undo = store.write(con, contract, batch_id, _ACCEPTED)
        if before_commit is not None:
            try:
                before_commit()
            except BaseException:
                store.undo(undo, con, contract)
                raise
        con.execute("BEGIN TRANSACTION")
        try:
            _quarantine(con, contract, file_name, batch_id, present)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            store.undo(undo, con, contract)
            raise
        return replaced
    con.execute("BEGIN TRANSACTION")
    try:
        replaced = _delete_scope(con, contract)
        _insert(con, contract, batch_id)
        _quarantine(con, contract, file_name, batch_id, present)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return replaced


_ACCEPTED = "_source_row NOT IN (SELECT _source_row FROM violations)"


def _table_exists(con, table: str) -> bool:
    """A table or (a fact table in the fact store) a view of the warehouse, not a TEMP table."""
    return con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
                       "AND table_catalog = current_database() AND table_schema = 'main'",
                       [table]).fetchall()[0][0] > 0


def _insert(con, contract: Contract, batch_id: int) -> None:
    cols = ", ".join(q(c) for c in contract.column_names)
    # typed follows cand. For a file read straight cand is in file order (a scan of source_raw, whose rowid is
    # the data row) and a plain scan keeps it; the anti-join needs the sort. A collapsed event log is not
    # strictly in file order (cand = the latest event per record, picked by a join: docs/benchmark.md,
    # "Incident ETL at 10×, session 6"), so it is sorted too. Only the physical order of the stored rows
    # depends on this: every reader and every message orders by _source_row itself.
    clean = con.execute("SELECT count(*) = 0 FROM violations").fetchall()[0][0]
    if clean and not contract.preprocess:
        keep = ""
    else:
        keep = "WHERE _source_row NOT IN (SELECT _source_row FROM violations) ORDER BY _source_row"
    con.execute(f"""INSERT INTO {contract.table} ({cols}, _batch_id, _source_row)
                    SELECT {cols}, {batch_id}, _source_row FROM typed {keep}""")


def _check_bad_share(con, contract: Contract, data: SourceData, candidates: int, bad: int, rows_read: int) -> None:
    """The row rules' verdict (shares over all rows; etl.gate.rows_pass, the same as the GE suite's)."""
    if candidates == 0 or rows_pass(candidates, bad, contract.max_bad_share):
        return
    examples = [r for (r,) in con.execute(
        f"SELECT reason FROM violations ORDER BY _source_row LIMIT {EXAMPLES_IN_MESSAGE}").fetchall()]
    raise Rejected(
        f"{data.file_name} ({data.read_note}): {bad} of {candidates} rows ({100 * bad / candidates:.1f} %) "
        f"break row rules, more than the {100 * contract.max_bad_share:g} % allowed for {contract.source}; "
        f"nothing loaded. First problems: " + "; ".join(examples), rows_read)


GATE_CHUNK_ROWS = 2_000_000  # rows per pandas frame handed to Great Expectations


def _typed_chunks(con, columns: list[str], arrow: bool = False):
    """The typed batch as pandas frames (Arrow tables with `arrow`) of GATE_CHUNK_ROWS rows (rowid ranges
    of the temp table), with `_row_ok`: the row passes every row rule."""
    cols = ", ".join(q(c) for c in columns)
    total, base = con.execute("SELECT count(*), coalesce(min(rowid), 0) FROM typed").fetchall()[0]
    clean = con.execute("SELECT count(*) = 0 FROM violations").fetchall()[0][0]
    row_ok = "TRUE" if clean else "_source_row NOT IN (SELECT _source_row FROM violations)"
    for start in range(0, max(total, 1), GATE_CHUNK_ROWS):
        # through Arrow: strings stay Arrow-backed (pandas' str dtype) instead of becoming Python objects
        table = con.sql(f"SELECT {cols}{', ' if cols else ''}{row_ok} AS {ROW_OK} FROM typed "
                        f"WHERE rowid >= {base + start} AND rowid < {base + start + GATE_CHUNK_ROWS}"
                        ).to_arrow_table()
        yield table if arrow else table.to_pandas(date_as_object=False)


def _gate_counts(con, columns: list[str], candidates: int) -> BatchCounts:
    counted = ", ".join(f"count({q(c)})" for c in columns)
    non_null = con.execute(f"SELECT {counted} FROM typed").fetchall()[0] if columns else ()
    return BatchCounts(candidates, dict(zip(columns, non_null)))


def _run_gate(con, contract: Contract, present: set[str], candidates: int) -> GateResult:
    columns = gate_columns(contract, present)
    return run_suite(contract, _typed_chunks(con, columns), present, _gate_counts(con, columns, candidates))


# Up to this many rows the gate's input is fetched whole (Arrow, only the gate's columns) so that GE can run
# beside the write; a larger batch (100x) keeps the bounded chunk-by-chunk gate before the write.
GATE_BESIDE_MAX_ROWS = 3 * GATE_CHUNK_ROWS


def _gate_beside_write(con, contract: Contract, candidates: int) -> bool:
    """The gate runs beside the write for a fact-store batch the row rules accept, up to GATE_BESIDE_MAX_ROWS
    rows. (A batch the row rules reject writes nothing, so its gate runs first, as does a plain table's.)"""
    return (candidates <= GATE_BESIDE_MAX_ROWS and factstore.is_fact(contract)
            and factstore.store_for(con) is not None)


class _GateBeside:
    """The Great Expectations suite over the typed batch in a thread. The batch is fetched here, on the
    caller's connection (a DuckDB connection serves one thread); the thread converts each chunk to pandas
    and validates it. `verdict()` waits for it and raises unless GE accepts the batch, as the row rules did."""

    def __init__(self, con, contract: Contract, present: set[str], candidates: int):
        columns = gate_columns(contract, present)
        counts = _gate_counts(con, columns, candidates)
        chunks = list(_typed_chunks(con, columns, arrow=True))
        self.result: GateResult | None = None
        self.seconds = 0.0
        self._error: BaseException | None = None

        def frames():
            while chunks:   # each Arrow chunk is released once converted
                yield chunks.pop(0).to_pandas(date_as_object=False)

        def validate():
            started = time.perf_counter()
            try:
                self.result = run_suite(contract, frames(), present, counts)
            except BaseException as err:   # handed to the loading thread by verdict()
                self._error = err
            finally:
                self.seconds = time.perf_counter() - started

        self._thread = threading.Thread(target=validate, name=f"gate-{contract.source}", daemon=True)
        self._thread.start()

    def join(self) -> None:
        self._thread.join()

    def verdict(self) -> GateResult:
        self.join()
        if self._error is not None:
            raise self._error
        return _agreeing(self.result, True)


def _delete_scope(con, contract: Contract) -> int:
    names = list(contract.scope)
    inner = ", ".join(f"{scope_expr(contract, n)} AS s{i}" for i, n in enumerate(names))
    match = " AND ".join(f"{scope_expr(contract, n, contract.table)} = s.s{i}" for i, n in enumerate(names))
    return con.execute(f"""
        DELETE FROM {contract.table} USING (
            SELECT DISTINCT {inner} FROM typed
            WHERE _source_row NOT IN (SELECT _source_row FROM violations)) s
        WHERE {match}""").fetchall()[0][0]


def _quarantine(con, contract: Contract, file_name: str, batch_id: int, present: set[str]) -> None:
    raw_cols = [c for c in contract.column_names if c in present]
    packed = ", ".join(f"{q(c)} := c.{q(c)}" for c in raw_cols)
    con.execute(f"""
        INSERT INTO etl_quarantine
        SELECT {batch_id}, {lit(contract.source)}, {lit(file_name)}, v._source_row, v.column_name, v.rule,
               v.reason, to_json(struct_pack({packed}))
        FROM violations v JOIN cand c USING (_source_row)
        ORDER BY v._source_row, v.column_name, v.rule""")


def _periods(con, contract: Contract) -> tuple[str | None, str | None]:
    """The first and last period label of the accepted rows ('YYYY-MM', or the year as text)."""
    expr = period_text_expr(contract)
    if expr is None:
        return None, None
    accepted = "WHERE _source_row NOT IN (SELECT _source_row FROM violations)"
    col = contract.column(contract.period_column)
    if expr.startswith("strftime("):
        # The label of the smallest and largest period instead of the smallest and largest label of every row
        # (one strftime per row: ~0.2 CPU s for 5.3 M survey answers): the same wherever 'YYYY-MM' sorts as the
        # dates do, i.e. every period is finite and in the years 1-9999 (else the per-row form below).
        p = q(col.name)
        ok = f"isfinite(min({p})) AND isfinite(max({p})) AND year(min({p})) >= 1 AND year(max({p})) <= 9999"
        lo, hi, fits, seen = con.execute(f"""SELECT strftime(min({p}), '%Y-%m'), strftime(max({p}), '%Y-%m'),
                                                    {ok}, count({p}) FROM typed {accepted}""").fetchall()[0]
        if fits or not seen:
            return (lo, hi) if seen else (None, None)
    return tuple(con.execute(f"SELECT min({expr}), max({expr}) FROM typed {accepted}").fetchall()[0])


CHANGES_DDL = "CREATE TEMP TABLE IF NOT EXISTS etl_changes (table_name VARCHAR, month DATE)"


def note_change(con, table: str, month=None) -> None:
    """Record that `table` changed in `month` (None: in every month, e.g. a dimension or a seed) in the
    connection's TEMP table etl_changes, read by the incremental measure build (metrics.build)."""
    con.execute(CHANGES_DDL)
    con.execute("INSERT INTO etl_changes VALUES (?, ?)", [table, month])


def _month_expr(contract: Contract, alias: str = "") -> str | None:
    """The month of a row of the contract's table (first day), or None when the table has no period column.
    A year period gives 1 January of that year; so does an integer `year` column of a table without a
    declared period (targets: a target applies per committee, year and measure)."""
    name = contract.period_column
    if not name and "year" in contract.column_names and contract.column("year").type == "integer":
        name = "year"
    if not name:
        return None
    col = contract.column(name)
    ref = f"{alias}.{q(col.name)}" if alias else q(col.name)
    if contract.period_grain == "year" or col.type == "integer":
        return f"make_date(CAST({ref} AS INTEGER), 1, 1)"
    return f"CAST(date_trunc('month', {ref}) AS DATE)"


def note_changes(con, contract: Contract) -> None:
    """Before the write: the months of the batch's accepted rows and the months of the rows its revision
    scope will delete, as (table, month) rows of etl_changes (month NULL: the table has no period column,
    so the change may reach every period). Reads only TEMP tables and the target table. Recording more
    than was written (a write that then fails and rolls back) only makes the build compare more sums."""
    con.execute(CHANGES_DDL)
    accepted = "WHERE _source_row NOT IN (SELECT _source_row FROM violations)"
    new_month = _month_expr(contract)
    if new_month is None:
        con.execute("INSERT INTO etl_changes SELECT ?, NULL FROM typed " + accepted + " LIMIT 1", [contract.table])
        return
    con.execute(f"INSERT INTO etl_changes SELECT DISTINCT ?, {new_month} FROM typed {accepted}", [contract.table])
    period = contract.period_column or "year"
    by_period = period in contract.scope or ("month" in contract.scope and "month" not in contract.column_names)
    if not _table_exists(con, contract.table) or by_period:
        return  # a scope by the period deletes only rows of the batch's own months (or years)
    names = list(contract.scope)
    inner = ", ".join(f"{scope_expr(contract, n)} AS s{i}" for i, n in enumerate(names))
    match = " AND ".join(f"{scope_expr(contract, n, 't')} = s.s{i}" for i, n in enumerate(names))
    # bounded by the batch's scope values: reads the key columns of the files that can hold them only
    bound, params = scope_bounds(con, contract, f"SELECT * FROM typed {accepted}", "t")
    con.execute(f"""
        INSERT INTO etl_changes
        SELECT DISTINCT $table, {_month_expr(contract, 't')}
        FROM {contract.table} t, (SELECT DISTINCT {inner} FROM typed {accepted}) s
        WHERE {bound} AND {match}
        EXCEPT SELECT table_name, month FROM etl_changes""", {"table": contract.table, **params})
