"""sync tables (see shared/models/sync.py): the SP4N-LAPOR! mirror

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "lapor_mirror",
        sa.Column("case_id", _BIG_ID, nullable=False),
        sa.Column("lapor_complaint_id", sa.BigInteger(), nullable=True),
        sa.Column("origin", sa.String(length=12), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("last_synced_event_id", sa.BigInteger(), nullable=True),
        sa.Column("national_status_code", sa.Integer(), nullable=True),
        sa.Column("rating_key", sa.String(length=80), nullable=True),
        sa.Column("next_check_at", _TIME, nullable=True),
        sa.Column("check_interval_s", sa.Integer(), nullable=False),
        sa.Column("last_checked_at", _TIME, nullable=True),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("held_reason", sa.Text(), nullable=True),
        sa.Column("drift", _JSON, nullable=True),
        sa.Column("drift_checked_at", _TIME, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_lapor_mirror_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_lapor_mirror")),
        sa.UniqueConstraint("lapor_complaint_id", name="uq_lapor_mirror_lapor_complaint_id"),
    )
    op.create_index("ix_lapor_mirror_due", "lapor_mirror", ["state", "next_check_at"], unique=False)

    op.create_table(
        "lapor_outbound_ops",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("case_id", _BIG_ID, nullable=False),
        sa.Column("event_id", _BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lapor_complaint_id", sa.BigInteger(), nullable=True),
        sa.Column("lapor_followup_id", sa.BigInteger(), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("response_body", _JSON, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_lapor_outbound_ops_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_lapor_outbound_ops_event_id_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lapor_outbound_ops")),
        sa.UniqueConstraint("event_id", "kind", name="uq_lapor_outbound_ops_event_id_kind"),
    )
    op.create_index(
        "ix_lapor_outbound_ops_case", "lapor_outbound_ops", ["case_id", "id"], unique=False
    )
    op.create_index("ix_lapor_outbound_ops_status", "lapor_outbound_ops", ["status"], unique=False)

    op.create_table(
        "lapor_callbacks",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=60), nullable=False),
        sa.Column("lapor_complaint_id", sa.BigInteger(), nullable=True),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("received_at", _TIME, nullable=False),
        sa.Column("processed_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lapor_callbacks")),
        sa.UniqueConstraint("event_id", name="uq_lapor_callbacks_event_id"),
    )
    op.create_index(
        "ix_lapor_callbacks_unprocessed", "lapor_callbacks", ["processed_at", "id"], unique=False
    )

    op.create_table(
        "lapor_followups_seen",
        sa.Column("lapor_followup_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("case_id", _BIG_ID, nullable=False),
        sa.Column("lapor_complaint_id", sa.BigInteger(), nullable=False),
        sa.Column("author", sa.String(length=12), nullable=False),
        sa.Column("message_id", _BIG_ID, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_lapor_followups_seen_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["case_messages.id"],
            name=op.f("fk_lapor_followups_seen_message_id_case_messages"),
        ),
        sa.PrimaryKeyConstraint("lapor_followup_id", name=op.f("pk_lapor_followups_seen")),
    )
    op.create_index(
        "ix_lapor_followups_seen_case", "lapor_followups_seen", ["case_id"], unique=False
    )

    op.create_table(
        "sync_settings",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("value", _JSON, nullable=True),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sync_settings")),
    )


def downgrade() -> None:
    op.drop_table("sync_settings")
    op.drop_index("ix_lapor_followups_seen_case", table_name="lapor_followups_seen")
    op.drop_table("lapor_followups_seen")
    op.drop_index("ix_lapor_callbacks_unprocessed", table_name="lapor_callbacks")
    op.drop_table("lapor_callbacks")
    op.drop_index("ix_lapor_outbound_ops_status", table_name="lapor_outbound_ops")
    op.drop_index("ix_lapor_outbound_ops_case", table_name="lapor_outbound_ops")
    op.drop_table("lapor_outbound_ops")
    op.drop_index("ix_lapor_mirror_due", table_name="lapor_mirror")
    op.drop_table("lapor_mirror")
