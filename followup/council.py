"""The development council's decisions log (rådets beslut), in the follow-up store.

Moved here from metrics/council.py. Who recorded a decision comes from the login (the Identity),
never from a form field; only an identity with the permission `council.record` (the council
secretary) may write. A decision is never changed in place: an edit or a withdrawal is a new
version (followup.store), and the history of every decision is kept and shown.

Rules (validate):
* the project exists in the warehouse (the caller passes its status there; None = unknown);
* the decision is one of DECISIONS; a rationale of 1..4000 characters; a date not in the future;
* a finished or stopped project cannot be paused: its status is the effect of its latest current
  decision (close → finished, stop → stopped, pause → paused, approve/continue → running), else the
  warehouse's status;
* an edit or withdrawal has a reason.
The same form sent twice (double click) carries one request id and stores one decision.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import pandas as pd
from sqlalchemy import select

from followup.identity import Identity
from followup.models import CouncilDecision
from followup.store import Store, _naive_utc, get_store

DECISIONS = ("approve", "continue", "pause", "stop", "close")
EFFECT = {"approve": "running", "continue": "running", "pause": "paused", "stop": "stopped", "close": "finished"}
ENDED = ("finished", "stopped")
COLUMNS = ["decision_id", "decision_date", "project_id", "decision", "rationale", "recorded_by", "author",
           "recorded_at", "version", "change", "reason"]
MAX_TEXT = 4000


class DecisionError(ValueError):
    """Invalid input. `problems` is a list of (code, message); codes have translations
    `council.error.<code>` in ui/translations/council.yaml (followup.yaml for the new ones)."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(msg for _, msg in problems))


def validate(project_id: Any, decision: Any, rationale: Any, decision_date: Any, project_status: str | None,
             today: date | None = None) -> list[tuple[str, str]]:
    """All problems with a decision's fields, as (code, message); empty when valid. `project_status`
    is the project's current (effective) status, None when the project is not in the warehouse."""
    problems = []
    today = today or date.today()
    if not project_id or not str(project_id).strip():
        problems.append(("no_project", "Choose a project."))
    elif project_status is None:
        problems.append(("unknown_project", f"Project {project_id} does not exist in the warehouse."))
    if decision not in DECISIONS:
        problems.append(("bad_decision", f"Decision must be one of {', '.join(DECISIONS)} (got {decision!r})."))
    elif decision == "pause" and project_status in ENDED:
        problems.append(("pause_ended", f"Project {project_id} is {project_status}; a {project_status} project "
                                        "cannot be paused."))
    if rationale is None or not str(rationale).strip():
        problems.append(("empty_rationale", "Write a rationale for the decision."))
    elif len(str(rationale)) > MAX_TEXT:
        problems.append(("long_rationale", f"The rationale is longer than {MAX_TEXT} characters."))
    if not isinstance(decision_date, date):
        problems.append(("bad_date", "The decision date is not a date."))
    elif decision_date > today:
        problems.append(("future_date", "The decision date is in the future."))
    return problems


def effective_status(warehouse_status: str | None, project_decisions: pd.DataFrame) -> str | None:
    """The project's status after the council's decisions: the effect of the latest current decision
    (by decision date, then recording time), else the warehouse's status; None for an unknown project."""
    if warehouse_status is None:
        return None
    if project_decisions.empty:
        return warehouse_status
    latest = project_decisions.sort_values(["decision_date", "recorded_at", "decision_id"]).iloc[-1]
    return EFFECT[latest.decision]


def _current_in_session(session, project_id: str, exclude: int | None = None) -> pd.DataFrame:
    rows = session.execute(select(CouncilDecision).where(CouncilDecision.project_id == project_id)).scalars().all()
    latest: dict[int, CouncilDecision] = {}
    for r in rows:
        if r.entity_id not in latest or r.version > latest[r.entity_id].version:
            latest[r.entity_id] = r
    kept = [r for eid, r in latest.items() if r.change != "withdraw" and eid != exclude]
    return pd.DataFrame([{"decision_id": r.entity_id, "decision": r.decision, "decision_date": r.decision_date,
                          "recorded_at": r.recorded_at} for r in kept],
                        columns=["decision_id", "decision", "decision_date", "recorded_at"])


def _normalise_date(decision_date, now: datetime):
    if decision_date is None:
        return now.date()
    if isinstance(decision_date, datetime):
        return decision_date.date()
    return decision_date


def _validator(project_id, decision, rationale, decision_date, warehouse_status, today, exclude=None):
    def run(session, _previous, _new):
        status = None if warehouse_status is None else effective_status(
            warehouse_status, _current_in_session(session, project_id, exclude))
        problems = validate(project_id, decision, rationale, decision_date, status, today=today)
        if problems:
            raise DecisionError(problems)
    return run


