"""sla tables (see shared/models/sla.py): sla_clocks, holiday_overrides

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_RUNNING = sa.text("state = 'running'")
_RUNNING_UNWARNED = sa.text("state = 'running' AND warned_at IS NULL")
_ACTIVE_OVERRIDE = sa.text("revoked_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "sla_clocks",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("case_id", _BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("opd_code", sa.String(length=40), nullable=True),
        sa.Column("sla_class", sa.String(length=24), nullable=True),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("warning_days", sa.Integer(), nullable=True),
        sa.Column("used_working_days", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("warning_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("warned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("start_event_id", _BIG_ID, nullable=True),
        sa.Column("last_event_id", _BIG_ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_sla_clocks_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["start_event_id"], ["events.id"], name=op.f("fk_sla_clocks_start_event_id_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_clocks")),
        sa.UniqueConstraint(
            "case_id", "kind", "generation", name="uq_sla_clocks_case_kind_generation"
        ),
    )
    op.create_index(
        "ix_sla_clocks_warning_due",
        "sla_clocks",
        ["warning_at"],
        sqlite_where=_RUNNING_UNWARNED,
        postgresql_where=_RUNNING_UNWARNED,
    )
    op.create_index(
        "ix_sla_clocks_deadline_due",
        "sla_clocks",
        ["deadline_at"],
        sqlite_where=_RUNNING,
        postgresql_where=_RUNNING,
    )
    op.create_index("ix_sla_clocks_breached_at", "sla_clocks", ["breached_at"])
    op.create_index("ix_sla_clocks_opd_state", "sla_clocks", ["opd_code", "state"])

    op.create_table(
        "holiday_overrides",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holiday_overrides")),
    )
    op.create_index(
        "uq_holiday_overrides_active_date",
        "holiday_overrides",
        ["date"],
        unique=True,
        sqlite_where=_ACTIVE_OVERRIDE,
        postgresql_where=_ACTIVE_OVERRIDE,
    )


def downgrade() -> None:
    op.drop_index("uq_holiday_overrides_active_date", table_name="holiday_overrides")
    op.drop_table("holiday_overrides")
    op.drop_index("ix_sla_clocks_opd_state", table_name="sla_clocks")
    op.drop_index("ix_sla_clocks_breached_at", table_name="sla_clocks")
    op.drop_index("ix_sla_clocks_deadline_due", table_name="sla_clocks")
    op.drop_index("ix_sla_clocks_warning_due", table_name="sla_clocks")
    op.drop_table("sla_clocks")
