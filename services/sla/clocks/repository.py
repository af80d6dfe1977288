"""Every query of SLA clocks, reads for a caller starting from :func:`readable_clocks`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Actor
from shared.errors import Forbidden
from shared.lifecycle import Role
from shared.models import Case
from shared.models.sla import SlaClock

from .rules import ClockState

#: Roles that may read clocks: Admin Instansi and leadership see all, an OPD its own.
READERS = frozenset({Role.ADMIN_INSTANSI, Role.VIEWER, Role.OPD})


def readable_clocks(actor: Actor) -> Select:
    """``(SlaClock, tracking_id)`` rows ``actor`` may see: everything for Admin Instansi and
    viewers; for an OPD only the clocks it is accountable for on cases currently with it."""
    if actor.role not in READERS:
        raise Forbidden(f"role {actor.role} may not read SLA clocks", code="role_not_allowed")
    stmt = select(SlaClock, Case.tracking_id).join(Case, Case.id == SlaClock.case_id)
    if actor.role == Role.OPD:
        stmt = stmt.where(SlaClock.opd_code == actor.opd_code, Case.opd_code == actor.opd_code)
    return stmt


async def open_clocks(session: AsyncSession, case_id: int, *, lock: bool) -> list[SlaClock]:
    """The case's clocks not yet stopped (running, paused, or breached and still open).
    ``lock``: FOR UPDATE on PostgreSQL, so the sweeper cannot change them under us."""
    stmt = (
        select(SlaClock)
        .where(SlaClock.case_id == case_id, SlaClock.stopped_at.is_(None))
        .order_by(SlaClock.id)
        .execution_options(populate_existing=True)
    )
    if lock:
        stmt = stmt.with_for_update()
    return list((await session.scalars(stmt)).all())


async def last_applied_event(session: AsyncSession, case_id: int) -> int:
    """The newest event already applied to the case's clocks (0 if none)."""
    value = await session.scalar(
        select(func.max(SlaClock.last_event_id)).where(SlaClock.case_id == case_id)
    )
    return value or 0


async def clock_started_by(
    session: AsyncSession, case_id: int, kind: str, event_id: int
) -> SlaClock | None:
    return await session.scalar(
        select(SlaClock).where(
            SlaClock.case_id == case_id, SlaClock.kind == kind, SlaClock.start_event_id == event_id
        )
    )


async def last_generation(session: AsyncSession, case_id: int, kind: str) -> int:
    value = await session.scalar(
        select(func.max(SlaClock.generation)).where(
            SlaClock.case_id == case_id, SlaClock.kind == kind
        )
    )
    return value or 0


async def running_spanning(
    session: AsyncSession, after: dt.datetime, until: dt.datetime
) -> list[SlaClock]:
    """Running clocks whose current segment started by ``until`` and whose deadline is after
    ``after``: those a change to the day ``(after, until]`` can move."""
    segment_start = func.coalesce(SlaClock.resumed_at, SlaClock.started_at)
    stmt = select(SlaClock).where(
        SlaClock.state == ClockState.RUNNING,
        SlaClock.deadline_at > after,
        segment_start <= until,
    )
    return list((await session.scalars(stmt)).all())


async def case_clocks(session: AsyncSession, actor: Actor, case_id: int) -> list[SlaClock]:
    stmt = readable_clocks(actor).where(SlaClock.case_id == case_id).order_by(SlaClock.id)
    return [row[0] for row in (await session.execute(stmt)).all()]
