"""The tertial follow-up cycle in the follow-up store (docs/followup_cycle.md).

Per committee and period:
* analyses — text and an assessment (on track / at risk / off track, separate from the computed
  status) for a measure, a perspective or the whole committee; one entity per subject, an edit is
  a new version;
* actions (åtgärder) — what, responsible, due date, status; an action is carried over to later
  periods until it is done (it shows in the period it was marked done, and no later);
* workflow steps — submitted (reporter), approved (chair), returned with a comment (chair); the state
  is the latest step, else 'draft' once something is written, else 'not_started';
* deadlines per period (administrator);
* period close (bokslut) — an administrator closes a period; every committee's report data of that
  period (figures, scores, analyses, actions, approval) is frozen as a snapshot. After the close
  nothing of that period can be written, and its reports are rendered from the snapshot.

Every table is an append-only versioned table (followup.store.Versioned): the author comes from the
Identity, never from a form field, and nothing is overwritten. The rules (who may, in which state)
are checked here, inside the write transaction; pages only hide what the rules refuse anyway.

This module never reads the warehouse: a caller passes what it knows from it (the red measures
of a report, the snapshot data of a close) — reports.cycle does that for the app and the CLI.
"""
from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timezone
from typing import Iterable

import pandas as pd
from sqlalchemy import Date, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from followup.identity import Identity, check
from followup.store import Base, Store, Versioned, get_store

ASSESSMENTS = ("on_track", "at_risk", "off_track")
SUBJECT_KINDS = ("measure", "perspective", "committee")
ACTION_STATUSES = ("planned", "in_progress", "done")
STATES = ("not_started", "draft", "submitted", "approved", "returned")
EDITABLE_STATES = ("not_started", "draft", "returned")
MAX_TEXT = 10_000


class CycleAnalysis(Versioned, Base):
    __tablename__ = "cycle_analyses"
    __audit_fields__ = ("committee_code", "period", "subject_kind", "subject_id", "assessment")
    committee_code: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    period: Mapped[str] = mapped_column(String(10), nullable=False)
    subject_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    subject_id: Mapped[str] = mapped_column(String(40), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    assessment: Mapped[str | None] = mapped_column(String(16), nullable=True)


class CycleAction(Versioned, Base):
    """`period` is the period in which this version was written; `period_created` the first one."""
    __tablename__ = "cycle_actions"
    __audit_fields__ = ("committee_code", "measure_id", "what", "status", "due_date")
    committee_code: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    measure_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    period_created: Mapped[str] = mapped_column(String(10), nullable=False)
    period: Mapped[str] = mapped_column(String(10), nullable=False)
    what: Mapped[str] = mapped_column(Text, nullable=False)
    responsible: Mapped[str] = mapped_column(String(200), nullable=False)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)


class CycleStep(Versioned, Base):
    """One workflow step (each step is a new entity: the steps are the history)."""
    __tablename__ = "cycle_workflow_steps"
    __audit_fields__ = ("committee_code", "period", "state", "comment")
    committee_code: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    period: Mapped[str] = mapped_column(String(10), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)


class CycleDeadline(Versioned, Base):
    __tablename__ = "cycle_deadlines"
    __audit_fields__ = ("period", "due_date")
    period: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    due_date: Mapped[date] = mapped_column(Date, nullable=False)


class PeriodClose(Versioned, Base):
    """A period's close. `token` ties it to its snapshots (written before it: a close that failed half
    way leaves snapshots that no close points at, and they are never read)."""
    __tablename__ = "cycle_period_closes"
    __audit_fields__ = ("period", "data_version")
    period: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    data_version: Mapped[str] = mapped_column(String(40), nullable=False)
    token: Mapped[str] = mapped_column(String(36), nullable=False)


class PeriodSnapshot(Versioned, Base):
    __tablename__ = "cycle_snapshots"
    __audit_fields__ = ("period", "committee_code")
    period: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    committee_code: Mapped[str] = mapped_column(String(40), nullable=False)
    token: Mapped[str] = mapped_column(String(36), nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)


