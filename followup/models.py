"""The store's tables. Each is an append-only versioned table (followup.store.Versioned).

A module that adds a table (the follow-up cycle's analyses/actions, the council's project stages)
defines it like these, adds an Alembic revision under followup/migrations/versions/, and imports
its module at the end of this file so the audit log sees it.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from followup.store import Base, Versioned


class RoleGrant(Versioned, Base):
    """A role held by a principal: an e-mail address or 'group:<name>' (a group claim of the IdP).
    committee_code NULL: the role is not committee-bound (city-wide for an analyst). Revoking is a
    withdrawal."""
    __tablename__ = "role_grants"
    __audit_fields__ = ("principal", "role", "committee_code")
    principal: Mapped[str] = mapped_column(String(320), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    committee_code: Mapped[str | None] = mapped_column(String(40), nullable=True)


class CouncilDecision(Versioned, Base):
    """One decision of the development council (rådets beslut) on a project."""
    __tablename__ = "council_decisions"
    __audit_fields__ = ("project_id", "decision", "decision_date")
    project_id: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    decision: Mapped[str] = mapped_column(String(16), nullable=False)
    decision_date: Mapped[date] = mapped_column(Date, nullable=False)
    rationale: Mapped[str] = mapped_column(Text, nullable=False)


class TargetChange(Versioned, Base):
    """An administrator's target for one committee, year and measure (one entity per key; a change
    of the value is an edit, going back to the declared/loaded target is a withdrawal)."""
    __tablename__ = "target_changes"
    __audit_fields__ = ("committee_code", "year", "measure_id", "target", "red_threshold")
    committee_code: Mapped[str] = mapped_column(String(40), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    measure_id: Mapped[str] = mapped_column(String(16), nullable=False)
    target: Mapped[float] = mapped_column(Float, nullable=False)
    red_threshold: Mapped[float] = mapped_column(Float, nullable=False)
