"""Every query of notify: queueing (idempotent), claiming due messages, recording outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import Database
from shared.models import Case, CaseMessage, OutboundMessage, utcnow
from shared.models.channels import InboundDelivery


async def queue_message(
    session: AsyncSession,
    *,
    case_id: int | None,
    event_id: int | None,
    audience: str,
    channel: str,
    recipient: str,
    template: str,
    body: str,
    dedup_key: str,
    not_before: datetime | None = None,
    params: dict[str, Any] | None = None,
) -> bool:
    """Queue one outbound message in the caller's transaction; True if queued, False if a
    message with ``dedup_key`` already exists (``INSERT ... ON CONFLICT DO NOTHING``, so
    concurrent or repeated calls never queue twice and never fail)."""
    now = utcnow()
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(OutboundMessage)
        .values(
            case_id=case_id,
            event_id=event_id,
            audience=audience,
            channel=channel,
            recipient=recipient,
            template=template,
            body=body,
            dedup_key=dedup_key[:200],
            params=params,
            status="pending",
            attempts=0,
            next_attempt_at=not_before or now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"])
    )
    result = await session.execute(stmt)
    return (result.rowcount or 0) == 1


async def claim_due(db: Database, *, limit: int, lease_s: float) -> list[int]:
    """Lease up to ``limit`` due pending messages (``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
    so N senders never take the same row); counts the attempt. Returns their ids."""
    now = utcnow()
    m = OutboundMessage
    due = (
        select(m.id)
        .where(
            m.status == "pending",
            m.next_attempt_at <= now,
            or_(m.locked_until.is_(None), m.locked_until < now),
        )
        .order_by(m.next_attempt_at, m.id)
        .limit(limit)
    )
    if not db.is_sqlite:
        due = due.with_for_update(skip_locked=True)
    stmt = (
        update(m)
        .where(m.id.in_(due.scalar_subquery()))
        .values(locked_until=now + timedelta(seconds=lease_s), attempts=m.attempts + 1)
        .returning(m.id)
        .execution_options(synchronize_session=False)
    )
    async with db.session() as session:
        return sorted((await session.execute(stmt)).scalars().all())


async def mark_sent(
    session: AsyncSession, message_id: int, provider_message_id: str | None
) -> None:
    await session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == message_id, OutboundMessage.status == "pending")
        .values(
            status="sent",
            sent_at=utcnow(),
            provider_message_id=provider_message_id or None,
            locked_until=None,
            last_error=None,
        )
    )


async def mark_retry(session: AsyncSession, message_id: int, error: str, delay_s: float) -> None:
    await session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == message_id, OutboundMessage.status == "pending")
        .values(
            next_attempt_at=utcnow() + timedelta(seconds=delay_s),
            locked_until=None,
            last_error=error[:2000],
        )
    )


async def mark_dead(session: AsyncSession, message_id: int, error: str) -> None:
    await session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == message_id, OutboundMessage.status == "pending")
        .values(status="dead", locked_until=None, last_error=error[:2000])
    )


async def reply_message(
    session: AsyncSession, case_id: int, message_id: int | None
) -> CaseMessage | None:
    """The reply a response event refers to, else the case's latest reply."""
    if message_id is not None:
        message = await session.get(CaseMessage, message_id)
        if message is not None and message.case_id == case_id:
            return message
    return await session.scalar(
        select(CaseMessage)
        .where(CaseMessage.case_id == case_id, CaseMessage.kind == "reply")
        .order_by(CaseMessage.created_at.desc(), CaseMessage.id.desc())
        .limit(1)
    )


async def last_reporter_message_at(session: AsyncSession, case_id: int) -> datetime | None:
    """When the reporter last wrote about the case (its receipt, or a later message in its
    thread): Meta's 24-hour window runs from there."""
    latest = await session.scalar(
        select(func.max(CaseMessage.created_at)).where(
            CaseMessage.case_id == case_id, CaseMessage.kind == "reporter"
        )
    )
    case = await session.get(Case, case_id)
    received = case.received_at if case is not None and case.channel != "lapor" else None
    if latest is not None and latest.tzinfo is None:
        latest = latest.replace(tzinfo=UTC)
    candidates = [t for t in (latest, received) if t is not None]
    return max(candidates) if candidates else None


async def list_messages(
    session: AsyncSession, *, status: str | None, limit: int, offset: int
) -> list[OutboundMessage]:
    stmt = select(OutboundMessage).order_by(OutboundMessage.id.desc()).limit(limit).offset(offset)
    if status:
        stmt = stmt.where(OutboundMessage.status == status)
    return list((await session.scalars(stmt)).all())


async def retry_dead(session: AsyncSession, message_id: int) -> bool:
    """Put a dead message back in the queue (an operator's replay); True if it was dead."""
    result = await session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == message_id, OutboundMessage.status == "dead")
        .values(status="pending", attempts=0, next_attempt_at=utcnow(), locked_until=None)
    )
    return (result.rowcount or 0) == 1


async def latest_inbound_email_id(session: AsyncSession, case_id: int) -> str | None:
    """The ``Message-ID`` of the reporter's latest e-mail on the case: our answer replies to
    it, so the reporter's mail program shows one conversation."""
    return await session.scalar(
        select(InboundDelivery.provider_message_id)
        .where(InboundDelivery.case_id == case_id, InboundDelivery.channel == "email")
        .order_by(InboundDelivery.id.desc())
        .limit(1)
    )
