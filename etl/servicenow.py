"""ServiceNow-style incident export: an event log with one row per update of an incident.

Only the latest state of each incident is kept (highest sys_mod_count, then latest
sys_updated_at, then the last row in the file) before the rows are validated; incidents are told
apart by (source_system, number), since numbers are unique only within one ITSM instance.

Two checks belong to event logs:
* date order (`check_date_order`): a delivery whose timestamps contradict the contract's date order
  (resolved or updated before opened, updates going backwards in time) but are consistent read the
  other way round, with every day 12 or less so that the values cannot tell, is rejected with a
  message naming `--date-order`. A load that gives --date-order explicitly is not second-guessed.
* collisions (`collision_note`): incident numbers that also exist under another source system are
  reported in the batch message; they are never replaced (the key includes the system).
"""
from __future__ import annotations

from dataclasses import replace

from etl.contracts import Contract
from etl.rules import cast_expr, clean_expr, lit, q

ROW_BITS, TIME_BITS = 40, 44  # rank = modification count | updated_at in ms | source row, in one HUGEINT
TIMESTAMP_COLUMNS = ("opened_at", "resolved_at", "closed_at", "sys_updated_at")
DATE_ORDERS = {"dmy": "day-first (DD/MM/YYYY)", "mdy": "month-first (MM/DD/YYYY)"}


def _typed(contract: Contract, present: set[str], name: str) -> str:
    col = contract.column(name)
    if name not in present:
        return f"CAST(NULL AS {col.duckdb_type})"
    return cast_expr(clean_expr(name, contract.missing_values), col, contract, False)


def _group_key_parts(contract: Contract, present: set[str]) -> list[str]:
    """The incident identity per event row: the key columns; rows without a number stay separate
    so that the 'required' rule quarantines each of them."""
    parts = []
    for k in contract.key:
        if k == "number":
            parts.append(f"coalesce({clean_expr('number', contract.missing_values)}, '#row ' || _source_row)")
        elif k in present:
            parts.append(clean_expr(k, contract.missing_values))
    return parts


def _group_keys(contract: Contract, present: set[str]) -> str:
    return ", ".join(_group_key_parts(contract, present))


def latest_event_only(contract: Contract, present: set[str], events: str) -> str:
    """WHERE clause over the subquery `events` keeping one row per incident: its latest event."""
    return f"WHERE _source_row IN ({latest_event_rows(contract, present, events)})"


def latest_event_rows(contract: Contract, present: set[str], events: str) -> str:
    """SELECT of the data row (_source_row) of each incident's latest event in the subquery `events`.

    The ordering (sys_mod_count, then sys_updated_at, then row) is packed into one HUGEINT so that
    a plain max() per incident finds the row: fixed-size aggregate states, which DuckDB can spill to
    disk for a 100x export, and no sort of the wide event rows."""
    mod_count = f"least(coalesce({_typed(contract, present, 'sys_mod_count')}, -1) + 1, {2 ** 42})"
    updated_ms = f"coalesce(epoch_ms({_typed(contract, present, 'sys_updated_at')}) + {2 ** 43}, 0)"  # ms since 1691 ≥ 0
    rank = (f"(CAST({mod_count} AS HUGEINT) << {TIME_BITS + ROW_BITS}) | "
            f"(CAST({updated_ms} AS HUGEINT) << {ROW_BITS}) | CAST(_source_row AS HUGEINT)")
    return f"""SELECT CAST(max({rank}) & {2 ** ROW_BITS - 1} AS BIGINT) FROM {events}
        GROUP BY {_group_keys(contract, present)}"""


def swapped_date_order(fmt: str | None) -> str | None:
    """'%d/%m/%Y %H:%M' ↔ '%m/%d/%Y %H:%M'."""
    if not fmt:
        return fmt
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def date_order_of(fmt: str | None) -> str:
    if fmt and "%m" in fmt and "%d" in fmt and fmt.index("%m") < fmt.index("%d"):
        return "mdy"
    return "dmy"


def with_date_order(contract: Contract, order: str) -> Contract:
    """The contract reading its timestamps in `order` ('dmy' or 'mdy'), marked as given explicitly
    (the date-order check then trusts it)."""
    fmt = contract.timestamp_format
    if fmt and date_order_of(fmt) != order:
        fmt = swapped_date_order(fmt)
    columns = tuple(replace(c, format=swapped_date_order(c.format)) if c.format and c.type == "timestamp"
                    and date_order_of(c.format) != order else c for c in contract.columns)
    return replace(contract, timestamp_format=fmt, columns=columns,
                   extra={**contract.extra, "date_order_given": order})


