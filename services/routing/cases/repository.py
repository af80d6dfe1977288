"""Every case query of the routing service; each starts from the caller's readable statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Actor
from shared.cases.access import readable_cases
from shared.models import Attachment, Case, CaseCopy, CaseMessage, Event, Opd, Reporter, utcnow
from shared.models.sla import SlaClock
from shared.models.sync import LaporMirror

MAX_PAGE_SIZE = 100
MAX_QUERY_CHARS = 100


@dataclass
class CaseFilters:
    status: str | None = None
    opd: str | None = None
    category: str | None = None
    channel: str | None = None
    kecamatan: str | None = None
    q: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    overdue: bool | None = None


def overdue_clause():  # noqa: ANN201 - a SQL expression
    """A case is overdue when one of its SLA clocks has breached, or runs past its deadline."""
    now = utcnow()
    return exists().where(
        SlaClock.case_id == Case.id,
        or_(
            SlaClock.state == "breached",
            (SlaClock.state == "running") & (SlaClock.deadline_at < now),
        ),
    )


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_cases(
    session: AsyncSession, actor: Actor, filters: CaseFilters, *, page: int, page_size: int
) -> tuple[list[Case], int]:
    """A page of the cases the caller may read, newest first, and how many match in all."""
    stmt = readable_cases(actor)
    for column, value in (
        (Case.status, filters.status),
        (Case.opd_code, filters.opd),
        (Case.category_code, filters.category),
        (Case.channel, filters.channel),
        (Case.kecamatan_code, filters.kecamatan),
    ):
        if value:
            stmt = stmt.where(column == value)
    if filters.q:
        pattern = _like_pattern(filters.q[:MAX_QUERY_CHARS])
        stmt = stmt.where(
            Case.title.ilike(pattern, escape="\\") | Case.description.ilike(pattern, escape="\\")
        )
    if filters.overdue is not None:
        stmt = stmt.where(overdue_clause() if filters.overdue else ~overdue_clause())
    if filters.received_from:
        stmt = stmt.where(Case.received_at >= filters.received_from)
    if filters.received_to:
        stmt = stmt.where(Case.received_at < filters.received_to)
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = await session.scalars(
        stmt.order_by(Case.received_at.desc(), Case.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return list(rows.all()), int(total or 0)


async def reporter_of(session: AsyncSession, case: Case) -> Reporter | None:
    return await session.get(Reporter, case.id)


async def copies_of(session: AsyncSession, case: Case) -> list[str]:
    return list(
        (
            await session.scalars(
                select(CaseCopy.opd_code)
                .where(CaseCopy.case_id == case.id)
                .order_by(CaseCopy.opd_code)
            )
        ).all()
    )


async def events_of(session: AsyncSession, case: Case) -> list[Event]:
    return list(
        (
            await session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.id))
        ).all()
    )


async def messages_of(session: AsyncSession, case: Case, *, internal: bool) -> list[CaseMessage]:
    stmt = select(CaseMessage).where(CaseMessage.case_id == case.id).order_by(CaseMessage.id)
    if not internal:
        stmt = stmt.where(CaseMessage.kind != "internal_note")
    return list((await session.scalars(stmt)).all())


async def attachments_of(session: AsyncSession, case: Case) -> list[Attachment]:
    return list(
        (
            await session.scalars(
                select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)
            )
        ).all()
    )


async def mirror_of(session: AsyncSession, case: Case) -> tuple[str, str | None] | None:
    """The case's LAPOR! mirror state and the national status name as last read."""
    row = (
        await session.execute(
            select(LaporMirror.state, LaporMirror.national_status_name).where(
                LaporMirror.case_id == case.id
            )
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def active_opd(session: AsyncSession, code: str) -> Opd | None:
    opd = await session.get(Opd, code)
    return opd if opd is not None and opd.active else None


async def apip_opd(session: AsyncSession) -> Opd | None:
    """The Inspektorat: the first active OPD of kind ``apip``."""
    from shared.cases.access import APIP_OPD_KIND

    return await session.scalar(
        select(Opd)
        .where(Opd.kind == APIP_OPD_KIND, Opd.active.is_(True))
        .order_by(Opd.code)
        .limit(1)
    )
