"""report cache: its figures no longer reference their unit by foreign key (issue 17's bench)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04

``report_cache_figures.unit_id`` keeps its index and loses its foreign key to
``report_cache_units``. Why: a cold year's rebuild writes ~13k figure rows over a million
cases, and PostgreSQL checks a foreign key row by row (a lookup each): ~100 ms of the ~130 ms
write, measured (``docs/performance.md``, "report_cold_1m_s"). The figures are a cache,
written and deleted with their unit in one transaction by ``services/sla/reports/cache.py``
alone, and read only through unit ids found in ``report_cache_units``; a figure row left
without its unit would never be read.
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_FK = "fk_report_cache_figures_unit_id_report_cache_units"


def upgrade() -> None:
    with op.batch_alter_table("report_cache_figures") as batch:
        batch.drop_constraint(_FK, type_="foreignkey")


def downgrade() -> None:
    op.execute("DELETE FROM report_cache_figures")  # a cache: rebuilt on the next report
    with op.batch_alter_table("report_cache_figures") as batch:
        batch.create_foreign_key(_FK, "report_cache_units", ["unit_id"], ["id"])
