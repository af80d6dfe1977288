"""worklist order: each case's earliest open deadline kept on the case (issue 17's bench)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03

- ``cases.due_at``: the earliest ``deadline_at`` of the case's open SLA clocks (not stopped,
  running or breached), NULL when none is open. Kept by triggers on ``sla_clocks`` (insert,
  update of what decides it, delete), so every path that moves a clock — the lifecycle, a
  holiday change recomputing deadlines, a bulk load through SQL — keeps it true; the
  application never writes it. The plain reading it replaces is
  ``services.routing.cases.repository.current_deadline()``, and
  ``tests/routing/test_case_due_at.py`` compares both over a lifecycle.
- ``ix_cases_queue_due`` on ``cases (due_at, received_at, id)`` for the queue's statuses:
  Admin Instansi's first queue page is then the first 25 entries of an index, where it
  probed every queued case's clocks and sorted them (``docs/performance.md``, "console").

The sweep's breach (running → breached) leaves a clock open with the same deadline, so it
fires no update of ``cases``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_QUEUE = "status IN ('received', 'awaiting_info', 'returned', 'verified')"
_OPEN = "{0}.stopped_at IS NULL AND {0}.state IN ('running', 'breached')"
#: What decides ``due_at`` changed: the deadline, whether the clock is open, or its case.
_DECIDING = (
    "OLD.deadline_at {d} NEW.deadline_at OR ({open_old}) {d} ({open_new}) "
    "OR OLD.case_id <> NEW.case_id"
)


def _earliest(case_id: str) -> str:
    return (
        "(SELECT min(k.deadline_at) FROM sla_clocks k "
        f"WHERE k.case_id = {case_id} AND {_OPEN.format('k')})"
    )


def _set(case_id: str) -> str:
    return (
        f"UPDATE cases SET due_at = {_earliest(case_id)} WHERE id = {case_id} "
        f"AND due_at IS DISTINCT FROM {_earliest(case_id)};"
    )


def _deciding(distinct: str) -> str:
    return _DECIDING.format(d=distinct, open_old=_OPEN.format("OLD"), open_new=_OPEN.format("NEW"))


_PG = [
    f"""CREATE FUNCTION simpul_case_due_at() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            {_set("OLD.case_id")}
        END IF;
        IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.case_id <> OLD.case_id) THEN
            {_set("NEW.case_id")}
        END IF;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER sla_clocks_due_insert AFTER INSERT ON sla_clocks FOR EACH ROW "
    "EXECUTE FUNCTION simpul_case_due_at()",
    "CREATE TRIGGER sla_clocks_due_update AFTER UPDATE ON sla_clocks FOR EACH ROW "
    f"WHEN ({_deciding('IS DISTINCT FROM')}) EXECUTE FUNCTION simpul_case_due_at()",
    "CREATE TRIGGER sla_clocks_due_delete AFTER DELETE ON sla_clocks FOR EACH ROW "
    "EXECUTE FUNCTION simpul_case_due_at()",
]
_SQLITE = [
    "CREATE TRIGGER sla_clocks_due_insert AFTER INSERT ON sla_clocks FOR EACH ROW "
    f"BEGIN {_set('NEW.case_id').replace('IS DISTINCT FROM', 'IS NOT')} END",
    "CREATE TRIGGER sla_clocks_due_update AFTER UPDATE ON sla_clocks FOR EACH ROW "
    f"WHEN {_deciding('IS NOT')} BEGIN "
    f"{_set('OLD.case_id').replace('IS DISTINCT FROM', 'IS NOT')} "
    f"{_set('NEW.case_id').replace('IS DISTINCT FROM', 'IS NOT')} END",
    "CREATE TRIGGER sla_clocks_due_delete AFTER DELETE ON sla_clocks FOR EACH ROW "
    f"BEGIN {_set('OLD.case_id').replace('IS DISTINCT FROM', 'IS NOT')} END",
]
_TRIGGERS = ("sla_clocks_due_insert", "sla_clocks_due_update", "sla_clocks_due_delete")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    # Plain ALTER TABLE (no batch copy): ``cases`` carries triggers a SQLite rebuild breaks.
    op.add_column("cases", sa.Column("due_at", _TS, nullable=True))
    op.execute(f"UPDATE cases SET due_at = {_earliest('cases.id')}")
    op.create_index(
        "ix_cases_queue_due",
        "cases",
        ["due_at", "received_at", "id"],
        unique=False,
        sqlite_where=sa.text(_QUEUE),
        postgresql_where=sa.text(_QUEUE),
    )
    for statement in _SQLITE if sqlite else _PG:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if sqlite else " ON sla_clocks"))
    if not sqlite:
        op.execute("DROP FUNCTION IF EXISTS simpul_case_due_at()")
    op.drop_index("ix_cases_queue_due", table_name="cases")
    op.drop_column("cases", "due_at")
