"""``GET /admin/worklists/{queue|inbox|referrals}``: the console's worklists over the API.

The same filters and one search box as ``GET /admin/cases``; each list is its role's
(Admin Instansi's queue, an OPD's inbox, APIP's referrals; another role gets 403).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Query, Request

from services.routing.cases.filters import case_filters
from services.routing.cases.repository import MAX_PAGE_SIZE
from services.routing.cases.search import MAX_QUERY_CHARS
from services.routing.worklists import service
from services.sla.calendar.service import current_calendar
from shared.auth import CurrentActor
from shared.deps import AppSettings, DbSession

router = APIRouter(prefix="/admin/worklists", tags=["cases"])

WorklistName = StrEnum("WorklistName", {n: n for n in service.WORKLISTS})


@router.get(
    "/{name}",
    summary="A role's worklist: the queue (admin_instansi), inbox (opd), referrals (apip)",
)
async def worklist(
    name: WorklistName,
    request: Request,
    actor: CurrentActor,
    session: DbSession,
    settings: AppSettings,
    status: str | None = None,
    opd: str | None = None,
    category: str | None = None,
    channel: str | None = None,
    kecamatan: str | None = None,
    overdue: bool | None = None,
    q: str | None = Query(None, max_length=MAX_QUERY_CHARS, description="as GET /admin/cases"),
    received_from: str | None = Query(None, alias="from"),
    received_to: str | None = Query(None, alias="to"),
    mine: bool = Query(False, description="only the cases assigned to the caller"),
    page: int = Query(1, ge=1, le=100_000),
    page_size: int = Query(20, ge=1, le=MAX_PAGE_SIZE),
) -> dict[str, Any]:
    filters = case_filters(
        settings,
        status=status,
        opd=opd,
        category=category,
        channel=channel,
        kecamatan=kecamatan,
        overdue=overdue,
        q=q,
        received_from=received_from,
        received_to=received_to,
        assignee=actor.id if mine else None,
    )
    calendar = await current_calendar(session, request.app.state.ctx)
    return await service.worklist_page(
        session, actor, str(name), filters, calendar, page=page, page_size=page_size
    )
