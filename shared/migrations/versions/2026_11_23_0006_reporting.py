"""reporting tables (see shared/models/reporting.py)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "working_day_index",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name="pk_working_day_index"),
    )
    op.create_table(
        "working_day_index_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_working_day_index_state"),
    )
    op.create_table(
        "report_targets",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=True),
        sa.Column("resolved_pct", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_by", sa.String(200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year", name="pk_report_targets"),
    )


def downgrade() -> None:
    op.drop_table("report_targets")
    op.drop_table("working_day_index_state")
    op.drop_table("working_day_index")