class CycleError(ValueError):
    """A step the workflow does not allow. `code` names the rule (translated in the UI as
    cycle.error.<code>); `measures` lists the red measures without an analysis for 'unexplained'."""

    def __init__(self, code: str, message: str, measures: Iterable[str] = ()):
        self.code, self.measures = code, list(measures)
        super().__init__(message)


# ---- reading ------------------------------------------------------------------------------------------

def _latest(session: Session, model, *conds):
    """Current versions (latest per entity, not withdrawn) matching conds, inside a session."""
    rows = session.scalars(select(model).where(*conds).order_by(model.entity_id, model.version)).all()
    latest: dict[int, object] = {}
    for r in rows:
        latest[r.entity_id] = r
    return [r for r in latest.values() if r.change != "withdraw"]


def _closed(session: Session, period: str):
    found = _latest(session, PeriodClose, PeriodClose.period == period)
    return found[-1] if found else None


def _state(session: Session, committee: str, period: str) -> str:
    steps = session.scalars(select(CycleStep).where(CycleStep.committee_code == committee, CycleStep.period == period)
                            .order_by(CycleStep.row_id.desc()).limit(1)).first()
    if steps is not None:
        return steps.state
    wrote = session.scalars(select(CycleAnalysis.row_id).where(CycleAnalysis.committee_code == committee,
                                                               CycleAnalysis.period == period).limit(1)).first()
    if wrote is None:
        wrote = session.scalars(select(CycleAction.row_id).where(CycleAction.committee_code == committee,
                                                                 CycleAction.period == period).limit(1)).first()
    return "draft" if wrote is not None else "not_started"


def state(committee: str, period: str, store: Store | None = None) -> str:
    with (store or get_store()).read() as s:
        return _state(s, committee, period)


def is_closed(period: str, store: Store | None = None) -> bool:
    with (store or get_store()).read() as s:
        return _closed(s, period) is not None


def closed_info(period: str, store: Store | None = None) -> dict | None:
    with (store or get_store()).read() as s:
        c = _closed(s, period)
        if c is None:
            return None
        return {"period": period, "closed_by": c.author_name, "closed_by_email": c.author,
                "closed_at": c.recorded_at.isoformat(timespec="seconds"), "data_version": c.data_version}


def analyses(committee: str, period: str, store: Store | None = None) -> list[dict]:
    """The current analysis of every subject, oldest subject first."""
    with (store or get_store()).read() as s:
        rows = _latest(s, CycleAnalysis, CycleAnalysis.committee_code == committee, CycleAnalysis.period == period)
        return [{"entity_id": r.entity_id, "version": r.version, "subject_kind": r.subject_kind,
                 "subject_id": r.subject_id, "text": r.text, "assessment": r.assessment, "author": r.author_name,
                 "author_email": r.author, "written_at": r.recorded_at.isoformat(timespec="seconds")} for r in rows]


def analysis_history(committee: str, period: str, subject_kind: str, subject_id: str,
                     store: Store | None = None) -> pd.DataFrame:
    store = store or get_store()
    df = store.history(CycleAnalysis)
    return df[(df.committee_code == committee) & (df.period == period) & (df.subject_kind == subject_kind)
              & (df.subject_id == subject_id)].reset_index(drop=True)


def actions(committee: str, period: str, store: Store | None = None) -> list[dict]:
    """The actions of `period`: created in it or earlier and not done before it (carried over until
    done; a done action shows in the period it was marked done)."""
    with (store or get_store()).read() as s:
        rows = s.scalars(select(CycleAction).where(CycleAction.committee_code == committee,
                                                   CycleAction.period <= period)
                         .order_by(CycleAction.entity_id, CycleAction.version)).all()
    latest: dict[int, CycleAction] = {}
    for r in rows:
        latest[r.entity_id] = r  # the latest version written in or before `period`
    out = []
    for r in latest.values():
        if r.change == "withdraw" or (r.status == "done" and r.period < period):
            continue
        out.append({"entity_id": r.entity_id, "version": r.version, "measure_id": r.measure_id, "what": r.what,
                    "responsible": r.responsible, "due_date": r.due_date.isoformat() if r.due_date else None,
                    "status": r.status, "period_created": r.period_created, "author": r.author_name,
                    "written_at": r.recorded_at.isoformat(timespec="seconds")})
    return out


