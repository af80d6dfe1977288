"""Performance reports for Admin Instansi, leadership (viewer) and each OPD (its own rows)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from services.sla.calendar.service import current_calendar
from shared.auth import Actor, require_roles
from shared.deps import AppDatabase, DbSession
from shared.lifecycle import Role
from shared.models import utcnow

from . import export, service, targets
from .schemas import TargetIn, TargetOut, TargetProgress

router = APIRouter(prefix="/admin/reports", tags=["reports"])
ReportReader = Annotated[Actor, require_roles(Role.ADMIN_INSTANSI, Role.VIEWER, Role.OPD)]


@router.get(
    "/summary", summary="Performance summary per OPD, category, channel, kecamatan or month"
)
async def summary(
    request: Request,
    session: DbSession,
    db: AppDatabase,
    actor: ReportReader,
    from_: Annotated[
        str | None, Query(alias="from", description="first day, YYYY-MM-DD (default 1 January)")
    ] = None,
    to: Annotated[str | None, Query(description="last day, YYYY-MM-DD (default today)")] = None,
    group_by: Annotated[
        str, Query(description="opd | category | channel | kecamatan | month")
    ] = "opd",
    format: Annotated[str, Query(description="json | csv | xlsx")] = "json",
) -> Response:
    service.check_choice(group_by, service.GROUPS, "group_by")
    service.check_choice(format, service.FORMATS, "format")
    calendar = await current_calendar(session, request.app.state.ctx)
    period = service.parse_period(from_, to, calendar.local_date(utcnow()))
    report = await service.summary(session, db, calendar, actor, period, group_by)
    if format == "json":
        return JSONResponse(report)
    return export.summary_file(report, format)


TargetReader = Annotated[Actor, require_roles(Role.ADMIN_INSTANSI, Role.VIEWER)]
TargetWriter = Annotated[Actor, require_roles(Role.ADMIN_INSTANSI)]


@router.put(
    "/targets/{year}",
    response_model=TargetOut,
    summary="Set a year's targets (Admin Instansi; audited)",
)
async def put_target(
    year: int, body: TargetIn, request: Request, session: DbSession, actor: TargetWriter
) -> TargetOut:
    calendar = await current_calendar(session, request.app.state.ctx)
    targets.check_year(year, calendar.local_date(utcnow()))
    return await targets.set_target(session, year, body, actor)


@router.get(
    "/targets",
    response_model=TargetProgress,
    summary="A year's targets against its actual figures to date",
)
async def get_targets(
    request: Request,
    session: DbSession,
    db: AppDatabase,
    actor: TargetReader,
    year: Annotated[int | None, Query(description="default: this year")] = None,
) -> TargetProgress:
    calendar = await current_calendar(session, request.app.state.ctx)
    today = calendar.local_date(utcnow())
    return await targets.progress(
        session, db, calendar, targets.check_year(year or today.year, today)
    )
