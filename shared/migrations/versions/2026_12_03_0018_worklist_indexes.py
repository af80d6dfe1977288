"""worklist order: each case's earliest open deadline from an index alone (issue 17's bench)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03

- ``ix_sla_clocks_open_deadline`` on ``sla_clocks (case_id, deadline_at)`` for the clocks
  that still count (not stopped, running or breached): Admin Instansi's queue orders its
  thousands of cases by their earliest open deadline, one probe per case; with this
  partial index each probe is an index-only scan instead of an index scan plus a heap
  fetch (``docs/performance.md``, "console").
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_OPEN = "stopped_at IS NULL AND state IN ('running', 'breached')"


def upgrade() -> None:
    op.create_index(
        "ix_sla_clocks_open_deadline",
        "sla_clocks",
        ["case_id", "deadline_at"],
        unique=False,
        sqlite_where=sa.text(_OPEN),
        postgresql_where=sa.text(_OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_sla_clocks_open_deadline", table_name="sla_clocks")
