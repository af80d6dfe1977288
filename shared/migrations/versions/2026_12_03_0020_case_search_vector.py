"""search box: the Indonesian-stemmed text of a case stored with it (issue 17's bench)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03

PostgreSQL only (SQLite has no stemmer; the embedded mode matches words with LIKE):

- ``cases.search_vector``: ``to_tsvector('indonesian', coalesce(title, '') || ' ' ||
  description)``, a generated column (PostgreSQL computes it on every insert and update of
  the text; the application never writes it).
- ``ix_cases_search_vector``: its GIN index, in place of 0016's expression index
  ``ix_cases_text_search``.

Why: the search box shows the newest matches first. For common words PostgreSQL walks
``received_at`` backwards and tests each case; with the expression index every test
stemmed the case's text again (~10 µs a case, 90 ms for "jalan rusak" over a million
cases); the stored vector is read instead (``docs/performance.md``, "console").
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_DOCUMENT = "coalesce(title, '') || ' ' || description"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE cases ADD COLUMN search_vector tsvector "
        f"GENERATED ALWAYS AS (to_tsvector('indonesian', {_DOCUMENT})) STORED"
    )
    op.execute("CREATE INDEX ix_cases_search_vector ON cases USING gin (search_vector)")
    op.execute("DROP INDEX IF EXISTS ix_cases_text_search")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE INDEX ix_cases_text_search ON cases "
        f"USING gin (to_tsvector('indonesian', {_DOCUMENT}))"
    )
    op.execute("DROP INDEX IF EXISTS ix_cases_search_vector")
    op.execute("ALTER TABLE cases DROP COLUMN IF EXISTS search_vector")
