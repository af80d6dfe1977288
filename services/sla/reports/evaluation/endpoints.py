"""``/admin/reports/evaluation``: read a semester's evaluation, publish it on /statistik."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from services.sla.calendar.service import current_calendar
from services.sla.pages import html_page
from services.sla.reports import service as summary_service
from shared.auth import Actor, require_roles
from shared.deps import AppDatabase, DbSession
from shared.lifecycle import Role
from shared.models import utcnow

from .rendering import file_response, render_html
from .schemas import FORMATS, PublishIn
from .service import evaluation, parse_semester, publish

router = APIRouter(prefix="/admin/reports/evaluation", tags=["reports"])
EvaluationReader = Annotated[Actor, require_roles(Role.ADMIN_INSTANSI, Role.VIEWER)]
EvaluationPublisher = Annotated[Actor, require_roles(Role.ADMIN_INSTANSI)]


@router.get("", summary="Semester evaluation (printable HTML in Bahasa Indonesia, CSV or XLSX)")
async def get_evaluation(
    request: Request,
    session: DbSession,
    db: AppDatabase,
    actor: EvaluationReader,
    year: Annotated[str | None, Query(description="e.g. 2026")] = None,
    semester: Annotated[str | None, Query(description="1 (Jan–Jun) or 2 (Jul–Dec)")] = None,
    format: Annotated[str, Query(description="html | csv | xlsx")] = "html",
) -> Response:
    summary_service.check_choice(format, FORMATS, "format")
    calendar = await current_calendar(session, request.app.state.ctx)
    y, s = parse_semester(year, semester, calendar.local_date(utcnow()))
    ev = await evaluation(session, db, calendar, actor, y, s)
    if format == "html":
        href = f"/admin/reports/evaluation?year={y}&semester={s}&format=csv"
        return html_page(render_html(ev, href))
    return file_response(ev, format, f"evaluasi-{y}-semester-{s}")


@router.post("/publish", status_code=201, summary="Publish a semester evaluation on /statistik")
async def publish_evaluation(
    body: PublishIn,
    request: Request,
    session: DbSession,
    db: AppDatabase,
    actor: EvaluationPublisher,
) -> JSONResponse:
    calendar = await current_calendar(session, request.app.state.ctx)
    y, s = parse_semester(body.year, body.semester, calendar.local_date(utcnow()))
    row = await publish(session, db, calendar, actor, y, s)
    return JSONResponse(
        {
            "year": y,
            "semester": s,
            "url": f"/statistik/evaluasi/{y}-{s}",
            "published_at": row.published_at.isoformat(),
        },
        status_code=201,
    )
