"""The worklists as pages: Admin Instansi's queue (``/konsol/antrian``), an OPD's inbox
(``/konsol/kotak-masuk``), APIP's referrals (``/konsol/rujukan``), and the search over
every case one may read (``/konsol/cari``, for every role: leadership and operators too).

Each is ``services.routing.worklists`` / ``GET /admin/cases`` itself — the readable
statement, the filters, the one search box, the working days left — with the filters in
the URL (Indonesian names), so a link to a filtered page can be shared. Rows never carry
reporter data (``case_summary``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.deps import ConsolePage, ConsoleUser, page_render, require_console_roles
from services.routing.cases import repository
from services.routing.cases.counting import SEARCH_COUNT_LIMIT
from services.routing.cases.filters import case_filters
from services.routing.cases.search import MAX_QUERY_CHARS
from services.routing.worklists import service
from services.routing.worklists.service import Names
from services.sla.calendar.service import current_calendar
from shared.cases.labels import CHANNEL_LABELS, KIND_LABELS, STATUS_LABELS
from shared.config import Settings
from shared.deps import AppSettings, DbSession
from shared.errors import Unprocessable
from shared.lifecycle import Role

router = APIRouter(prefix="/konsol", tags=["console"], include_in_schema=False)
PAGE_SIZE = 25
#: The URL's filter names (Indonesian) and the API's.
PARAMS = {
    "q": "q",
    "status": "status",
    "opd": "opd",
    "kategori": "category",
    "kanal": "channel",
    "kecamatan": "kecamatan",
    "dari": "received_from",
    "sampai": "received_to",
}
#: Each worklist's page.
PAGES = {"queue": "/konsol/antrian", "inbox": "/konsol/kotak-masuk", "referrals": "/konsol/rujukan"}


def _query(request: Request) -> dict[str, str]:
    """The filters as given in the URL (cut to sane lengths), for the form and the links."""
    given = {}
    for name in (*PARAMS, "terlambat", "milik_saya"):
        value = request.query_params.get(name, "").strip()
        if value:
            given[name] = value[:MAX_QUERY_CHARS]
    return given


def _page_number(request: Request) -> int:
    raw = request.query_params.get("halaman", "1")
    return min(max(int(raw), 1), 10_000) if raw.isdigit() else 1


def _options(names: Names) -> dict[str, list[tuple[str, str]]]:
    return {
        "status": list(STATUS_LABELS.items()),
        "opd": names.choices("opds"),
        "kategori": names.choices("categories"),
        "kanal": list(CHANNEL_LABELS.items()),
        "kecamatan": names.choices("kecamatan"),
    }


def _filters(query: dict[str, str], settings: Settings, page: ConsolePage) -> Any:
    values = {api: query.get(name) for name, api in PARAMS.items()}
    overdue = {"ya": True, "tidak": False}.get(query.get("terlambat", ""))
    return case_filters(
        settings,
        **values,
        overdue=overdue,
        assignee=page.actor.id if query.get("milik_saya") == "ya" else None,
    )


async def _list_page(
    request: Request,
    page: ConsolePage,
    session: AsyncSession,
    settings: Settings,
    *,
    worklist: str | None,
    path: str,
) -> Response:
    query = _query(request)
    number = _page_number(request)
    error = None
    calendar = await current_calendar(session, request.app.state.ctx)
    try:
        filters = _filters(query, settings, page)
    except Unprocessable:
        error = "Tanggal tidak dikenali: tulis sebagai TTTT-BB-HH (misalnya 2026-12-01)."
        filters = _filters(
            {k: v for k, v in query.items() if k not in ("dari", "sampai")}, settings, page
        )
    names = await service.reference_names(session)
    if worklist is not None:
        result = await service.worklist_page(
            session, page.actor, worklist, filters, calendar, page=number, page_size=PAGE_SIZE,
            names=names,
        )  # fmt: skip
    else:
        cases, total = await repository.list_cases(
            session, page.actor, filters, page=number, page_size=PAGE_SIZE,
            count_limit=SEARCH_COUNT_LIMIT,
        )  # fmt: skip
        result = {
            "title": "Cari kasus",
            "items": await service.rows_for(session, cases, calendar, names),
            "total": total,
        }
    more = result["total"] > SEARCH_COUNT_LIMIT and worklist is None
    counted = min(result["total"], SEARCH_COUNT_LIMIT) if more else result["total"]
    pages = max(1, -(-counted // PAGE_SIZE))

    def link(to_page: int) -> str:
        return f"{path}?{urlencode({**query, 'halaman': to_page})}"

    return page_render(
        request,
        page,
        "daftar.html",
        {
            "title": result["title"],
            "items": result["items"],
            "total": counted,
            "more": more,
            "query": query,
            "options": _options(names),
            "status_labels": STATUS_LABELS,
            "kind_labels": KIND_LABELS,
            "channel_labels": CHANNEL_LABELS,
            "number": number,
            "pages": pages,
            "previous_url": link(number - 1) if number > 1 else None,
            "next_url": link(number + 1) if number < pages else None,
            "action": path,
            "error": error,
            "show_mine": worklist == "inbox",
            "show_phone_hint": page.actor.sees_identity,
        },
        status_code=422 if error else 200,
    )


@router.get("/antrian", dependencies=[require_console_roles(Role.ADMIN_INSTANSI)])
async def queue(
    request: Request, page: ConsoleUser, session: DbSession, settings: AppSettings
) -> Response:
    return await _list_page(request, page, session, settings, worklist="queue", path=PAGES["queue"])


@router.get("/kotak-masuk", dependencies=[require_console_roles(Role.OPD)])
async def inbox(
    request: Request, page: ConsoleUser, session: DbSession, settings: AppSettings
) -> Response:
    return await _list_page(request, page, session, settings, worklist="inbox", path=PAGES["inbox"])


@router.get("/rujukan", dependencies=[require_console_roles(Role.APIP)])
async def referrals(
    request: Request, page: ConsoleUser, session: DbSession, settings: AppSettings
) -> Response:
    return await _list_page(
        request, page, session, settings, worklist="referrals", path=PAGES["referrals"]
    )


@router.get("/cari")
async def search(
    request: Request, page: ConsoleUser, session: DbSession, settings: AppSettings
) -> Response:
    return await _list_page(request, page, session, settings, worklist=None, path="/konsol/cari")
