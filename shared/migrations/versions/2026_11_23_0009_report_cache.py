"""report figure cache: settled units of tallied cases, and the stale marks that keep it honest

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23

The cache starts empty: ``services/sla/reports/cache.py`` builds a unit the first time a report
needs it (a cold build is one pass over the cases, as a report was before), so there is nothing
to backfill. The triggers mark a unit stale in the very transaction that changes one of its
figures' inputs, whoever writes (ORM, bulk UPDATE, COPY).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)

#: Keep in step with ``cache.MARK_AFTER``: changes to cases received more recently than this are
#: not marked (such days are always tallied live, never cached).
_PG_OLD = "clock_timestamp() - interval '1 hour'"
_SQLITE_OLD = "datetime('now', '-1 hour')"
#: The columns of ``cases`` the cached figures are computed from.
_CASE_COLUMNS = ("received_at", "opd_code", "status", "first_response_at", "resolved_at", "rating")
_MET = "{0}.kind = 'resolution' AND {0}.state = 'met'"
_COUNTED = f"(({_MET}) OR {{0}}.breached_at IS NOT NULL)"


def _case_changed(distinct: str) -> str:
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in _CASE_COLUMNS)


def _clock_changed(distinct: str) -> str:
    return (
        f"({_MET.format('OLD')}) {distinct} ({_MET.format('NEW')}) "
        "OR (OLD.breached_at IS NULL) <> (NEW.breached_at IS NULL) "
        "OR OLD.case_id <> NEW.case_id"
    )


_PG = [
    """CREATE FUNCTION simpul_report_mark_case() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO report_stale_marks (received_at) VALUES (NEW.received_at);
        IF TG_OP = 'UPDATE' AND OLD.received_at IS DISTINCT FROM NEW.received_at THEN
            INSERT INTO report_stale_marks (received_at) VALUES (OLD.received_at);
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION simpul_report_mark_clock() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            INSERT INTO report_stale_marks (received_at)
            SELECT received_at FROM cases WHERE id = OLD.case_id AND received_at < {_PG_OLD};
        END IF;
        IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.case_id <> OLD.case_id) THEN
            INSERT INTO report_stale_marks (received_at)
            SELECT received_at FROM cases WHERE id = NEW.case_id AND received_at < {_PG_OLD};
        END IF;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER cases_report_stale_insert AFTER INSERT ON cases FOR EACH ROW "
    f"WHEN (NEW.received_at < {_PG_OLD}) EXECUTE FUNCTION simpul_report_mark_case()",
    f"CREATE TRIGGER cases_report_stale_update AFTER UPDATE OF {', '.join(_CASE_COLUMNS)} "
    f"ON cases FOR EACH ROW WHEN ((OLD.received_at < {_PG_OLD} OR NEW.received_at < {_PG_OLD}) "
    f"AND ({_case_changed('IS DISTINCT FROM')})) EXECUTE FUNCTION simpul_report_mark_case()",
    "CREATE TRIGGER sla_clocks_report_stale_insert AFTER INSERT ON sla_clocks FOR EACH ROW "
    f"WHEN {_COUNTED.format('NEW')} EXECUTE FUNCTION simpul_report_mark_clock()",
    "CREATE TRIGGER sla_clocks_report_stale_update AFTER UPDATE ON sla_clocks FOR EACH ROW "
    f"WHEN ({_clock_changed('IS DISTINCT FROM')}) EXECUTE FUNCTION simpul_report_mark_clock()",
    "CREATE TRIGGER sla_clocks_report_stale_delete AFTER DELETE ON sla_clocks FOR EACH ROW "
    f"WHEN {_COUNTED.format('OLD')} EXECUTE FUNCTION simpul_report_mark_clock()",
]


def _sqlite_mark(case_id: str, also: str = "") -> str:
    return (
        "INSERT INTO report_stale_marks (received_at) SELECT received_at FROM cases "
        f"WHERE id = {case_id} AND received_at < {_SQLITE_OLD}{also};"
    )


