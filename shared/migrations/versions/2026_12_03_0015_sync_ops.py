"""sync ops: reconciliation runs as jobs, drift as SQL NULL, LAPOR! ratings kept apart

Revision ID: 0015
Revises: 0009
Create Date: 2026-12-03

- ``lapor_reconcile_runs``: one row per reconciliation run, at most one ``running``
  (a unique partial index, on both backends);
- ``lapor_mirror.drift``: "in step" was written as the JSON value ``null``, which
  ``IS NOT NULL`` counts as drift; such rows become SQL ``NULL`` (the column now writes
  ``None`` as SQL ``NULL``);
- ``lapor_mirror.national_rating`` / ``national_rating_comment`` and
  ``cases.rating_source``: a LAPOR! rating no longer overwrites the reporter's Simpul
  rating (``services/sync/inbound/service.py``, "Ratings").
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015"
down_revision = "0009"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "lapor_reconcile_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=True),
        sa.Column("started_at", _TIME, nullable=False),
        sa.Column("heartbeat_at", _TIME, nullable=False),
        sa.Column("finished_at", _TIME, nullable=True),
        sa.Column("progress", _JSON, nullable=False),
        sa.Column("result", _JSON, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lapor_reconcile_runs")),
    )
    op.create_index(
        "uq_lapor_reconcile_runs_running",
        "lapor_reconcile_runs",
        ["state"],
        unique=True,
        postgresql_where=sa.text("state = 'running'"),
        sqlite_where=sa.text("state = 'running'"),
    )
    # Plain ADD COLUMN (no batch copy): ``cases`` carries triggers a table copy would drop.
    op.add_column("lapor_mirror", sa.Column("national_rating", sa.Integer(), nullable=True))
    op.add_column("lapor_mirror", sa.Column("national_rating_comment", sa.Text(), nullable=True))
    op.add_column("cases", sa.Column("rating_source", sa.String(length=12), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE lapor_mirror SET drift = NULL WHERE drift = 'null'::jsonb")
    else:
        op.execute("UPDATE lapor_mirror SET drift = NULL WHERE drift = 'null'")


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), for the same reason as above.
    op.execute("ALTER TABLE cases DROP COLUMN rating_source")
    op.execute("ALTER TABLE lapor_mirror DROP COLUMN national_rating_comment")
    op.execute("ALTER TABLE lapor_mirror DROP COLUMN national_rating")
    op.drop_index("uq_lapor_reconcile_runs_running", table_name="lapor_reconcile_runs")
    op.drop_table("lapor_reconcile_runs")
