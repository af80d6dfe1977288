"""lapor mirror: the national status name and where the case sits nationally

Revision ID: 0012
Revises: 0015
Create Date: 2026-12-03

Statuses are read by name (the national codes' values are nowhere public), and replies are
addressed to the instansi the case sits with: both are remembered per mirrored case. The
mirror's ``state`` gains ``to_confirm`` ("perlu konfirmasi": an uncertain create an operator
settles); the column is a plain string, so that needs no change here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lapor_mirror") as batch:
        batch.add_column(sa.Column("national_status_name", sa.String(80), nullable=True))
        batch.add_column(sa.Column("national_disposition_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lapor_mirror") as batch:
        batch.drop_column("national_disposition_id")
        batch.drop_column("national_status_name")