def _contradictions(contract: Contract, present: set[str], events: str) -> str:
    """SQL giving (incidents with a time before opened_at, incidents whose updates go backwards)."""
    key = "[" + ", ".join(_group_key_parts(contract, present)) + "]"
    cols = {n: _typed(contract, present, n) for n in TIMESTAMP_COLUMNS + ("sys_mod_count",)}
    return f"""
        WITH e AS (SELECT {key} AS k, _source_row,
                          {', '.join(f'{v} AS {q(n)}' for n, v in cols.items())} FROM {events}),
        w AS (SELECT *, lag(sys_updated_at) OVER (PARTITION BY k ORDER BY sys_mod_count, _source_row) AS prev FROM e)
        SELECT count(DISTINCT k) FILTER (WHERE resolved_at < opened_at OR closed_at < opened_at
                                           OR sys_updated_at < opened_at OR closed_at < resolved_at),
               count(DISTINCT k) FILTER (WHERE sys_updated_at < prev)
        FROM w"""


def check_date_order(con, contract: Contract, present: set[str], events: str, file_name: str) -> str | None:
    """A reason to reject the batch when its timestamps read in the contract's date order contradict
    themselves but read the other way round do not, and every timestamp reads both ways; else None."""
    if contract.extra.get("date_order_given") or not contract.timestamp_format:
        return None
    stamps = [n for n in TIMESTAMP_COLUMNS if n in present]
    if "opened_at" not in stamps:
        return None
    other = replace(contract, timestamp_format=swapped_date_order(contract.timestamp_format))
    # Any timestamp that reads only one way settles the order: nothing to check.
    one_way = " OR ".join(
        f"({clean_expr(n, contract.missing_values)} IS NOT NULL AND "
        f"(({_typed(contract, present, n)}) IS NULL) <> (({_typed(other, present, n)}) IS NULL))" for n in stamps)
    if con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {events} WHERE {one_way} LIMIT 1)").fetchall()[0][0]:
        return None
    before, backwards = con.execute(_contradictions(contract, present, events)).fetchall()[0]
    if before + backwards == 0:
        return None
    alt_before, alt_backwards = con.execute(_contradictions(other, present, events)).fetchall()[0]
    if alt_before + alt_backwards >= before + backwards:
        return None
    this, that = date_order_of(contract.timestamp_format), date_order_of(other.timestamp_format)
    problems = []
    if before:
        problems.append(f"{before} incident{'s' if before != 1 else ''} resolved, closed or updated before "
                        f"{'they were' if before != 1 else 'it was'} opened")
    if backwards:
        problems.append(f"{backwards} incident{'s' if backwards != 1 else ''} whose updates go backwards in time")
    alt = alt_before + alt_backwards
    return (f"{file_name}: the timestamps contradict themselves when read {DATE_ORDERS[this]}: "
            f"{' and '.join(problems)}; read {DATE_ORDERS[that]} "
            + ("they are consistent" if alt == 0 else f"only {alt} incident{'s' if alt != 1 else ''} would")
            + ". Every day in the file is 12 or less, so the values alone cannot tell the order. "
            f"If the export is {DATE_ORDERS[that].split(' ')[0]}, load it with --date-order {that}; if it really is "
            f"{DATE_ORDERS[this].split(' ')[0]}, load it with --date-order {this}; nothing loaded")


def collision_note(con, contract: Contract, table_exists: bool) -> str | None:
    """Incident numbers of this batch that also exist under another source system (kept apart)."""
    if not table_exists or "source_system" not in contract.key:
        return None
    accepted = "WHERE _source_row NOT IN (SELECT _source_row FROM violations)"
    lo, hi = con.execute(f"SELECT min(number), max(number) FROM typed {accepted}").fetchone()
    if lo is None:
        return None
    # bounded by the batch's numbers (parameters): DuckDB skips the fact store's files and row groups whose
    # number statistics lie outside them instead of reading every incident number of the history
    rows = con.execute(f"""
        SELECT f.source_system, count(DISTINCT t.number) AS n
        FROM typed t JOIN {contract.table} f ON f.number = t.number AND f.source_system <> t.source_system
        WHERE t._source_row NOT IN (SELECT _source_row FROM violations) AND f.number BETWEEN $lo AND $hi
        GROUP BY ALL ORDER BY n DESC, f.source_system""", {"lo": lo, "hi": hi}).fetchall()
    if not rows:
        return None
    mine = con.execute("SELECT min(source_system) FROM typed").fetchall()[0][0]
    parts = ", ".join(f"{n} under {lit(s)}" for s, n in rows)
    total = sum(n for _, n in rows)
    return (f"{total} incident number{'s' if total != 1 else ''} of system {lit(mine)} also exist{'' if total != 1 else 's'} "
            f"under another system ({parts}): kept apart, nothing replaced (incidents are keyed by source system and number)")


PREPROCESSORS = {"servicenow_event_log": latest_event_only}
# the same choice as a SELECT of the kept data rows (etl/load.py `_stage` filters source_raw by rowid with it)
KEPT_ROWS = {"servicenow_event_log": latest_event_rows}
BATCH_CHECKS = {"servicenow_event_log": check_date_order}
BATCH_NOTES = {"servicenow_event_log": collision_note}
