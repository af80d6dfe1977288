"""channels tables: inbound provider deliveries (dedup + audit) and the quarantine

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "inbound_deliveries",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=24), nullable=False),
        sa.Column("provider_message_id", sa.String(length=200), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("headers", _JSON, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("case_id", _BIG_ID, nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_inbound_deliveries_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_deliveries")),
        sa.UniqueConstraint(
            "channel", "provider_message_id", name="uq_inbound_deliveries_provider_message"
        ),
    )
    op.create_index("ix_inbound_deliveries_case_id", "inbound_deliveries", ["case_id"])
    op.create_index("ix_inbound_deliveries_received_at", "inbound_deliveries", ["received_at"])

    op.create_table(
        "quarantined_deliveries",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("headers", _JSON, nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("body_size", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantined_deliveries")),
    )
    op.create_index(
        "ix_quarantined_deliveries_channel_id", "quarantined_deliveries", ["channel", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_quarantined_deliveries_channel_id", table_name="quarantined_deliveries")
    op.drop_table("quarantined_deliveries")
    op.drop_index("ix_inbound_deliveries_received_at", table_name="inbound_deliveries")
    op.drop_index("ix_inbound_deliveries_case_id", table_name="inbound_deliveries")
    op.drop_table("inbound_deliveries")
