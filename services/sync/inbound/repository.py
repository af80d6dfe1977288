"""Queries of the inbound half: claiming due cases, callbacks, follow-ups already seen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import Database
from shared.models import Case, OutboundMessage, utcnow
from shared.models.sla import SlaClock
from shared.models.sync import LaporCallback, LaporFollowupSeen, LaporMirror

#: Local statuses whose national copy no longer matters (the case left us or is archived).
NOT_POLLED = ("archived", "forwarded_national")


async def claim_due(
    db: Database,
    *,
    limit: int,
    lease_s: int,
    now: datetime | None = None,
    due_before: datetime | None = None,
) -> list[int]:
    """Lease up to ``limit`` mirrored cases due for a national re-read (due at
    ``due_before``, default now: a poll round passes its start, so a case it rescheduled
    is not claimed again in the same round), most overdue first.

    The claim moves ``next_check_at`` past the lease in one UPDATE guarded by
    ``next_check_at <= due`` (a compare-and-set, so two pollers never both win); on
    PostgreSQL the candidates are also picked ``FOR UPDATE SKIP LOCKED``.
    """
    now = now or utcnow()
    due_at = min(due_before, now) if due_before is not None else now
    m = LaporMirror
    due = (
        select(m.case_id)
        .join(Case, Case.id == m.case_id)
        .where(
            m.state == "created",
            m.lapor_complaint_id.is_not(None),
            m.next_check_at <= due_at,
            Case.status.not_in(NOT_POLLED),
        )
        .order_by(m.next_check_at)
        .limit(limit)
    )
    if not db.is_sqlite:
        due = due.with_for_update(of=m, skip_locked=True)
    stmt = (
        update(m)
        .where(m.case_id.in_(due.scalar_subquery()), m.next_check_at <= due_at)
        .values(next_check_at=now + timedelta(seconds=lease_s))
        .returning(m.case_id)
        .execution_options(synchronize_session=False)
    )
    async with db.session() as session:
        return [row[0] for row in (await session.execute(stmt)).all()]


async def hint_case(session: AsyncSession, complaint_id: int) -> bool:
    """A callback or a changed list entry: re-read this case now. False if not mirrored."""
    result = await session.execute(
        update(LaporMirror)
        .where(LaporMirror.lapor_complaint_id == complaint_id)
        .values(next_check_at=utcnow())
    )
    return bool(result.rowcount)


async def record_callback(
    session: AsyncSession,
    *,
    event_id: str,
    type: str,
    complaint_id: int | None,
    payload: dict[str, Any],
) -> bool:
    """Store a callback once per ``event_id``; False when it was a duplicate."""
    existing = await session.scalar(
        select(LaporCallback.id).where(LaporCallback.event_id == event_id)
    )
    if existing is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(
                LaporCallback(
                    event_id=event_id,
                    type=type,
                    lapor_complaint_id=complaint_id,
                    payload=payload,
                    received_at=utcnow(),
                )
            )
            await session.flush()
    except IntegrityError:
        return False
    return True


async def claim_callbacks(
    session: AsyncSession, *, limit: int, is_sqlite: bool
) -> list[int | None]:
    """Mark up to ``limit`` unprocessed callbacks processed and return their national ids:
    one UPDATE, so two processes never act on the same callback (``SKIP LOCKED`` on
    PostgreSQL; SQLite writes one at a time)."""
    c = LaporCallback
    pending = select(c.id).where(c.processed_at.is_(None)).order_by(c.id).limit(limit)
    if not is_sqlite:
        pending = pending.with_for_update(skip_locked=True)
    rows = await session.execute(
        update(c)
        .where(c.id.in_(pending.scalar_subquery()), c.processed_at.is_(None))
        .values(processed_at=utcnow())
        .returning(c.lapor_complaint_id)
        .execution_options(synchronize_session=False)
    )
    return [row[0] for row in rows.all()]


async def remember_followup(
    session: AsyncSession, *, followup_id: int, case_id: int, complaint_id: int, author: str
) -> LaporFollowupSeen | None:
    """Claim a national follow-up id; None when it was already seen (unique key)."""
    if await session.get(LaporFollowupSeen, followup_id) is not None:
        return None
    row = LaporFollowupSeen(
        lapor_followup_id=followup_id,
        case_id=case_id,
        lapor_complaint_id=complaint_id,
        author=author,
        created_at=utcnow(),
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        return None
    return row


async def seen_reporter_followups(session: AsyncSession, case_id: int) -> int:
    from sqlalchemy import func

    return int(
        await session.scalar(
            select(func.count()).where(
                LaporFollowupSeen.case_id == case_id, LaporFollowupSeen.author == "reporter"
            )
        )
        or 0
    )


#: SLA clocks whose deadlines the poller watches (the pemda's own handling clocks).
WATCHED_CLOCKS = ("verification", "resolution")


async def next_clock_point(session: AsyncSession, case_id: int, now: datetime) -> datetime | None:
    """The nearest future warning or deadline of the case's running watched clocks.

    One query on ``uq_sla_clocks_case_kind_generation`` (its leading column is
    ``case_id``); stopped, paused and past points do not count. None when there is none.
    """
    rows = await session.execute(
        select(SlaClock.warning_at, SlaClock.deadline_at).where(
            SlaClock.case_id == case_id,
            SlaClock.kind.in_(WATCHED_CLOCKS),
            SlaClock.state == "running",
        )
    )
    points = [_aware(p) for row in rows.all() for p in row if p is not None]
    points = [p for p in points if p > now]
    return min(points, default=None)


def _aware(value: datetime) -> datetime:
    """SQLite may hand times back naive; they were stored as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def queue_staff_notice(
    session: AsyncSession,
    *,
    case_id: int,
    event_id: int,
    channel: str,
    recipient: str,
    template: str,
    body: str,
) -> bool:
    """Queue a message to staff for an event, once (``dedup_key`` = event and recipient;
    ``INSERT ... ON CONFLICT DO NOTHING``). The intake service's sender delivers it."""
    now = utcnow()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = await session.execute(
        insert(OutboundMessage)
        .values(
            case_id=case_id,
            event_id=event_id,
            audience="staff",
            channel=channel,
            recipient=recipient,
            template=template,
            body=body,
            dedup_key=f"{event_id}:{recipient}",
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"])
    )
    return (result.rowcount or 0) == 1
