"""officer notifications: the penanggung jawab of an OPD is an account

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03

- ``staff_users.penanggung_jawab_opd``: the OPD whose breaches this person hears of (its
  head, Permen 62/2018 escalation), on their own preferred channel. ``opds.penanggung_jawab``
  stays as the written contact used while no account holds the role.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): ``staff_users`` carries the never-delete trigger,
    # which a SQLite table rebuild would drop. SQLite adds a column's REFERENCES inline only.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE staff_users ADD COLUMN penanggung_jawab_opd VARCHAR(40) "
            "REFERENCES opds (code)"
        )
        return
    op.add_column(
        "staff_users",
        sa.Column(
            "penanggung_jawab_opd",
            sa.String(length=40),
            sa.ForeignKey("opds.code", name=op.f("fk_staff_users_penanggung_jawab_opd_opds")),
            nullable=True,
        ),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(
            op.f("fk_staff_users_penanggung_jawab_opd_opds"), "staff_users", type_="foreignkey"
        )
    op.drop_column("staff_users", "penanggung_jawab_opd")
