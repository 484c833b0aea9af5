"""The development council's decisions log (rådets beslut), kept in the council store.

The council store is a separate DuckDB file, `<warehouse stem>.council.duckdb` next to the
warehouse (env SCORECARD_COUNCIL_DB overrides). The ETL never writes or replaces it, so decisions
survive every load and publish. Every write is a short-lived read-write connection under an
exclusive file lock (`<council file>.lock`); reads take a shared lock and a read-only connection.
"""
from __future__ import annotations

import fcntl
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from settings import council_db_path, warehouse_path

DECISIONS = ("approve", "continue", "pause", "stop", "close")
COLUMNS = ["decision_id", "decision_date", "project_id", "decision", "rationale", "recorded_by", "recorded_at"]
MAX_TEXT = 4000

DDL = """
CREATE TABLE IF NOT EXISTS council_decisions (
    decision_id BIGINT PRIMARY KEY,
    decision_date DATE NOT NULL,
    project_id VARCHAR NOT NULL,
    decision VARCHAR NOT NULL,
    rationale VARCHAR NOT NULL,
    recorded_by VARCHAR NOT NULL,
    recorded_at TIMESTAMP NOT NULL      -- UTC
)
"""


class DecisionError(ValueError):
    """Invalid input. `problems` is a list of (code, message); codes have translations
    `council.error.<code>` in ui/translations/council.yaml."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(msg for _, msg in problems))


@contextmanager
def _locked(path: Path, exclusive: bool):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _project_exists(project_id: str, wh: Any = None, warehouse: Path | str | None = None) -> bool:
    sql = "SELECT count(*) AS n FROM dim_projects WHERE project_id = ?"
    if wh is not None:
        from metrics.portfolio import run

        return int(run(wh, sql, [project_id]).n.iloc[0]) > 0
    path = Path(warehouse) if warehouse else warehouse_path()
    if not path.exists():
        return False
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, [project_id]).fetchone()[0] > 0
    finally:
        con.close()


def validate(project_id: Any, decision: Any, rationale: Any, recorded_by: Any, decision_date: Any,
             project_exists: bool, today: date | None = None) -> list[tuple[str, str]]:
    """All problems with a decision, as (code, message); empty when it is valid."""
    problems = []
    today = today or date.today()
    if not project_id or not str(project_id).strip():
        problems.append(("no_project", "Choose a project."))
    elif not project_exists:
        problems.append(("unknown_project", f"Project {project_id} does not exist in the warehouse."))
    if decision not in DECISIONS:
        problems.append(("bad_decision", f"Decision must be one of {', '.join(DECISIONS)} (got {decision!r})."))
    if rationale is None or not str(rationale).strip():
        problems.append(("empty_rationale", "Write a rationale for the decision."))
    elif len(str(rationale)) > MAX_TEXT:
        problems.append(("long_rationale", f"The rationale is longer than {MAX_TEXT} characters."))
    if recorded_by is None or not str(recorded_by).strip():
        problems.append(("empty_recorded_by", "Say who records the decision (name or role)."))
    if not isinstance(decision_date, date):
        problems.append(("bad_date", "The decision date is not a date."))
    elif decision_date > today:
        problems.append(("future_date", "The decision date is in the future."))
    return problems


def record_decision(project_id: str, decision: str, rationale: str, recorded_by: str,
                    decision_date: date | None = None, *, wh: Any = None, warehouse: Path | str | None = None,
                    council_db: Path | str | None = None, now: datetime | None = None) -> dict:
    """Validate and append one decision; returns the stored row as a dict.

    The project is checked against the warehouse: via `wh` (a metrics.warehouse.Warehouse) when given,
    else by opening `warehouse` (default: SCORECARD_WAREHOUSE) read-only. Raises DecisionError."""
    now = now or datetime.now(timezone.utc)
    decision_date = decision_date or now.date()
    if isinstance(decision_date, datetime):
        decision_date = decision_date.date()
    project_id = (project_id or "").strip()
    decision = (decision or "").strip().lower()
    exists = bool(project_id) and _project_exists(project_id, wh=wh, warehouse=warehouse)
    problems = validate(project_id, decision, rationale, recorded_by, decision_date, exists, today=now.date())
    if problems:
        raise DecisionError(problems)
    if council_db:
        path = Path(council_db)
    else:
        path = council_db_path(getattr(wh, "path", None) or warehouse)
    row = {"decision_date": decision_date, "project_id": project_id, "decision": decision,
           "rationale": str(rationale).strip(), "recorded_by": str(recorded_by).strip(),
           "recorded_at": now.astimezone(timezone.utc).replace(tzinfo=None)}
    with _locked(path, exclusive=True):
        con = duckdb.connect(str(path))
        try:
            con.execute(DDL)
            con.execute("BEGIN TRANSACTION")
            next_id = con.execute("SELECT coalesce(max(decision_id), 0) + 1 FROM council_decisions").fetchone()[0]
            con.execute("INSERT INTO council_decisions VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [next_id, row["decision_date"], row["project_id"], row["decision"], row["rationale"],
                         row["recorded_by"], row["recorded_at"]])
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
        finally:
            con.close()
    return {"decision_id": int(next_id), **row}


def decisions(project_id: str | None = None, *, council_db: Path | str | None = None,
              warehouse: Path | str | None = None) -> pd.DataFrame:
    """The log, newest first: decision_id, decision_date, project_id, decision, rationale, recorded_by,
    recorded_at. Empty frame (same columns) when the store does not exist yet."""
    path = Path(council_db) if council_db else council_db_path(warehouse)
    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
    if not path.exists():
        return empty
    with _locked(path, exclusive=False):
        con = duckdb.connect(str(path), read_only=True)
        try:
            tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
            if "council_decisions" not in tables:
                return empty
            sql = "SELECT * FROM council_decisions"
            params: list = []
            if project_id:
                sql += " WHERE project_id = ?"
                params.append(project_id)
            sql += " ORDER BY decision_date DESC, recorded_at DESC, decision_id DESC"
            return con.execute(sql, params).df()
        finally:
            con.close()


def version(council_db: Path | str | None = None, warehouse: Path | str | None = None) -> str:
    """Cheap change marker of the store for caches: '<ino>-<mtime_ns>' or '' when missing."""
    path = Path(council_db) if council_db else council_db_path(warehouse)
    try:
        st = path.stat()
    except FileNotFoundError:
        return ""
    return f"{st.st_ino}-{st.st_mtime_ns}"
