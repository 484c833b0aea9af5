"""ServiceNow-style incident export: an event log with one row per update of an incident.

Only the latest state of each incident is kept (highest sys_mod_count, then latest
sys_updated_at, then the last row in the file) before the rows are validated.
"""
from __future__ import annotations

from etl.contracts import Contract
from etl.rules import cast_expr, clean_expr, q


def collapse_event_log(con, contract: Contract, present: set[str]) -> int:
    """Replace TEMP table `cand` (all events) by one row per incident; returns the number of events."""
    events = con.execute("SELECT count(*) FROM cand").fetchall()[0][0]

    def typed(name: str) -> str:
        if name not in present:
            return "NULL"
        return cast_expr(clean_expr(name, contract.missing_values), contract.column(name), contract, False)

    number = clean_expr("number", contract.missing_values)
    # Rows without a number stay separate so the 'required' rule quarantines each of them.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE cand AS
        SELECT * FROM cand
        QUALIFY row_number() OVER (
            PARTITION BY coalesce({number}, '#row ' || _source_row)
            ORDER BY {typed('sys_mod_count')} DESC NULLS LAST,
                     {typed('sys_updated_at')} DESC NULLS LAST,
                     _source_row DESC) = 1
    """)
    return events


PREPROCESSORS = {"servicenow_event_log": collapse_event_log}
