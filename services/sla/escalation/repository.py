"""Writing escalation messages: many ``outbound_messages`` rows in one statement, idempotent."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models import OutboundMessage

#: The columns a queued message sets, with their PostgreSQL array types for ``unnest``.
_COLUMNS = (
    ("case_id", "bigint"),
    ("event_id", "bigint"),
    ("audience", "text"),
    ("channel", "text"),
    ("recipient", "text"),
    ("template", "text"),
    ("body", "text"),
    ("dedup_key", "text"),
    ("params", "jsonb"),
    ("status", "text"),
    ("attempts", "integer"),
    ("next_attempt_at", "timestamptz"),
    ("created_at", "timestamptz"),
)

#: One array per column, whatever the row count: one prepared statement, no per-row binds
#: (a sweep's batch is ~1,400 messages; multi-row VALUES would bind ~17,000 parameters).
_PG_INSERT = text(
    f"INSERT INTO {OutboundMessage.__tablename__} ({', '.join(c for c, _ in _COLUMNS)}) "
    f"SELECT * FROM unnest({', '.join(f'CAST(:{c} AS {t}[])' for c, t in _COLUMNS)}) "
    "ON CONFLICT (dedup_key) DO NOTHING RETURNING id"
)


async def insert_messages(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows`` (the keys of ``_COLUMNS``, aware UTC times; ``params`` optional) in the caller's
    transaction, skipping any whose ``dedup_key`` exists (``ON CONFLICT DO NOTHING``, as
    notify's ``queue_message``). Returns how many were inserted."""
    if not rows:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        columns = {c: [row.get(c) for row in rows] for c, _ in _COLUMNS}
        columns["params"] = [None if p is None else json.dumps(p) for p in columns["params"]]
        return len((await session.execute(_PG_INSERT, columns)).all())
    table = OutboundMessage.__table__
    stmt = (
        sqlite_insert(table)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(table.c.id)  # RETURNING makes SQLAlchemy write multi-row VALUES pages
    )
    return len((await session.execute(stmt, list(rows))).all())