def steps(committee: str, period: str, store: Store | None = None) -> list[dict]:
    with (store or get_store()).read() as s:
        rows = s.scalars(select(CycleStep).where(CycleStep.committee_code == committee, CycleStep.period == period)
                         .order_by(CycleStep.row_id)).all()
        return [{"state": r.state, "comment": r.comment, "actor": r.author_name, "actor_email": r.author,
                 "at": r.recorded_at.isoformat(timespec="seconds")} for r in rows]


def workflow(committee: str, period: str, store: Store | None = None) -> dict:
    store = store or get_store()
    history = steps(committee, period, store)
    out = {"state": state(committee, period, store), "steps": history, "approved_by": None, "approved_at": None}
    if out["state"] == "approved":
        out["approved_by"], out["approved_at"] = history[-1]["actor"], history[-1]["at"]
    return out


def deadline(period: str, store: Store | None = None) -> date | None:
    with (store or get_store()).read() as s:
        found = _latest(s, CycleDeadline, CycleDeadline.period == period)
        return found[-1].due_date if found else None


def report_cycle(committee: str, period: str, store: Store | None = None) -> dict:
    """What a committee report shows of the cycle (reports.model's `cycle` part)."""
    store = store or get_store()
    info = closed_info(period, store)
    return {"analyses": analyses(committee, period, store), "actions": actions(committee, period, store),
            "workflow": workflow(committee, period, store),
            "closed": None if info is None else {"closed_by": info["closed_by"], "closed_at": info["closed_at"]}}


class StoreCycle:
    """The store as the report's cycle source (reports.model.CycleSource)."""

    def __init__(self, store: Store | None = None):
        self.store = store or get_store()

    def report_cycle(self, committee_code: str, period: str) -> dict:
        return report_cycle(committee_code, period, self.store)


def reporting_status(period: str, committees: Iterable[str], store: Store | None = None) -> pd.DataFrame:
    """Who has reported: [committee_code, state, submitted_at, submitted_by, approved_at, approved_by,
    deadline, overdue] — for the city director's view. `overdue`: the deadline has passed and the
    report is not submitted or approved."""
    store = store or get_store()
    due = deadline(period, store)
    today = date.today()
    rows = []
    for code in committees:
        history = steps(code, period, store)
        st = state(code, period, store)
        sub = next((h for h in reversed(history) if h["state"] == "submitted"), None)
        appr = next((h for h in reversed(history) if h["state"] == "approved"), None)
        rows.append({"committee_code": code, "state": st,
                     "submitted_at": sub["at"] if sub else None, "submitted_by": sub["actor"] if sub else None,
                     "approved_at": appr["at"] if appr and st == "approved" else None,
                     "approved_by": appr["actor"] if appr and st == "approved" else None,
                     "deadline": due, "overdue": bool(due and today > due and st not in ("submitted", "approved"))})
    return pd.DataFrame(rows, columns=["committee_code", "state", "submitted_at", "submitted_by", "approved_at",
                                       "approved_by", "deadline", "overdue"])


# ---- writing ------------------------------------------------------------------------------------------

def _writable(session: Session, committee: str, period: str) -> None:
    if _closed(session, period) is not None:
        raise CycleError("closed", f"the period {period} is closed; nothing of it can be changed")
    st = _state(session, committee, period)
    if st not in EDITABLE_STATES:
        raise CycleError("locked", f"the report of {committee} for {period} is {st}; it must be returned before it "
                                   "can be changed")


