"""The council's project stages recorded in the follow-up store (issue 13).

The stages of a project's application process (need → application → central valuation → preparation →
council decision → implementation → effect follow-up → closed) are loaded for history from the
`project_stages` source; new stages are recorded here, by the council secretary (permission
`council.record`), with the author from the login. A stage is never changed in place: a correction is a
new version, a mistake is withdrawn (followup.store).

The stage rules live in one place, metrics.portfolio.stage_problems (also the data tests of the declared
model project_stage_timeline); the caller passes them in as `rules` (followup does not import the read
side). They are checked inside the write transaction against the loaded history plus the stages already
in the store, so two secretaries cannot both move a project past the same stage.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Callable

import pandas as pd
from sqlalchemy import Date, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from followup.identity import Identity
from followup.store import Base, Store, Versioned, get_store

COLUMNS = ["stage_id", "project_id", "stage", "entered_on", "person", "note", "recorded_by", "author",
           "recorded_at", "version"]
#: rules(history {stage: (date, person)}, stage, entered_on, person) -> list of (code, message, params)
Rules = Callable[[dict, str, date, str], list]


class ProjectStage(Versioned, Base):
    """One stage a project reached in the council's process, recorded in the app."""
    __tablename__ = "project_stages"
    __audit_fields__ = ("project_id", "stage", "entered_on")
    project_id: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    stage: Mapped[str] = mapped_column(String(24), nullable=False)
    entered_on: Mapped[date] = mapped_column(Date, nullable=False)
    person: Mapped[str] = mapped_column(String(200), nullable=False)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class StageRuleError(ValueError):
    """The stage breaks the rules; `problems` is a list of (code, message, params)."""

    def __init__(self, problems: list):
        self.problems = problems
        super().__init__("; ".join(p[1] for p in problems))


def _recorded_in_session(session, project_id: str) -> dict:
    rows = session.execute(select(ProjectStage).where(ProjectStage.project_id == project_id)).scalars().all()
    latest: dict[int, ProjectStage] = {}
    for r in rows:
        if r.entity_id not in latest or r.version > latest[r.entity_id].version:
            latest[r.entity_id] = r
    return {r.stage: (r.entered_on, r.person) for r in latest.values() if r.change != "withdraw"}


def record_stage(identity: Identity, project_id: str, stage: str, entered_on: date, person: str,
                 note: str | None = None, *, loaded: dict, rules: Rules, store: Store | None = None,
                 now: datetime | None = None, request_id: str | None = None) -> dict:
    """Validate (the loaded history `loaded` {stage: (date, person)} plus the stages in the store, under
    `rules`) and append one stage; returns it (COLUMNS). Raises PermissionDenied (not the council
    secretary) or StageRuleError, with nothing written."""
    store = store or get_store()
    now = now or datetime.now(timezone.utc)
    project_id = (project_id or "").strip()
    person = (person or "").strip()
    fields = {"project_id": project_id, "stage": stage, "entered_on": entered_on, "person": person,
              "note": (note or "").strip() or None}

    def validate(session, _previous, _new):
        history = {**loaded, **_recorded_in_session(session, project_id)}
        problems = list(rules(history, stage, entered_on, person))
        if entered_on > now.date():
            problems.append(("future_date", "the stage is dated in the future", {}))
        if problems:
            raise StageRuleError(problems)

    row = store.append(ProjectStage, identity, fields, permission="council.record", request_id=request_id,
                       validate=validate, now=now)
    return _as_stage(row)


def _as_stage(row: dict) -> dict:
    return {"stage_id": int(row["entity_id"]), "project_id": row["project_id"], "stage": row["stage"],
            "entered_on": row["entered_on"], "person": row["person"], "note": row["note"],
            "recorded_by": row["author_name"], "author": row["author"], "recorded_at": row["recorded_at"],
            "version": int(row["version"])}


def stages(project_id: str | None = None, *, store: Store | None = None) -> pd.DataFrame:
    """The stages recorded in the store (current version of each, withdrawn left out): COLUMNS."""
    store = store or get_store()
    where = ProjectStage.project_id == project_id if project_id else None
    df = store.current(ProjectStage, where=where)
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
    out = pd.DataFrame({"stage_id": df.entity_id.astype("int64"), "project_id": df.project_id, "stage": df.stage,
                        "entered_on": pd.to_datetime(df.entered_on), "person": df.person, "note": df.note,
                        "recorded_by": df.author_name, "author": df.author,
                        "recorded_at": pd.to_datetime(df.recorded_at), "version": df.version.astype("int64")})
    return out[COLUMNS].reset_index(drop=True)
