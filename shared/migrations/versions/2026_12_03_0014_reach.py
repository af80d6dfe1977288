"""reaching people: media kept as evidence, template parameters of outbound messages

Revision ID: 0014
Revises: 0015
Create Date: 2026-12-03

- ``attachments`` gains what fetching a provider's media needs: the channel it came from,
  a fetch status (``pending`` → ``stored`` | ``failed``; NULL for files stored at intake
  and references never to be fetched), the attempts made and the last reason. Nothing to
  backfill: media that arrived before this revision stay references.
- ``outbound_messages`` gains ``params``: what a provider template (WhatsApp) or an e-mail
  (subject, links) needs besides the plain-text body, rendered when the message is queued.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0011"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("fetch_channel", sa.String(24), nullable=True))
        batch.add_column(sa.Column("fetch_status", sa.String(12), nullable=True))
        batch.add_column(
            sa.Column("fetch_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("fetch_error", sa.Text(), nullable=True))
    op.create_index("ix_attachments_fetch_status", "attachments", ["fetch_status"])
    with op.batch_alter_table("outbound_messages") as batch:
        batch.add_column(sa.Column("params", _JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbound_messages") as batch:
        batch.drop_column("params")
    op.drop_index("ix_attachments_fetch_status", table_name="attachments")
    with op.batch_alter_table("attachments") as batch:
        batch.drop_column("fetch_error")
        batch.drop_column("fetch_attempts")
        batch.drop_column("fetch_status")
        batch.drop_column("fetch_channel")