def record_decision(identity: Identity, project_id: str, decision: str, rationale: str,
                    decision_date: date | None = None, *, project_status: str | None,
                    store: Store | None = None, now: datetime | None = None, request_id: str | None = None) -> dict:
    """Validate and append one decision; returns it (COLUMNS). Raises PermissionDenied (not the
    council secretary) or DecisionError, with nothing written. `project_status` is the project's status
    in the warehouse (None: not there)."""
    store = store or get_store()
    now = now or datetime.now(timezone.utc)
    decision_date = _normalise_date(decision_date, now)
    project_id = (project_id or "").strip()
    decision = (decision or "").strip().lower()
    rationale = "" if rationale is None else str(rationale)
    fields = {"project_id": project_id, "decision": decision, "decision_date": decision_date,
              "rationale": rationale.strip()}
    row = store.append(CouncilDecision, identity, fields, permission="council.record", request_id=request_id,
                       validate=_validator(project_id, decision, rationale, decision_date, project_status,
                                           now.date()), now=now)
    return _as_decision(row)


def edit_decision(identity: Identity, decision_id: int, *, reason: str, project_status: str | None,
                  decision: str | None = None, rationale: str | None = None, decision_date: date | None = None,
                  store: Store | None = None, now: datetime | None = None, request_id: str | None = None) -> dict:
    """A new version of a decision with the fields given changed; `reason` says why."""
    store = store or get_store()
    now = now or datetime.now(timezone.utc)
    if not reason or not str(reason).strip():
        raise DecisionError([("empty_reason", "Say why the decision is changed.")])
    old = decision_history(decision_id, store=store)
    if old.empty:
        raise DecisionError([("unknown_decision", f"Decision {decision_id} does not exist.")])
    last = old.iloc[-1]
    new_decision = (decision or last.decision).strip().lower()
    new_rationale = last.rationale if rationale is None else str(rationale)
    new_date = _normalise_date(decision_date, now) if decision_date is not None else last.decision_date.date()
    fields = {"decision": new_decision, "rationale": new_rationale.strip(), "decision_date": new_date}
    row = store.append(CouncilDecision, identity, fields, entity_id=int(decision_id), change="edit",
                       reason=str(reason), permission="council.record", request_id=request_id, now=now,
                       validate=_validator(last.project_id, new_decision, new_rationale, new_date, project_status,
                                           _naive_utc(now).date(), exclude=int(decision_id)))
    return _as_decision(row)


def withdraw_decision(identity: Identity, decision_id: int, *, reason: str, store: Store | None = None,
                      now: datetime | None = None, request_id: str | None = None) -> dict:
    """Withdraw a decision (a new version marked 'withdraw'; the earlier versions stay in the history)."""
    store = store or get_store()
    if not reason or not str(reason).strip():
        raise DecisionError([("empty_reason", "Say why the decision is withdrawn.")])
    row = store.append(CouncilDecision, identity, {}, entity_id=int(decision_id), change="withdraw",
                       reason=str(reason), permission="council.record", request_id=request_id, now=now)
    return _as_decision(row)


def _as_decision(row: dict) -> dict:
    return {"decision_id": int(row["entity_id"]), "decision_date": row["decision_date"],
            "project_id": row["project_id"], "decision": row["decision"], "rationale": row["rationale"],
            "recorded_by": row["author_name"], "author": row["author"], "recorded_at": row["recorded_at"],
            "version": int(row["version"]), "change": row["change"], "reason": row["reason"]}


def _frame(df: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
    out = pd.DataFrame({
        "decision_id": df.entity_id.astype("int64"), "decision_date": pd.to_datetime(df.decision_date),
        "project_id": df.project_id, "decision": df.decision, "rationale": df.rationale,
        "recorded_by": df.author_name, "author": df.author, "recorded_at": pd.to_datetime(df.recorded_at),
        "version": df.version.astype("int64"), "change": df.change, "reason": df.reason})
    return out[COLUMNS]


def decisions(project_id: str | None = None, *, store: Store | None = None,
              include_withdrawn: bool = False) -> pd.DataFrame:
    """The log (current version of each decision), newest first: COLUMNS. recorded_by is the name
    of whoever wrote the current version, author their e-mail; version > 1 means it was edited."""
    store = store or get_store()
    where = CouncilDecision.project_id == project_id if project_id else None
    df = _frame(store.current(CouncilDecision, include_withdrawn=include_withdrawn, where=where))
    return df.sort_values(["decision_date", "recorded_at", "decision_id"], ascending=False, ignore_index=True)


def decision_history(decision_id: int, *, store: Store | None = None) -> pd.DataFrame:
    """Every version of one decision, oldest first (COLUMNS)."""
    store = store or get_store()
    return _frame(store.history(CouncilDecision, int(decision_id))).reset_index(drop=True)


def project_status(warehouse_status: str | None, project_id: str, *, store: Store | None = None) -> str | None:
    """The project's effective status (see effective_status) from the store's current decisions."""
    return effective_status(warehouse_status, decisions(project_id, store=store))


def version(store: Store | None = None) -> str:
    """Change marker for caches."""
    return (store or get_store()).version_marker()
