"""The audit log: who did what, when — every version of every versioned table of the store."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd
from sqlalchemy import select

from followup.store import Store, get_store, versioned_models

COLUMNS = ["recorded_at", "author", "author_name", "author_source", "table", "entity_id", "version", "change",
           "what", "reason"]


def _what(model, row) -> str:
    fields = model.__audit_fields__ or tuple(model.payload_columns())
    parts = []
    for f in fields:
        v = getattr(row, f)
        if v is None:
            continue
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        parts.append(f"{f}={v}")
    return ", ".join(parts)


def audit(store: Store | None = None, *, since: date | datetime | None = None, until: date | datetime | None = None,
          author: str | None = None, table: str | None = None, change: str | None = None,
          limit: int | None = None) -> pd.DataFrame:
    """Every write, newest first (COLUMNS). `since`/`until` are inclusive dates (or datetimes, UTC);
    `author` matches the e-mail or name, case-insensitively, as a substring."""
    store = store or get_store()
    if isinstance(since, date) and not isinstance(since, datetime):
        since = datetime(since.year, since.month, since.day)
    if isinstance(until, date) and not isinstance(until, datetime):
        until = datetime(until.year, until.month, until.day, 23, 59, 59, 999999)
    rows = []
    with store.read() as s:
        for model in versioned_models():
            if table and model.__tablename__ != table:
                continue
            stmt = select(model)
            if since is not None:
                stmt = stmt.where(model.recorded_at >= since)
            if until is not None:
                stmt = stmt.where(model.recorded_at <= until)
            if change:
                stmt = stmt.where(model.change == change)
            if author:
                pat = f"%{author.strip().lower()}%"
                stmt = stmt.where(model.author.ilike(pat) | model.author_name.ilike(pat))
            for r in s.scalars(stmt):
                rows.append({"recorded_at": r.recorded_at, "author": r.author, "author_name": r.author_name,
                             "author_source": r.author_source, "table": model.__tablename__,
                             "entity_id": r.entity_id, "version": r.version, "change": r.change,
                             "what": _what(model, r), "reason": r.reason})
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
    df = pd.DataFrame(rows, columns=COLUMNS).sort_values(["recorded_at", "table", "entity_id", "version"],
                                                         ascending=False, ignore_index=True)
    return df.head(limit) if limit else df


def tables() -> list[str]:
    return [m.__tablename__ for m in versioned_models()]
