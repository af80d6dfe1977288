"""``GET /admin/worklists/{queue|inbox|referrals}``: the console's worklists over the API.

The same filters and one search box as ``GET /admin/cases``; each list is its role's
(Admin Instansi's queue, an OPD's inbox, APIP's referrals; another role gets 403).
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from services.routing.cases.filters import query_filters
from services.routing.cases.repository import MAX_PAGE_SIZE, CaseFilters
from services.routing.worklists import service
from services.sla.calendar.service import current_calendar
from shared.auth import CurrentActor
from shared.deps import DbSession

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
    filters: Annotated[CaseFilters, Depends(query_filters)],
    mine: bool = Query(False, description="only the cases assigned to the caller"),
    page: int = Query(1, ge=1, le=100_000),
    page_size: int = Query(20, ge=1, le=MAX_PAGE_SIZE),
) -> dict[str, Any]:
    if mine:
        filters = replace(filters, assignee=actor.id)
    calendar = await current_calendar(session, request.app.state.ctx)
    return await service.worklist_page(
        session, actor, str(name), filters, calendar, page=page, page_size=page_size
    )
