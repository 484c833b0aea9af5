"""ServiceNow-style incident export: an event log with one row per update of an incident.

Only the latest state of each incident is kept (highest sys_mod_count, then latest
sys_updated_at, then the last row in the file) before the rows are validated.
"""
from __future__ import annotations

from etl.contracts import Contract
from etl.rules import cast_expr, clean_expr


ROW_BITS, TIME_BITS = 40, 44  # rank = modification count | updated_at in ms | source row, in one HUGEINT


def latest_event_only(contract: Contract, present: set[str], events: str) -> str:
    """WHERE clause over the subquery `events` keeping one row per incident: its latest event.

    The ordering (sys_mod_count, then sys_updated_at, then row) is packed into one HUGEINT so that
    a plain max() per incident finds the row: fixed-size aggregate states, which DuckDB can spill to
    disk for a 100x export, and no sort of the wide event rows."""
    def typed(name: str) -> str:
        if name not in present:
            return "NULL"
        return cast_expr(clean_expr(name, contract.missing_values), contract.column(name), contract, False)

    number = clean_expr("number", contract.missing_values)
    mod_count = f"least(coalesce({typed('sys_mod_count')}, -1) + 1, {2 ** 42})"
    updated_ms = f"coalesce(epoch_ms({typed('sys_updated_at')}) + {2 ** 43}, 0)"  # ms since 1691 ≥ 0
    rank = (f"(CAST({mod_count} AS HUGEINT) << {TIME_BITS + ROW_BITS}) | "
            f"(CAST({updated_ms} AS HUGEINT) << {ROW_BITS}) | CAST(_source_row AS HUGEINT)")
    # Rows without a number stay separate so the 'required' rule quarantines each of them.
    return f"""WHERE _source_row IN (
        SELECT CAST(max({rank}) & {2 ** ROW_BITS - 1} AS BIGINT) FROM {events}
        GROUP BY coalesce({number}, '#row ' || _source_row))"""


PREPROCESSORS = {"servicenow_event_log": latest_event_only}
