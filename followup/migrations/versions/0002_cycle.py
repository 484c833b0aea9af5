"""The tertial follow-up cycle: analyses, actions, workflow steps, deadlines, period closes and
their snapshots (append-only versioned tables, followup/cycle.py).

Revision ID: 0002_cycle
Revises: 0001
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_cycle"
down_revision = "0001"
branch_labels = None
depends_on = None


def create_versioned(name: str, *payload: sa.Column) -> None:
    """The versioned columns and constraints of followup.store.Versioned (as in 0001)."""
    op.create_table(
        name,
        sa.Column("row_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entity_id", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("change", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("author", sa.String(320), nullable=False),
        sa.Column("author_name", sa.String(200), nullable=False),
        sa.Column("author_source", sa.String(16), nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True),
        *payload,
        sa.UniqueConstraint("entity_id", "version", name=f"uq_{name}_entity_version"),
        sa.UniqueConstraint("request_id", name=f"uq_{name}_request_id"),
        sa.CheckConstraint("change IN ('create', 'edit', 'withdraw')", name=f"ck_{name}_change"),
    )
    op.create_index(f"ix_{name}_entity_id", name, ["entity_id"])


def upgrade() -> None:
    create_versioned("cycle_analyses",
                     sa.Column("committee_code", sa.String(40), nullable=False),
                     sa.Column("period", sa.String(10), nullable=False),
                     sa.Column("subject_kind", sa.String(16), nullable=False),
                     sa.Column("subject_id", sa.String(40), nullable=False),
                     sa.Column("text", sa.Text, nullable=False),
                     sa.Column("assessment", sa.String(16), nullable=True),
                     sa.CheckConstraint("subject_kind IN ('measure', 'perspective', 'committee')",
                                        name="ck_cycle_analyses_subject_kind"),
                     sa.CheckConstraint("assessment IS NULL OR assessment IN ('on_track', 'at_risk', 'off_track')",
                                        name="ck_cycle_analyses_assessment"))
    op.create_index("ix_cycle_analyses_committee_code", "cycle_analyses", ["committee_code"])
    create_versioned("cycle_actions",
                     sa.Column("committee_code", sa.String(40), nullable=False),
                     sa.Column("measure_id", sa.String(16), nullable=True),
                     sa.Column("period_created", sa.String(10), nullable=False),
                     sa.Column("period", sa.String(10), nullable=False),
                     sa.Column("what", sa.Text, nullable=False),
                     sa.Column("responsible", sa.String(200), nullable=False),
                     sa.Column("due_date", sa.Date, nullable=True),
                     sa.Column("status", sa.String(16), nullable=False),
                     sa.CheckConstraint("status IN ('planned', 'in_progress', 'done')", name="ck_cycle_actions_status"))
    op.create_index("ix_cycle_actions_committee_code", "cycle_actions", ["committee_code"])
    create_versioned("cycle_workflow_steps",
                     sa.Column("committee_code", sa.String(40), nullable=False),
                     sa.Column("period", sa.String(10), nullable=False),
                     sa.Column("state", sa.String(16), nullable=False),
                     sa.Column("comment", sa.Text, nullable=True),
                     sa.CheckConstraint("state IN ('submitted', 'approved', 'returned')",
                                        name="ck_cycle_workflow_steps_state"))
    op.create_index("ix_cycle_workflow_steps_committee_code", "cycle_workflow_steps", ["committee_code"])
    create_versioned("cycle_deadlines",
                     sa.Column("period", sa.String(10), nullable=False),
                     sa.Column("due_date", sa.Date, nullable=False))
    op.create_index("ix_cycle_deadlines_period", "cycle_deadlines", ["period"])
    create_versioned("cycle_period_closes",
                     sa.Column("period", sa.String(10), nullable=False),
                     sa.Column("data_version", sa.String(40), nullable=False),
                     sa.Column("token", sa.String(36), nullable=False))
    op.create_index("ix_cycle_period_closes_period", "cycle_period_closes", ["period"])
    create_versioned("cycle_snapshots",
                     sa.Column("period", sa.String(10), nullable=False),
                     sa.Column("committee_code", sa.String(40), nullable=False),
                     sa.Column("token", sa.String(36), nullable=False),
                     sa.Column("payload", sa.Text, nullable=False))
    op.create_index("ix_cycle_snapshots_period", "cycle_snapshots", ["period"])


def downgrade() -> None:
    for name in ("cycle_snapshots", "cycle_period_closes", "cycle_deadlines", "cycle_workflow_steps",
                 "cycle_actions", "cycle_analyses"):
        op.drop_table(name)
