"""staff console: a case's assignee in its OPD, reply templates, the search indexes

Revision ID: 0016
Revises: 0009
Create Date: 2026-12-03

- ``cases.assignee_id`` / ``assignee_name`` / ``assigned_at``: whose desk a case is on inside
  the owning OPD (the pejabat penghubung distributes to an Admin UPP).
- ``reply_templates``: canned responses with placeholders, managed by Admin Instansi.
- ``ix_cases_text_search`` (PostgreSQL only): a GIN index over the Indonesian-stemmed
  ``to_tsvector`` of title and description, for the console's one search box. SQLite has no
  stemmer; the embedded mode matches each word with LIKE (``services/routing/cases/search.py``).
- ``ix_reporters_phone``: Admin Instansi finds a reporter's cases by phone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_DOCUMENT = "coalesce(title, '') || ' ' || description"


def upgrade() -> None:
    # Plain ALTER TABLE (no batch copy): ``cases`` carries the never-delete and report-cache
    # triggers, which a SQLite table rebuild would break. SQLite >= 3.35 drops columns natively.
    op.add_column("cases", sa.Column("assignee_id", sa.String(length=120), nullable=True))
    op.add_column("cases", sa.Column("assignee_name", sa.String(length=200), nullable=True))
    op.add_column("cases", sa.Column("assigned_at", _TS, nullable=True))
    op.create_index("ix_cases_assignee", "cases", ["assignee_id"], unique=False)
    with op.batch_alter_table("reporters", schema=None) as batch_op:
        batch_op.create_index("ix_reporters_phone", ["phone"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE INDEX ix_cases_text_search ON cases "
            f"USING gin (to_tsvector('indonesian', {_DOCUMENT}))"
        )
    op.create_table(
        "reply_templates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("actions", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_templates")),
        sa.UniqueConstraint("title", name=op.f("uq_reply_templates_title")),
    )
    with op.batch_alter_table("reply_templates", schema=None) as batch_op:
        batch_op.create_index("ix_reply_templates_active_title", ["active", "title"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reply_templates", schema=None) as batch_op:
        batch_op.drop_index("ix_reply_templates_active_title")
    op.drop_table("reply_templates")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_cases_text_search")
    with op.batch_alter_table("reporters", schema=None) as batch_op:
        batch_op.drop_index("ix_reporters_phone")
    op.drop_index("ix_cases_assignee", table_name="cases")
    for column in ("assigned_at", "assignee_name", "assignee_id"):
        op.drop_column("cases", column)
