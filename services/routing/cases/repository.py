"""Every case query of the routing service; each starts from the caller's readable statement."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Select, bindparam, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.routing.cases import counting
from services.routing.cases.search import search_clause
from shared.auth import Actor
from shared.cases.access import readable_cases
from shared.models import Attachment, Case, CaseCopy, CaseMessage, Event, Opd, Reporter, utcnow
from shared.models.sla import SlaClock
from shared.models.sync import LaporMirror

MAX_PAGE_SIZE = 100


class Sort(StrEnum):
    """How a list of cases is ordered."""

    NEWEST = "newest"  # received, newest first (the API's default)
    DEADLINE = "deadline"  # the open clock's deadline, oldest first (Admin Instansi's queue)
    URGENCY = "urgency"  # breached, then warned, then by deadline (an OPD's inbox)


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
    #: Any of these statuses (a worklist's set); ``status`` narrows further.
    statuses: tuple[str, ...] = field(default_factory=tuple)
    #: The officer whose desk the case is on (``Actor.id``), e.g. "assigned to me".
    assignee: str | None = None
    #: Only the cases the OPD owns (``opd`` actors): "mine" as opposed to its copies.
    owned_by: str | None = None
    #: Only the cases copied (tembusan) to this OPD.
    copied_to: str | None = None


def overdue_clause():
    """A case is overdue when one of its SLA clocks has breached, or runs past its deadline."""
    now = utcnow()
    return exists().where(
        SlaClock.case_id == Case.id,
        or_(
            SlaClock.state == "breached",
            (SlaClock.state == "running") & (SlaClock.deadline_at < now),
        ),
    )


#: Clocks that still count for a case: running, or breached and not yet stopped.
def _open_clock():
    return (
        (SlaClock.case_id == Case.id)
        & SlaClock.stopped_at.is_(None)
        & SlaClock.state.in_(("running", "breached"))
    )


def current_deadline():
    """The earliest deadline of the case's open clocks (NULL when none runs), read from the
    clocks: the plain reading of ``Case.due_at``, which the database keeps equal to it
    (migration 0019; ``tests/routing/test_case_due_at.py`` compares them)."""
    return select(func.min(SlaClock.deadline_at)).where(_open_clock()).scalar_subquery()


def urgency():
    """0 breached, 1 past its early warning, 2 otherwise (3 with no open clock)."""
    now = utcnow()
    rank = case(
        (SlaClock.state == "breached", 0),
        (SlaClock.deadline_at < now, 0),
        (SlaClock.warning_at <= now, 1),
        else_=2,
    )
    return func.coalesce(select(func.min(rank)).where(_open_clock()).scalar_subquery(), 3)


def filtered_cases(actor: Actor, filters: CaseFilters, dialect: str) -> Select[tuple[Case]]:
    """The caller's readable statement narrowed by ``filters`` (no order, no page)."""
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
    if filters.statuses:
        # As literals, so PostgreSQL can match a partial index on the same set (the queue's)
        # in a cached, generic plan too.
        statuses = bindparam(
            "statuses", list(filters.statuses), expanding=True, literal_execute=True
        )
        stmt = stmt.where(Case.status.in_(statuses))
    if filters.assignee:
        stmt = stmt.where(Case.assignee_id == filters.assignee)
    if filters.owned_by:
        stmt = stmt.where(Case.opd_code == filters.owned_by)
    if filters.copied_to:
        stmt = stmt.where(
            exists().where(CaseCopy.case_id == Case.id, CaseCopy.opd_code == filters.copied_to)
        )
    if filters.q:
        stmt = stmt.where(search_clause(filters.q, actor, dialect))
    if filters.overdue is not None:
        stmt = stmt.where(overdue_clause() if filters.overdue else ~overdue_clause())
    if filters.received_from:
        stmt = stmt.where(Case.received_at >= filters.received_from)
    if filters.received_to:
        stmt = stmt.where(Case.received_at < filters.received_to)
    return stmt


#: A search matching at most this many cases is sorted after it is found (see :func:`_ordered`).
FEW_MATCHES = 1000


def _ordered(stmt: Select[tuple[Case]], sort: Sort, *, few: bool = False) -> Select[tuple[Case]]:
    """``stmt`` in ``sort`` order. ``few``: a search known to match few cases. Newest first,
    PostgreSQL walks the ``received_at`` index backwards until a page has matched, which is
    quick for common words and reads the whole table for a word no case has (0.5 s over a
    million: a number that is no phone, a typo). For few matches the same order is given as
    an expression no index serves (``coalesce(received_at, received_at)``, equal since the
    column is NOT NULL), so the matches are found by the search's own index and sorted."""
    if sort == Sort.NEWEST:
        received = func.coalesce(Case.received_at, Case.received_at) if few else Case.received_at
        return stmt.order_by(received.desc(), Case.id.desc())
    # The earliest open deadline as the database keeps it on the case (``Case.due_at``), NULLs
    # (no open clock) last, as a B-tree orders them: Admin Instansi's first queue page is then
    # the head of ``ix_cases_queue_due`` (docs/performance.md, "console").
    keys = [Case.due_at.asc().nulls_last(), Case.received_at, Case.id]
    if sort == Sort.URGENCY:
        keys.insert(0, urgency())
    return stmt.order_by(*keys)


async def list_cases(
    session: AsyncSession,
    actor: Actor,
    filters: CaseFilters,
    *,
    page: int,
    page_size: int,
    sort: Sort = Sort.NEWEST,
    count_limit: int | None = None,
) -> tuple[list[Case], int]:
    """A page of the cases the caller may read, in ``sort`` order, and how many match —
    with ``count_limit``, counted only that far (``count_limit + 1``: "more than that";
    ``counting.py``)."""
    stmt = filtered_cases(actor, filters, session.get_bind().dialect.name)
    if count_limit is None:
        total = await counting.exact_count(session, stmt)
    else:
        total = await counting.count_up_to(session, stmt, count_limit)
    few = bool(filters.q) and total <= min(count_limit or FEW_MATCHES, FEW_MATCHES)
    rows = await session.scalars(
        _ordered(stmt, sort, few=few).limit(page_size).offset((page - 1) * page_size)
    )
    return list(rows.all()), total


async def open_clocks_of(session: AsyncSession, case_ids: list[int]) -> dict[int, list[SlaClock]]:
    """The open clocks (running or breached, not stopped) of these cases, by case id."""
    found: dict[int, list[SlaClock]] = {i: [] for i in case_ids}
    if not case_ids:
        return found
    rows = await session.scalars(
        select(SlaClock)
        .where(
            SlaClock.case_id.in_(case_ids),
            SlaClock.stopped_at.is_(None),
            SlaClock.state.in_(("running", "breached", "paused")),
        )
        .order_by(SlaClock.deadline_at)
    )
    for clock in rows.all():
        found[clock.case_id].append(clock)
    return found


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


async def stored_attachment(
    session: AsyncSession, case: Case, attachment_id: int
) -> Attachment | None:
    """One attachment of ``case`` (a readable case: the caller's access was checked)."""
    return await session.scalar(
        select(Attachment).where(Attachment.id == attachment_id, Attachment.case_id == case.id)
    )
