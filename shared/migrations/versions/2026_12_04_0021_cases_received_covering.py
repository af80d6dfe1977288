"""cold report: the receipt index carries what the tally reads (issue 17's bench)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04

PostgreSQL only: ``ix_cases_received_at`` on ``cases (received_at)`` becomes
``(received_at) INCLUDE (first_response_at, resolved_at, id, rating, status, opd_code)``,
every column the report cache's tally (``services/sla/reports/fast_tally.py``) reads of a
case.

Why: a year's tally over a million cases read the 510 MB heap, where a row's 44 columns
(its text and search vector among them) are walked to reach the seven; from the index it is
an index-only scan over ~75 MB of narrow entries (``docs/performance.md``,
"report_cold_1m_s"). The index replaces the plain one, so intake still maintains one index
on ``received_at``; every other reader of it (newest-first lists, ranges) is served as
before. SQLite has no ``INCLUDE``: its index stays as it was.
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

#: Also in ``shared/models/case.py`` (``RECEIVED_INDEX_INCLUDES``), which declares it.
_INCLUDE = "first_response_at, resolved_at, id, rating, status, opd_code"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_cases_received_at")
    op.execute(f"CREATE INDEX ix_cases_received_at ON cases (received_at) INCLUDE ({_INCLUDE})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_cases_received_at")
    op.execute("CREATE INDEX ix_cases_received_at ON cases (received_at)")
