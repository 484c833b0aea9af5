"""Role grants, council decisions, target changes (append-only versioned tables).

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def versioned_columns() -> list:
    return [
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
    ]


def create_versioned(name: str, *payload: sa.Column) -> None:
    """Create an append-only versioned table (followup.store.Versioned) with its constraints."""
    op.create_table(
        name, *versioned_columns(), *payload,
        sa.UniqueConstraint("entity_id", "version", name=f"uq_{name}_entity_version"),
        sa.UniqueConstraint("request_id", name=f"uq_{name}_request_id"),
        sa.CheckConstraint("change IN ('create', 'edit', 'withdraw')", name=f"ck_{name}_change"),
    )
    op.create_index(f"ix_{name}_entity_id", name, ["entity_id"])


def upgrade() -> None:
    create_versioned("role_grants",
                     sa.Column("principal", sa.String(320), nullable=False),
                     sa.Column("role", sa.String(32), nullable=False),
                     sa.Column("committee_code", sa.String(40), nullable=True))
    op.create_index("ix_role_grants_principal", "role_grants", ["principal"])
    create_versioned("council_decisions",
                     sa.Column("project_id", sa.String(40), nullable=False),
                     sa.Column("decision", sa.String(16), nullable=False),
                     sa.Column("decision_date", sa.Date, nullable=False),
                     sa.Column("rationale", sa.Text, nullable=False))
    op.create_index("ix_council_decisions_project_id", "council_decisions", ["project_id"])
    create_versioned("target_changes",
                     sa.Column("committee_code", sa.String(40), nullable=False),
                     sa.Column("year", sa.Integer, nullable=False),
                     sa.Column("measure_id", sa.String(16), nullable=False),
                     sa.Column("target", sa.Float, nullable=False),
                     sa.Column("red_threshold", sa.Float, nullable=False))


def downgrade() -> None:
    for name in ("target_changes", "council_decisions", "role_grants"):
        op.drop_table(name)
