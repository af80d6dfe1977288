"""Every query of the Open311 endpoints. Reads here are public (no caller to scope by), so
only one of them touches ``reporters``: :func:`identity_terms_for`, which loads a
reporter's identifying values for the sole purpose of scrubbing them from the published
text (``shared/redaction.py``); no record is ever built from it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from shared.identity import tokens
from shared.models import (
    Attachment,
    Case,
    CaseMessage,
    Category,
    ClientApp,
    Event,
    Opd,
    Reporter,
)
from shared.models.sla import SlaClock
from shared.redaction import identity_terms


@dataclass(frozen=True)
class CaseRow:
    case: Case
    service_name: str | None
    agency_name: str | None


async def active_categories(session: AsyncSession) -> list[tuple[Category, str | None]]:
    """Every active category with the name of its default OPD (the service's ``group``)."""
    rows = await session.execute(
        select(Category, Opd.name)
        .outerjoin(Opd, Opd.code == Category.default_opd_code)
        .where(Category.active.is_(True))
        .order_by(Category.code)
    )
    return [(category, opd_name) for category, opd_name in rows.all()]


async def active_category(session: AsyncSession, code: str) -> Category | None:
    category = await session.get(Category, code)
    return category if category is not None and category.active else None


async def client_app_by_key(session: AsyncSession, key: str) -> ClientApp | None:
    """The active app of ``key`` (its current key, or a rotated-out one in its grace period)."""
    return await tokens.client_app_by_key(session, key)


async def identity_terms_for(
    session: AsyncSession, case_ids: Sequence[int]
) -> dict[int, list[str]]:
    """Per case, its reporter's identifying values to scrub from published text."""
    if not case_ids:
        return {}
    reporters = await session.scalars(select(Reporter).where(Reporter.case_id.in_(list(case_ids))))
    return {r.case_id: identity_terms(r, with_name=True) for r in reporters}


def _cases() -> Select:
    return (
        select(Case, Category.name, Opd.name)
        .outerjoin(Category, Category.code == Case.category_code)
        .outerjoin(Opd, Opd.code == Case.opd_code)
    )


def _rows(result: Iterable) -> list[CaseRow]:
    return [CaseRow(case, service_name, agency_name) for case, service_name, agency_name in result]


async def case_by_tracking_id(session: AsyncSession, tracking_id: str) -> CaseRow | None:
    rows = _rows((await session.execute(_cases().where(Case.tracking_id == tracking_id))).all())
    return rows[0] if rows else None


async def cases_page(
    session: AsyncSession,
    *,
    tracking_ids: Sequence[str] = (),
    category_codes: Sequence[str] = (),
    statuses: Iterable[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    offset: int = 0,
    limit: int = 1000,
) -> list[CaseRow]:
    """Cases newest first, by receipt; ``tracking_ids`` given means no other filter applies."""
    stmt = _cases()
    if tracking_ids:
        stmt = stmt.where(Case.tracking_id.in_(list(tracking_ids)))
    else:
        if category_codes:
            stmt = stmt.where(Case.category_code.in_(list(category_codes)))
        if statuses is not None:
            stmt = stmt.where(Case.status.in_(list(statuses)))
        if start is not None:
            stmt = stmt.where(Case.received_at >= start)
        if end is not None:
            stmt = stmt.where(Case.received_at <= end)
    stmt = stmt.order_by(Case.received_at.desc(), Case.id.desc()).offset(offset).limit(limit)
    return _rows((await session.execute(stmt)).all())


async def media_urls(session: AsyncSession, case_ids: Sequence[int]) -> dict[int, str]:
    """The first URL reference of each case (stored files have no public URL)."""
    if not case_ids:
        return {}
    first = (
        select(func.min(Attachment.id))
        .where(Attachment.case_id.in_(list(case_ids)), Attachment.url.is_not(None))
        .group_by(Attachment.case_id)
    )
    rows = await session.execute(
        select(Attachment.case_id, Attachment.url).where(Attachment.id.in_(first))
    )
    return {case_id: url for case_id, url in rows.all()}


async def message_media_urls(session: AsyncSession, message_ids: Sequence[int]) -> dict[int, str]:
    if not message_ids:
        return {}
    first = (
        select(func.min(Attachment.id))
        .where(Attachment.message_id.in_(list(message_ids)), Attachment.url.is_not(None))
        .group_by(Attachment.message_id)
    )
    rows = await session.execute(
        select(Attachment.message_id, Attachment.url).where(Attachment.id.in_(first))
    )
    return {message_id: url for message_id, url in rows.all()}


@dataclass(frozen=True)
class UpdateRef:
    """One update of the feed: a reply (``source="m"``) or a status event (``"e"``)."""

    source: str
    id: int
    at: datetime


async def update_refs(
    session: AsyncSession,
    *,
    status_event_types: Sequence[str],
    case_id: int | None,
    start: datetime | None,
    end: datetime | None,
    offset: int,
    limit: int,
) -> list[UpdateRef]:
    """Replies to reporters and status-changing events, oldest first, one page of them.

    One ``UNION ALL`` so that paging is exact across both sources. Internal notes are never
    selected (``kind = 'reply'`` only).
    """
    reply_conditions = [CaseMessage.kind == "reply"]
    event_conditions = [Event.type.in_(list(status_event_types)), Event.case_id.is_not(None)]
    if case_id is not None:
        reply_conditions.append(CaseMessage.case_id == case_id)
        event_conditions.append(Event.case_id == case_id)
    if start is not None:
        reply_conditions.append(CaseMessage.created_at >= start)
        event_conditions.append(Event.occurred_at >= start)
    if end is not None:
        reply_conditions.append(CaseMessage.created_at <= end)
        event_conditions.append(Event.occurred_at <= end)
    replies = select(
        literal("m").label("source"), CaseMessage.id.label("id"), CaseMessage.created_at.label("at")
    ).where(and_(*reply_conditions))
    events = select(
        literal("e").label("source"), Event.id.label("id"), Event.occurred_at.label("at")
    ).where(and_(*event_conditions))
    feed = union_all(replies, events).subquery()
    rows = await session.execute(
        select(feed.c.source, feed.c.id, feed.c.at)
        .order_by(feed.c.at, feed.c.source, feed.c.id)
        .offset(offset)
        .limit(limit)
    )
    return [UpdateRef(source, id_, at) for source, id_, at in rows.all()]


async def replies_with_cases(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, tuple[CaseMessage, Case]]:
    if not ids:
        return {}
    rows = await session.execute(
        select(CaseMessage, Case)
        .join(Case, Case.id == CaseMessage.case_id)
        .where(CaseMessage.id.in_(list(ids)))
    )
    return {message.id: (message, case) for message, case in rows.all()}


async def events_with_cases(
    session: AsyncSession, ids: Sequence[int]
) -> dict[int, tuple[Event, Case]]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Event, Case).join(Case, Case.id == Event.case_id).where(Event.id.in_(list(ids)))
    )
    return {event.id: (event, case) for event, case in rows.all()}


async def opd_names(session: AsyncSession) -> dict[str, str]:
    return dict((await session.execute(select(Opd.code, Opd.name))).all())


#: The clocks whose deadline the public is promised: verification and resolution.
PUBLIC_CLOCK_KINDS = ("verification", "resolution")
_COUNTING = ("running", "breached")


async def public_deadlines(
    session: AsyncSession, case_ids: Sequence[int]
) -> dict[int, datetime | None]:
    """For cases the SLA service keeps clocks of: the deadline of the latest public clock if it
    is still counting, else None. Cases without any such clock are absent from the answer."""
    if not case_ids:
        return {}
    rows = await session.execute(
        select(SlaClock.case_id, SlaClock.state, SlaClock.stopped_at, SlaClock.deadline_at)
        .where(SlaClock.case_id.in_(list(case_ids)), SlaClock.kind.in_(PUBLIC_CLOCK_KINDS))
        .order_by(SlaClock.case_id, SlaClock.id)
    )
    latest: dict[int, datetime | None] = {}
    for case_id, state, stopped_at, deadline_at in rows.all():
        latest[case_id] = deadline_at if state in _COUNTING and stopped_at is None else None
    return latest
