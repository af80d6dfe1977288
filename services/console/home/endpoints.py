"""``/konsol/``: the officer's landing page — the role's work at a glance.

Admin Instansi sees the head of the verification queue, an OPD its inbox, APIP its
referrals (the most urgent first, each a link to the case and to the whole list);
leadership and operators their pages' links. The menu itself is ``navigation.MENUS``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.console.deps import ConsoleUser, page_render
from services.console.navigation import menu_for
from services.routing.cases.filters import case_filters
from services.routing.worklists.service import WORKLISTS, worklist_page
from services.sla.calendar.service import current_calendar
from shared.cases.labels import CHANNEL_LABELS, KIND_LABELS, STATUS_LABELS
from shared.deps import AppSettings, DbSession

router = APIRouter(prefix="/konsol", tags=["console"], include_in_schema=False)
#: How many of the most urgent cases the landing page shows.
GLANCE = 5
#: The worklist each role lands on, and that list's page.
ROLE_WORKLISTS = {
    "admin_instansi": ("queue", "/konsol/antrian"),
    "opd": ("inbox", "/konsol/kotak-masuk"),
    "apip": ("referrals", "/konsol/rujukan"),
}


@router.get("")
async def konsol_without_slash() -> Response:
    return RedirectResponse("/konsol/", status_code=307)


@router.get("/")
async def home(
    request: Request, page: ConsoleUser, session: DbSession, settings: AppSettings
) -> Response:
    role = str(page.actor.role)
    glance = None
    if role in ROLE_WORKLISTS:
        name, href = ROLE_WORKLISTS[role]
        calendar = await current_calendar(session, request.app.state.ctx)
        result = await worklist_page(
            session, page.actor, name, case_filters(settings), calendar, page=1, page_size=GLANCE
        )
        glance = {**result, "href": href, "title": WORKLISTS[name].title}
    return page_render(
        request,
        page,
        "beranda.html",
        {
            "links": menu_for(role),
            "glance": glance,
            "status_labels": STATUS_LABELS,
            "kind_labels": KIND_LABELS,
            "channel_labels": CHANNEL_LABELS,
        },
    )
