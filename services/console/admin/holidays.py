"""``/konsol/admin/hari-libur``: local holiday overrides (a Perbup day off, a cuti bersama
the pemda does not follow) over ``services/sla/calendar`` — the same checks, audit and
reschedule of running deadlines as ``/admin/calendar/overrides``; beside them, the year's
non-working days as the calendar counts them."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.admin.forms import Refused, attempt, text, validated
from services.console.deps import ConsolePage, ConsoleUser, CsrfChecked, page_render
from services.console.deps import require_console_roles as roles
from services.sla.calendar import flows, repository, service
from services.sla.calendar.endpoints import OVERRIDE_WRITERS
from services.sla.calendar.schemas import OverrideIn
from shared.calendar import MAX_YEAR, MIN_YEAR
from shared.deps import DbSession
from shared.models import utcnow
from shared.pages import MONTHS

router = APIRouter(
    prefix="/konsol/admin/hari-libur",
    tags=["console"],
    include_in_schema=False,
    dependencies=[roles(*OVERRIDE_WRITERS)],
)
LABELS = {"date": "Tanggal", "kind": "Jenis", "reason": "Alasan"}
SOURCES = {
    "national": "libur nasional",
    "cuti_bersama": "cuti bersama",
    "regional": "libur daerah",
    "local_override": "pengaturan lokal",
}
KINDS = {"add": "hari libur (tidak dihitung hari kerja)", "remove": "hari kerja (tetap dihitung)"}
DONE = {"baru": "Disimpan; tenggat yang melewati tanggal itu dihitung ulang.",
        "cabut": "Dicabut; tenggat yang melewati tanggal itu dihitung ulang."}  # fmt: skip


async def _page(
    request: Request, page: ConsolePage, session: AsyncSession, year: int | None = None, *,
    error: str | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    calendar = await service.current_calendar(session, request.app.state.ctx)
    year = year or calendar.local_date(utcnow()).year
    days, confirmed = service.holidays(calendar, year)
    return page_render(
        request, page, "admin_libur.html",
        {"overrides": await repository.list_overrides(session, year=year, include_revoked=True),
         "days": days, "confirmed": confirmed, "year": year, "sources": SOURCES, "kinds": KINDS,
         "region": calendar.region, "months": MONTHS, "form": page.form if error else None, "error": error,
         "done": DONE.get(request.query_params.get("selesai", ""))},
        status_code=status_code,
    )  # fmt: skip


@router.get("")
async def holidays(
    request: Request, page: ConsoleUser, session: DbSession,
    tahun: int | None = Query(None, ge=MIN_YEAR, le=MAX_YEAR),
) -> Response:  # fmt: skip
    return await _page(request, page, session, tahun)


@router.post("")
async def add_override(request: Request, page: CsrfChecked, session: DbSession) -> Response:
    data = {"date": text(page.form, "tanggal"), "kind": text(page.form, "jenis"),
            "reason": text(page.form, "alasan")}  # fmt: skip
    try:
        body = validated(OverrideIn, data, LABELS)
        await attempt(session, flows.add_override(
            session, request.app.state.ctx, day=body.date, kind=body.kind, reason=body.reason,
            actor=page.actor,
        ))  # fmt: skip
    except Refused as refused:
        return await _page(
            request, page, session, error=refused.message, status_code=refused.status_code
        )
    return RedirectResponse(
        f"/konsol/admin/hari-libur?tahun={body.date.year}&selesai=baru", status_code=303
    )


@router.post("/{override_id}/cabut")
async def revoke_override(
    override_id: int, request: Request, page: CsrfChecked, session: DbSession
) -> Response:
    try:
        row = await attempt(session, flows.revoke_override(
            session, request.app.state.ctx, override_id=override_id,
            reason=text(page.form, "alasan") or "", actor=page.actor,
        ))  # fmt: skip
    except Refused as refused:
        return await _page(
            request, page, session, error=refused.message, status_code=refused.status_code
        )
    return RedirectResponse(
        f"/konsol/admin/hari-libur?tahun={row.date.year}&selesai=cabut", status_code=303
    )
