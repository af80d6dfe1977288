"""Calendar endpoints: public due dates and holidays (CONTRACT.md, "Calendar"), and Admin
Instansi's holiday overrides."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from shared.auth import Actor, require_roles
from shared.calendar import MAX_WORKING_DAYS, MAX_YEAR, MIN_YEAR
from shared.deps import DbSession
from shared.lifecycle import OPS_ROLES, Role
from shared.models import utcnow

from . import flows, repository, service
from .schemas import (
    CalendarStatusOut,
    DueOut,
    HolidayOut,
    HolidaysOut,
    OverrideIn,
    OverrideOut,
    OverridesOut,
    YearStatus,
)

public_router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])
admin_router = APIRouter(prefix="/admin/calendar", tags=["calendar admin"])

#: Who sets holiday overrides (the console's page admits the same).
OVERRIDE_WRITERS = (Role.ADMIN_INSTANSI,)
AdminInstansi = Annotated[Actor, require_roles(*OVERRIDE_WRITERS)]
OpsReader = Annotated[Actor, require_roles(*OPS_ROLES)]


async def _calendar(request: Request, session: DbSession):
    return await service.current_calendar(session, request.app.state.ctx)


@public_router.get(
    "/due", response_model=DueOut, summary="The deadline N working days after a moment"
)
async def due(
    request: Request,
    session: DbSession,
    start: Annotated[
        str, Query(description="ISO 8601 datetime; without an offset it is read in SIMPUL_TIMEZONE")
    ],
    working_days: Annotated[int, Query(ge=1, le=MAX_WORKING_DAYS, description="N, 1..1000")],
) -> DueOut:
    """Day 0 is ``start``'s local date whatever its hour; the deadline is 23:59:59 local time
    of the Nth working day after it — exactly how the SLA clocks count."""
    calendar = await _calendar(request, session)
    result = service.due_date(calendar, service.parse_start(start, calendar), working_days)
    return DueOut(
        start=result.start,
        working_days=result.working_days,
        due_at=result.due_at,
        due_at_local=result.due_at_local,
        timezone=result.timezone,
        calendar_confirmed=result.calendar_confirmed,
        unconfirmed_years=result.unconfirmed_years,
    )


@public_router.get(
    "/holidays", response_model=HolidaysOut, summary="The non-working days of a year"
)
async def holidays(
    request: Request,
    session: DbSession,
    year: Annotated[int, Query(ge=MIN_YEAR, le=MAX_YEAR)],
) -> HolidaysOut:
    """National holidays, cuti bersama, regional days and local overrides in force (weekends
    are not listed unless named). ``confirmed`` is false while the year's SKB cuti bersama
    is not in the installed calendar data ("calendar unconfirmed")."""
    calendar = await _calendar(request, session)
    days, confirmed = service.holidays(calendar, year)
    return HolidaysOut(
        year=year,
        timezone=str(calendar.tz),
        region=calendar.region,
        confirmed=confirmed,
        days=[HolidayOut(date=d.date, name=d.name, source=str(d.source)) for d in days],
    )


@admin_router.get(
    "/status", response_model=CalendarStatusOut, summary="Unconfirmed years (this and next)"
)
async def calendar_status(
    request: Request, session: DbSession, _actor: OpsReader
) -> CalendarStatusOut:
    calendar = await _calendar(request, session)
    years, unconfirmed = service.unconfirmed_soon(calendar, calendar.local_date(utcnow()))
    active = await repository.active_overrides(session)
    return CalendarStatusOut(
        timezone=str(calendar.tz),
        region=calendar.region,
        years=[YearStatus(year=y, confirmed=y not in unconfirmed) for y in years],
        unconfirmed_years=unconfirmed,
        calendar_unconfirmed=bool(unconfirmed),
        active_overrides=len(active),
    )


@admin_router.get("/overrides", response_model=OverridesOut, summary="Local holiday overrides")
async def list_overrides(
    session: DbSession,
    _actor: OpsReader,
    year: Annotated[int | None, Query(ge=MIN_YEAR, le=MAX_YEAR)] = None,
    include_revoked: bool = False,
) -> OverridesOut:
    rows = await repository.list_overrides(session, year=year, include_revoked=include_revoked)
    return OverridesOut(items=[OverrideOut.model_validate(r) for r in rows])


@admin_router.post(
    "/overrides", response_model=OverrideOut, status_code=201, summary="Add a local override"
)
async def add_override(
    request: Request, session: DbSession, actor: AdminInstansi, body: OverrideIn
) -> OverrideOut:
    """``add`` makes the date a day off (e.g. a Perbup day off); ``remove`` makes it a working
    day. Running clocks spanning the date get their deadlines recomputed. Audited."""
    row = await flows.add_override(
        session, request.app.state.ctx, day=body.date, kind=body.kind, reason=body.reason,
        actor=actor,
    )  # fmt: skip
    return OverrideOut.model_validate(row)


@admin_router.delete(
    "/overrides/{override_id}", response_model=OverrideOut, summary="Revoke a local override"
)
async def revoke_override(
    request: Request,
    session: DbSession,
    actor: AdminInstansi,
    override_id: int,
    reason: Annotated[
        str, Query(min_length=1, max_length=500, description="Why it is withdrawn (audited)")
    ],
) -> OverrideOut:
    row = await flows.revoke_override(
        session, request.app.state.ctx, override_id=override_id, reason=reason, actor=actor
    )
    return OverrideOut.model_validate(row)
