"""staff accounts: personal logins, two-factor, sessions, revocation (issue 16)

Revision ID: 0011
Revises: 0012
Create Date: 2026-12-03

New tables for people (``staff_users``), their browser sessions, recovery codes, failed
logins and the security audit trail. The existing credentials keep working unchanged:
``ops_tokens`` and ``client_apps`` only gain nullable columns (an owner, an expiry, a
last-used time; a previous key for rotation), so every token and key issued before this
revision stays valid until revoked — existing tokens become "named integration" tokens.
Accounts are never deleted and the security trail is append-only: the database refuses it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0012"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

_SQLITE_GUARDS = [
    "CREATE TRIGGER staff_users_never_deleted BEFORE DELETE ON staff_users "
    "BEGIN SELECT RAISE(ABORT, 'staff accounts are never deleted; deactivate them'); END",
    "CREATE TRIGGER security_events_append_only_update BEFORE UPDATE ON security_events "
    "BEGIN SELECT RAISE(ABORT, 'the security audit trail is append-only'); END",
    "CREATE TRIGGER security_events_append_only_delete BEFORE DELETE ON security_events "
    "BEGIN SELECT RAISE(ABORT, 'the security audit trail is append-only'); END",
]
_PG_GUARDS = [
    "CREATE TRIGGER staff_users_never_deleted BEFORE DELETE ON staff_users FOR EACH ROW "
    "EXECUTE FUNCTION simpul_refuse('staff accounts are never deleted; deactivate them')",
    "CREATE TRIGGER security_events_append_only BEFORE UPDATE OR DELETE ON security_events "
    "FOR EACH ROW EXECUTE FUNCTION simpul_refuse('the security audit trail is append-only')",
]


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index("ix_login_failures_address_at", ["address", "at"], unique=False)
        batch_op.create_index("ix_login_failures_username_at", ["username", "at"], unique=False)

    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("nip", sa.String(length=32), nullable=True),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("opd_code", sa.String(length=40), nullable=True),
        sa.Column("position", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("telegram_chat_id", sa.String(length=40), nullable=True),
        sa.Column("notify_channel", sa.String(length=16), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("password_temporary", sa.Boolean(), nullable=False),
        sa.Column("password_changed_at", _TS, nullable=True),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_enabled_at", _TS, nullable=True),
        sa.Column("totp_last_step", _BIG_ID, nullable=True),
        sa.Column("totp_pending_secret", sa.String(length=64), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", _TS, nullable=True),
        sa.Column("last_login_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("deactivated_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["opd_code"], ["opds.code"], name=op.f("fk_staff_users_opd_code_opds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_users_username")),
    )
    op.create_table(
        "security_events",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("actor_id", sa.String(length=120), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("detail", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_users.id"], name=op.f("fk_security_events_user_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_events")),
    )
    with op.batch_alter_table("security_events", schema=None) as batch_op:
        batch_op.create_index("ix_security_events_type", ["type"], unique=False)
        batch_op.create_index("ix_security_events_user_id_id", ["user_id", "id"], unique=False)

    op.create_table(
        "staff_recovery_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("used_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_recovery_codes_user_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_recovery_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_staff_recovery_codes_code_hash")),
    )
    with op.batch_alter_table("staff_recovery_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_recovery_codes_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "staff_sessions",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=12), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("last_seen_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("revoked_at", _TS, nullable=True),
        sa.Column("revoked_reason", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_users.id"], name=op.f("fk_staff_sessions_user_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
        sa.UniqueConstraint("id_hash", name=op.f("uq_staff_sessions_id_hash")),
    )
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_staff_sessions_user_id", ["user_id", "revoked_at"], unique=False)

    with op.batch_alter_table("client_apps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_key_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("previous_key_expires_at", _TS, nullable=True))
        batch_op.add_column(sa.Column("rotated_at", _TS, nullable=True))
        batch_op.add_column(sa.Column("revoked_at", _TS, nullable=True))
        batch_op.create_index(
            batch_op.f("ix_client_apps_previous_key_hash"), ["previous_key_hash"], unique=False
        )

    with op.batch_alter_table("ops_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("expires_at", _TS, nullable=True))
        batch_op.add_column(sa.Column("last_used_at", _TS, nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_ops_tokens_owner_user_id"), ["owner_user_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_ops_tokens_owner_user_id_staff_users"),
            "staff_users",
            ["owner_user_id"],
            ["id"],
        )

    guards = _SQLITE_GUARDS if op.get_bind().dialect.name == "sqlite" else _PG_GUARDS
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in (
            "staff_users_never_deleted",
            "security_events_append_only_update",
            "security_events_append_only_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS staff_users_never_deleted ON staff_users")
        op.execute("DROP TRIGGER IF EXISTS security_events_append_only ON security_events")
    with op.batch_alter_table("ops_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_ops_tokens_owner_user_id_staff_users"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_ops_tokens_owner_user_id"))
        batch_op.drop_column("note")
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("owner_user_id")

    with op.batch_alter_table("client_apps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_apps_previous_key_hash"))
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("rotated_at")
        batch_op.drop_column("previous_key_expires_at")
        batch_op.drop_column("previous_key_hash")

    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_staff_sessions_user_id")

    op.drop_table("staff_sessions")
    with op.batch_alter_table("staff_recovery_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_recovery_codes_user_id"))

    op.drop_table("staff_recovery_codes")
    with op.batch_alter_table("security_events", schema=None) as batch_op:
        batch_op.drop_index("ix_security_events_user_id_id")
        batch_op.drop_index("ix_security_events_type")

    op.drop_table("security_events")
    op.drop_table("staff_users")
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failures_username_at")
        batch_op.drop_index("ix_login_failures_address_at")

    op.drop_table("login_failures")
