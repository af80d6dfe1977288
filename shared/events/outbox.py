"""Writing events: the change and its event (and its deliveries) commit in one transaction."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Actor
from shared.cases.events import checked_data
from shared.events.subscriptions import consumers_for
from shared.models import Event, EventDelivery, utcnow


async def emit(
    session: AsyncSession,
    type: str,
    actor: Actor,
    *,
    case_id: int | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    subject_type: str = "case",
    subject_id: str | None = None,
    occurred_at: datetime | None = None,
) -> Event:
    """Append one event (who, when, what, why) and queue it for every subscribed consumer.

    Only flushes: the caller's unit of work commits, so the change and its event are
    durable together or not at all. A ``case.*`` event's data is checked against its
    payload model (``shared.cases.events``) first.
    """
    data = checked_data(type, data)
    now = occurred_at or utcnow()
    event = Event(
        case_id=case_id,
        subject_type=subject_type,
        subject_id=subject_id if subject_id is not None else (str(case_id) if case_id else None),
        type=type,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_name=actor.name,
        actor_role=str(actor.role),
        reason=reason,
        data=data,
        occurred_at=now,
    )
    session.add(event)
    await session.flush()
    consumers = consumers_for(type)
    if consumers:
        await session.execute(
            insert(EventDelivery),
            [
                {
                    "event_id": event.id,
                    "consumer": c,
                    "case_id": case_id,
                    "status": "pending",
                    "next_attempt_at": now,
                    "attempts": 0,
                    "created_at": now,
                }
                for c in consumers
            ],
        )
    return event


@dataclass(frozen=True, slots=True)
class NewEvent:
    """One event for :func:`emit_many` (the arguments of :func:`emit`)."""

    type: str
    actor: Actor
    case_id: int | None = None
    reason: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    subject_type: str = "case"
    subject_id: str | None = None
    occurred_at: datetime | None = None


async def emit_many(session: AsyncSession, events: list[NewEvent]) -> list[int]:
    """Append many events and their deliveries in two statements (batch writers: the SLA
    sweeper, grouped intake). Ids increase in list order, so a case's events stay ordered
    for ``ordered_per_case`` consumers. Returns the new events' ids, in order.
    """
    if not events:
        return []
    now = utcnow()
    rows = _event_rows(events, now)
    # Core (table) inserts: the ORM's bulk path cost more CPU than the database did.
    ids = list((await session.execute(_insert_events_returning_ids(), rows)).scalars())
    deliveries = _delivery_rows(events, rows, ids, now)
    if deliveries:
        await session.execute(insert(EventDelivery.__table__), deliveries)
    return ids


def event_inserts(
    events: list[NewEvent], ids: list[int]
) -> list[tuple[Table, list[dict[str, Any]]]]:
    """The rows :func:`emit_many` writes, with the events' ids given (allocated beforehand,
    increasing in list order): for a single multi-table statement on a raw connection
    (:func:`shared.pgbulk.insert_all`; the grouped intake writer on PostgreSQL)."""
    now = utcnow()
    rows = _event_rows(events, now)
    deliveries = _delivery_rows(events, rows, ids, now)
    for row, event_id in zip(rows, ids, strict=True):
        row["id"] = event_id
    return [(Event.__table__, rows), (EventDelivery.__table__, deliveries)]


def _event_rows(events: list[NewEvent], now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "case_id": e.case_id,
            "subject_type": e.subject_type,
            "subject_id": e.subject_id
            if e.subject_id is not None
            else (str(e.case_id) if e.case_id else None),
            "type": e.type,
            "actor_type": e.actor.type,
            "actor_id": e.actor.id,
            "actor_name": e.actor.name,
            "actor_role": str(e.actor.role),
            "reason": e.reason,
            "data": checked_data(e.type, e.data),
            "occurred_at": e.occurred_at or now,
        }
        for e in events
    ]


def _delivery_rows(
    events: list[NewEvent], rows: list[dict[str, Any]], ids: list[int], now: datetime
) -> list[dict[str, Any]]:
    """One pending delivery per subscribed consumer of each event, due at its moment."""
    return [
        {
            "event_id": event_id,
            "consumer": consumer,
            "case_id": e.case_id,
            "status": "pending",
            "next_attempt_at": row["occurred_at"],
            "attempts": 0,
            "created_at": now,
        }
        for event_id, e, row in zip(ids, events, rows, strict=True)
        for consumer in consumers_for(e.type)
    ]


@functools.cache
def _insert_events_returning_ids() -> Any:
    table = Event.__table__
    return insert(table).returning(table.c.id, sort_by_parameter_order=True)


async def list_dead_letters(
    session: AsyncSession, consumer: str | None = None, limit: int = 100, offset: int = 0
):
    """Deliveries parked after too many failures, newest first, with their events."""
    stmt = (
        select(EventDelivery, Event)
        .join(Event, Event.id == EventDelivery.event_id)
        .where(EventDelivery.status == "dead")
        .order_by(EventDelivery.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if consumer:
        stmt = stmt.where(EventDelivery.consumer == consumer)
    return (await session.execute(stmt)).all()


async def replay(
    session: AsyncSession, *, delivery_id: int | None = None, consumer: str | None = None
) -> int:
    """Put dead deliveries back to pending (one by id, or all of a consumer, or all). Returns how many."""
    stmt = (
        update(EventDelivery)
        .where(EventDelivery.status == "dead")
        .values(
            status="pending",
            attempts=0,
            next_attempt_at=utcnow(),
            locked_until=None,
            locked_by=None,
        )
    )
    if delivery_id is not None:
        stmt = stmt.where(EventDelivery.id == delivery_id)
    if consumer:
        stmt = stmt.where(EventDelivery.consumer == consumer)
    result = await session.execute(stmt)
    return result.rowcount or 0
