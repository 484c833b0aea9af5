"""ServiceNow-style incident export: an event log with one row per update of an incident.

Only the latest state of each incident is kept (highest sys_mod_count, then latest
sys_updated_at, then the last row in the file) before the rows are validated.
"""
from __future__ import annotations

from etl.contracts import Contract
from etl.rules import cast_expr, clean_expr


def latest_event_only(contract: Contract, present: set[str], events: str) -> str:
    """WHERE clause over the subquery `events` keeping one row per incident: its latest event.

    arg_max over a hash aggregate instead of a window sort: the wide event rows are never sorted."""
    def typed(name: str) -> str:
        if name not in present:
            return "NULL"
        return cast_expr(clean_expr(name, contract.missing_values), contract.column(name), contract, False)

    number = clean_expr("number", contract.missing_values)
    rank = (f"[coalesce(CAST({typed('sys_mod_count')} AS DOUBLE), -1), "
            f"coalesce(epoch({typed('sys_updated_at')}), -1e18), CAST(_source_row AS DOUBLE)]")
    # Rows without a number stay separate so the 'required' rule quarantines each of them.
    return f"""WHERE _source_row IN (
        SELECT arg_max(_source_row, {rank}) FROM {events}
        GROUP BY coalesce({number}, '#row ' || _source_row))"""


PREPROCESSORS = {"servicenow_event_log": latest_event_only}