def _text(value: str, what: str, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise CycleError("empty", f"{what} is empty")
    if len(value) > MAX_TEXT:
        raise CycleError("too_long", f"{what} is longer than {MAX_TEXT} characters")
    return value


def write_analysis(identity: Identity, committee: str, period: str, subject_kind: str, subject_id: str,
                   text: str, assessment: str | None = None, *, store: Store | None = None,
                   request_id: str | None = None, now: datetime | None = None) -> dict:
    """Write (or edit: a new version of) the analysis of one subject. Reporters (and chairs) of the
    committee; not when the report is submitted or approved, nor after the period is closed."""
    store = store or get_store()
    check(identity, "committee.report", committee)
    if subject_kind not in SUBJECT_KINDS:
        raise ValueError(f"subject_kind must be one of {SUBJECT_KINDS}")
    if assessment is not None and assessment not in ASSESSMENTS:
        raise CycleError("assessment", f"assessment must be one of {', '.join(ASSESSMENTS)}")
    if subject_kind == "committee":
        subject_id = committee
    text = _text(text, "the analysis")
    with store.read() as s:
        existing = _latest(s, CycleAnalysis, CycleAnalysis.committee_code == committee, CycleAnalysis.period == period,
                           CycleAnalysis.subject_kind == subject_kind, CycleAnalysis.subject_id == subject_id)
    fields = {"committee_code": committee, "period": period, "subject_kind": subject_kind, "subject_id": subject_id,
              "text": text, "assessment": assessment}

    def validate(session, _previous, _new):
        _writable(session, committee, period)
    if existing:
        return store.append(CycleAnalysis, identity, fields, entity_id=existing[0].entity_id, change="edit",
                            permission="committee.report", committee=committee, validate=validate,
                            request_id=request_id, now=now)
    return store.append(CycleAnalysis, identity, fields, permission="committee.report", committee=committee,
                        validate=validate, request_id=request_id, now=now)


def _due(value) -> date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def add_action(identity: Identity, committee: str, period: str, what: str, responsible: str,
               due_date: date | str | None = None, measure_id: str | None = None, status: str = "planned", *,
               store: Store | None = None, request_id: str | None = None, now: datetime | None = None) -> dict:
    store = store or get_store()
    check(identity, "committee.report", committee)
    if status not in ACTION_STATUSES:
        raise CycleError("action_status", f"status must be one of {', '.join(ACTION_STATUSES)}")
    fields = {"committee_code": committee, "measure_id": measure_id or None, "period_created": period, "period": period,
              "what": _text(what, "the action"), "responsible": _text(responsible, "the responsible person"),
              "due_date": _due(due_date), "status": status}
    return store.append(CycleAction, identity, fields, permission="committee.report", committee=committee,
                        validate=lambda s, _p, _n: _writable(s, committee, period), request_id=request_id, now=now)


def update_action(identity: Identity, action_id: int, period: str, *, status: str | None = None,
                  what: str | None = None, responsible: str | None = None, due_date: date | str | None = None,
                  store: Store | None = None, request_id: str | None = None, now: datetime | None = None) -> dict:
    """A new version of an action, written in `period` (its status in that period, e.g. done)."""
    store = store or get_store()
    with store.read() as s:
        found = _latest(s, CycleAction, CycleAction.entity_id == action_id)
    if not found:
        raise CycleError("unknown_action", f"no action {action_id}")
    committee = found[0].committee_code
    check(identity, "committee.report", committee)
    fields: dict = {"period": period}
    if status is not None:
        if status not in ACTION_STATUSES:
            raise CycleError("action_status", f"status must be one of {', '.join(ACTION_STATUSES)}")
        fields["status"] = status
    if what is not None:
        fields["what"] = _text(what, "the action")
    if responsible is not None:
        fields["responsible"] = _text(responsible, "the responsible person")
    if due_date is not None:
        fields["due_date"] = _due(due_date)
    return store.append(CycleAction, identity, fields, entity_id=action_id, change="edit",
                        permission="committee.report", committee=committee,
                        validate=lambda s, _p, _n: _writable(s, committee, period), request_id=request_id, now=now)


def _step(identity, committee, period, new_state, comment, permission, allowed_from, validate_more=None, *,
          store, request_id, now) -> dict:
    def validate(session, _previous, _new):
        if _closed(session, period) is not None:
            raise CycleError("closed", f"the period {period} is closed")
        st = _state(session, committee, period)
        if st not in allowed_from:
            raise CycleError("state", f"the report of {committee} for {period} is {st}; it cannot become {new_state}")
        if validate_more:
            validate_more(session)
    return store.append(CycleStep, identity, {"committee_code": committee, "period": period, "state": new_state,
                                              "comment": comment},
                        permission=permission, committee=committee, validate=validate, request_id=request_id, now=now)


def submit(identity: Identity, committee: str, period: str, red_measures: Iterable[str], *,
           store: Store | None = None, request_id: str | None = None, now: datetime | None = None) -> dict:
    """Submit the report (reporter). Refused while any of `red_measures` (the committee's red measures
    in the period, from the warehouse) has no analysis."""
    store = store or get_store()
    red = list(red_measures)

    def explained(session):
        done = {a.subject_id for a in _latest(session, CycleAnalysis, CycleAnalysis.committee_code == committee,
                                              CycleAnalysis.period == period, CycleAnalysis.subject_kind == "measure")
                if a.text.strip()}
        missing = [m for m in red if m not in done]
        if missing:
            raise CycleError("unexplained", f"red measures without an analysis: {', '.join(missing)}", missing)
    return _step(identity, committee, period, "submitted", None, "committee.report", EDITABLE_STATES, explained,
                 store=store, request_id=request_id, now=now)


def approve(identity: Identity, committee: str, period: str, comment: str | None = None, *,
            store: Store | None = None, request_id: str | None = None, now: datetime | None = None) -> dict:
    """Approve a submitted report (the committee's chair)."""
    return _step(identity, committee, period, "approved", (comment or "").strip() or None, "committee.approve",
                 ("submitted",), store=store or get_store(), request_id=request_id, now=now)


def return_report(identity: Identity, committee: str, period: str, comment: str, *, store: Store | None = None,
                  request_id: str | None = None, now: datetime | None = None) -> dict:
    """Return a submitted or approved report to the reporters with a comment (the chair)."""
    comment = _text(comment, "the comment")
    return _step(identity, committee, period, "returned", comment, "committee.approve", ("submitted", "approved"),
                 store=store or get_store(), request_id=request_id, now=now)


def set_deadline(identity: Identity, period: str, due_date: date | str, *, store: Store | None = None,
                 now: datetime | None = None) -> dict:
    store = store or get_store()
    check(identity, "period.close")
    with store.read() as s:
        existing = _latest(s, CycleDeadline, CycleDeadline.period == period)
    fields = {"period": period, "due_date": _due(due_date)}
    if existing:
        return store.append(CycleDeadline, identity, fields, entity_id=existing[0].entity_id, change="edit",
                            permission="period.close", now=now)
    return store.append(CycleDeadline, identity, fields, permission="period.close", now=now)


def close_period(identity: Identity, period: str, snapshots: dict[str, dict], data_version: str, *,
                 store: Store | None = None, now: datetime | None = None) -> dict:
    """Close `period` with every committee's frozen report data (committee code → report dict, see
    reports.model; its `cycle.closed` is filled in here). Administrators only; a period closes once."""
    store = store or get_store()
    check(identity, "period.close")
    if is_closed(period, store):
        raise CycleError("already_closed", f"the period {period} is already closed")
    token = str(uuid.uuid4())
    closed_at = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)
    for code, report in snapshots.items():
        frozen = dict(report)
        frozen["cycle"] = dict(report["cycle"], closed={"closed_by": identity.name or identity.email,
                                                       "closed_at": closed_at.isoformat(timespec="seconds")})
        store.append(PeriodSnapshot, identity, {"period": period, "committee_code": code, "token": token,
                                                "payload": json.dumps(frozen, ensure_ascii=False, sort_keys=True)},
                     permission="period.close", now=closed_at)

    def not_closed(session, _p, _n):
        if _closed(session, period) is not None:
            raise CycleError("already_closed", f"the period {period} is already closed")
    return store.append(PeriodClose, identity, {"period": period, "data_version": str(data_version), "token": token},
                        permission="period.close", validate=not_closed, now=closed_at)


def snapshot(committee: str, period: str, store: Store | None = None) -> dict | None:
    """The frozen report data of a closed period, or None when the period is not closed."""
    with (store or get_store()).read() as s:
        c = _closed(s, period)
        if c is None:
            return None
        row = s.scalars(select(PeriodSnapshot).where(PeriodSnapshot.period == period, PeriodSnapshot.token == c.token,
                                                     PeriodSnapshot.committee_code == committee)
                        .order_by(PeriodSnapshot.version.desc()).limit(1)).first()
        return json.loads(row.payload) if row is not None else None