_SQLITE = [
    "CREATE TRIGGER cases_report_stale_insert AFTER INSERT ON cases FOR EACH ROW "
    f"WHEN NEW.received_at < {_SQLITE_OLD} BEGIN "
    "INSERT INTO report_stale_marks (received_at) VALUES (NEW.received_at); END",
    f"CREATE TRIGGER cases_report_stale_update AFTER UPDATE OF {', '.join(_CASE_COLUMNS)} "
    f"ON cases FOR EACH ROW WHEN (OLD.received_at < {_SQLITE_OLD} "
    f"OR NEW.received_at < {_SQLITE_OLD}) AND ({_case_changed('IS NOT')}) BEGIN "
    "INSERT INTO report_stale_marks (received_at) VALUES (NEW.received_at); "
    "INSERT INTO report_stale_marks (received_at) SELECT OLD.received_at "
    "WHERE OLD.received_at IS NOT NEW.received_at; END",
    "CREATE TRIGGER sla_clocks_report_stale_insert AFTER INSERT ON sla_clocks FOR EACH ROW "
    f"WHEN {_COUNTED.format('NEW')} BEGIN {_sqlite_mark('NEW.case_id')} END",
    "CREATE TRIGGER sla_clocks_report_stale_update AFTER UPDATE ON sla_clocks FOR EACH ROW "
    f"WHEN {_clock_changed('IS NOT')} BEGIN {_sqlite_mark('OLD.case_id')} "
    f"{_sqlite_mark('NEW.case_id', ' AND NEW.case_id <> OLD.case_id')} END",
    "CREATE TRIGGER sla_clocks_report_stale_delete AFTER DELETE ON sla_clocks FOR EACH ROW "
    f"WHEN {_COUNTED.format('OLD')} BEGIN {_sqlite_mark('OLD.case_id')} END",
]
_TRIGGERS = (
    ("cases_report_stale_insert", "cases"),
    ("cases_report_stale_update", "cases"),
    ("sla_clocks_report_stale_insert", "sla_clocks"),
    ("sla_clocks_report_stale_update", "sla_clocks"),
    ("sla_clocks_report_stale_delete", "sla_clocks"),
)


def upgrade() -> None:
    op.create_table(
        "report_cache_units",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("starts_at", _TS, nullable=False),
        sa.Column("ends_at", _TS, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("built_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_cache_units")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_report_cache_units_days", "report_cache_units", ["first_day", "last_day"], unique=False
    )
    op.create_table(
        "report_cache_figures",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("unit_id", _BIG_ID, nullable=False),
        sa.Column("opd_code", sa.String(length=40), nullable=True),
        sa.Column("response_wd", sa.Integer(), nullable=True),
        sa.Column("resolution_wd", sa.Integer(), nullable=True),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in (
                "received",
                "not_responded",
                "resolved",
                "unresolved",
                "ended_unresolved",
                "rating_sum",
                "rating_count",
                "within_deadline",
                "breaches",
            )
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["report_cache_units.id"],
            name=op.f("fk_report_cache_figures_unit_id_report_cache_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_cache_figures")),
    )
    op.create_index(
        op.f("ix_report_cache_figures_unit_id"), "report_cache_figures", ["unit_id"], unique=False
    )
    op.create_table(
        "report_stale_marks",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("received_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_stale_marks")),
    )
    op.create_index(
        op.f("ix_report_stale_marks_received_at"),
        "report_stale_marks",
        ["received_at"],
        unique=False,
    )
    for statement in _SQLITE if op.get_bind().dialect.name == "sqlite" else _PG:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, table in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if sqlite else f" ON {table}"))
    if not sqlite:
        op.execute("DROP FUNCTION IF EXISTS simpul_report_mark_case()")
        op.execute("DROP FUNCTION IF EXISTS simpul_report_mark_clock()")
    op.drop_table("report_stale_marks")
    op.drop_table("report_cache_figures")
    op.drop_table("report_cache_units")
