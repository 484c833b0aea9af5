"""The council's project stages (issue 13): an append-only versioned table.

Revision ID: 0003_project_stages
Revises: 0002_cycle
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_project_stages"
down_revision = "0002_cycle"
branch_labels = None
depends_on = None


def _versioned_columns() -> list:
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


def upgrade() -> None:
    op.create_table(
        "project_stages",
        *_versioned_columns(),
        sa.Column("project_id", sa.String(40), nullable=False),
        sa.Column("stage", sa.String(24), nullable=False),
        sa.Column("entered_on", sa.Date, nullable=False),
        sa.Column("person", sa.String(200), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.UniqueConstraint("entity_id", "version", name="uq_project_stages_entity_version"),
        sa.UniqueConstraint("request_id", name="uq_project_stages_request_id"),
        sa.CheckConstraint("change IN ('create', 'edit', 'withdraw')", name="ck_project_stages_change"),
    )
    op.create_index("ix_project_stages_entity_id", "project_stages", ["entity_id"])
    op.create_index("ix_project_stages_project_id", "project_stages", ["project_id"])


def downgrade() -> None:
    op.drop_table("project_stages")
