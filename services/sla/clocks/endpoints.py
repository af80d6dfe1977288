"""SLA ops endpoints: what is coming, what was breached, what will breach by a date, a case's
clocks. Admin Instansi and viewers see every OPD; an OPD token only its own."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import and_, or_

from services.sla.calendar.service import current_calendar
from shared.auth import CurrentActor
from shared.cases.service import get_by_tracking_id
from shared.deps import DbSession
from shared.errors import NotFound, Unprocessable
from shared.lifecycle import Role
from shared.models import utcnow
from shared.models.sla import SlaClock

from . import repository
from .rules import ClockState
from .schemas import ClockListOut, ClockOut, OpdCount

router = APIRouter(tags=["sla"])

MAX_LIMIT = 1000
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def _out(clock: SlaClock, tracking_id: str) -> ClockOut:
    return ClockOut(
        id=clock.id,
        tracking_id=tracking_id,
        kind=clock.kind,
        generation=clock.generation,
        state=clock.state,
        opd_code=clock.opd_code,
        sla_class=clock.sla_class,
        working_days=clock.working_days,
        used_working_days=clock.used_working_days,
        started_at=clock.started_at,
        paused_at=clock.paused_at,
        deadline_at=clock.deadline_at,
        warning_at=clock.warning_at,
        warned_at=clock.warned_at,
        breached_at=clock.breached_at,
        stopped_at=clock.stopped_at,
    )


async def _list(session, stmt, order, limit: int) -> ClockListOut:
    rows = (await session.execute(stmt.order_by(*order).limit(limit + 1))).all()
    truncated = len(rows) > limit
    rows = rows[:limit]
    counts = Counter(clock.opd_code for clock, _ in rows)
    return ClockListOut(
        items=[_out(clock, tid) for clock, tid in rows],
        total=len(rows),
        by_opd=[
            OpdCount(opd_code=code, count=n)
            for code, n in sorted(counts.items(), key=lambda kv: kv[0] or "")
        ],
        truncated=truncated,
    )


def _moment(
    raw: str | None, name: str, calendar, *, end_of_day: bool = False
) -> dt.datetime | None:
    """An ISO date (a local day: its start, or its end for upper bounds) or an aware datetime."""
    if raw is None:
        return None
    try:
        if len(raw) == 10:
            day = dt.date.fromisoformat(raw)
            if end_of_day:
                return calendar.end_of_day(day)
            return calendar.end_of_day(day - dt.timedelta(days=1)) + dt.timedelta(seconds=1)
        moment = dt.datetime.fromisoformat(raw)
    except (ValueError, OverflowError):
        raise Unprocessable(
            f"{name} must be an ISO 8601 date or datetime, got {raw!r}",
            code="invalid_date",
            field=name,
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=calendar.tz)
    return moment


@router.get(
    "/admin/sla/upcoming", response_model=ClockListOut, summary="Warnings and deadlines coming"
)
async def upcoming(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    opd: str | None = None,
    within_days: Annotated[int, Query(ge=1, le=366)] = 7,
    limit: Limit = 200,
) -> ClockListOut:
    """Running clocks whose warning or deadline falls within the next ``within_days``
    calendar days (overdue ones included), soonest deadline first."""
    stmt = repository.readable_clocks(actor)
    now = utcnow()
    horizon = now + dt.timedelta(days=within_days)
    stmt = stmt.where(
        SlaClock.state == ClockState.RUNNING,
        or_(
            SlaClock.deadline_at <= horizon,
            and_(SlaClock.warning_at.is_not(None), SlaClock.warning_at <= horizon),
        ),
    )
    if opd:
        stmt = stmt.where(SlaClock.opd_code == opd)
    return await _list(session, stmt, (SlaClock.deadline_at, SlaClock.id), limit)


@router.get(
    "/admin/sla/breaches", response_model=ClockListOut, summary="Breached clocks in a period"
)
async def breaches(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    opd: str | None = None,
    from_: Annotated[
        str | None, Query(alias="from", description="ISO date or datetime (inclusive)")
    ] = None,
    to: Annotated[
        str | None, Query(description="ISO date (inclusive) or datetime (exclusive)")
    ] = None,
    limit: Limit = 200,
) -> ClockListOut:
    stmt = repository.readable_clocks(actor)
    calendar = await current_calendar(session, request.app.state.ctx)
    start = _moment(from_, "from", calendar)
    end = _moment(to, "to", calendar, end_of_day=True)
    if start and end and end < start:
        raise Unprocessable("to is before from", code="invalid_range", field="to")
    stmt = stmt.where(SlaClock.breached_at.is_not(None))
    if start:
        stmt = stmt.where(SlaClock.breached_at >= start)
    if end:
        stmt = stmt.where(SlaClock.breached_at <= end)
    if opd:
        stmt = stmt.where(SlaClock.opd_code == opd)
    return await _list(session, stmt, (SlaClock.breached_at.desc(), SlaClock.id), limit)


@router.get("/admin/sla/preview", response_model=ClockListOut, summary="What breaches by a date")
async def preview(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    by: Annotated[str, Query(description="ISO date (its end, local time) or datetime")],
    opd: str | None = None,
    limit: Limit = 200,
) -> ClockListOut:
    """Running clocks whose deadline falls by ``by`` if nothing is done (paused clocks wait
    for the reporter and are left out)."""
    stmt = repository.readable_clocks(actor)
    calendar = await current_calendar(session, request.app.state.ctx)
    until = _moment(by, "by", calendar, end_of_day=True)
    stmt = stmt.where(SlaClock.state == ClockState.RUNNING, SlaClock.deadline_at <= until)
    if opd:
        stmt = stmt.where(SlaClock.opd_code == opd)
    return await _list(session, stmt, (SlaClock.deadline_at, SlaClock.id), limit)


@router.get(
    "/admin/cases/{tracking_id}/clocks", response_model=list[ClockOut], summary="A case's clocks"
)
async def case_clocks(session: DbSession, actor: CurrentActor, tracking_id: str) -> list[ClockOut]:
    repository.readable_clocks(actor)  # role check first: 403 before 404
    case = await get_by_tracking_id(session, tracking_id)
    if case is None or (actor.role == Role.OPD and case.opd_code != actor.opd_code):
        raise NotFound("no such case", code="case_not_found")  # the same 404 for "not yours"
    return [
        _out(clock, case.tracking_id)
        for clock in await repository.case_clocks(session, actor, case.id)
    ]
