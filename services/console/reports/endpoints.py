"""The reports in the console, with the console's session (no token, no header): the
summary with its filters and its CSV/XLSX files (``/konsol/laporan``), the ranking of OPDs
by resolution within the deadline (``/konsol/laporan/peringkat``), the semester evaluation
as a printable page (``/konsol/laporan/evaluasi``) and the year's targets
(``/konsol/laporan/target``).

Every figure is ``services.sla.reports``' own — the functions behind ``/admin/reports``,
with the same roles (an OPD sees its own rows only) — so the console and the API cannot
disagree.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from services.console.deps import (
    ConsolePage,
    ConsoleUser,
    CsrfChecked,
    page_render,
    require_console_roles,
)
from services.sla.calendar.service import current_calendar
from services.sla.pages import html_page
from services.sla.reports import export, service, targets
from services.sla.reports.evaluation.rendering import file_response, render_html
from services.sla.reports.evaluation.service import evaluation, parse_semester
from services.sla.reports.schemas import TargetIn
from shared.deps import AppDatabase, DbSession
from shared.errors import Unprocessable
from shared.lifecycle import Role
from shared.models import utcnow

router = APIRouter(prefix="/konsol/laporan", tags=["console"], include_in_schema=False)
#: The same roles as ``/admin/reports`` (summary) and its evaluation and targets.
SUMMARY_ROLES = (Role.ADMIN_INSTANSI, Role.VIEWER, Role.OPD)
LEADERSHIP_ROLES = (Role.ADMIN_INSTANSI, Role.VIEWER)
#: What a report can be grouped by, as officers say it.
GROUP_LABELS = {
    "opd": "Perangkat daerah",
    "category": "Kategori",
    "channel": "Kanal",
    "kecamatan": "Kecamatan",
    "month": "Bulan",
}
#: The summary's columns shown on the page (the files carry all of ``service.COLUMNS``).
COLUMN_LABELS = {
    "received": "Diterima",
    "not_responded": "Belum ditanggapi",
    "unresolved": "Belum selesai",
    "resolved": "Selesai",
    "resolved_within_deadline_pct": "% tepat waktu",
    "avg_wd_to_first_response": "Rata-rata hari kerja ke tanggapan pertama",
    "avg_wd_to_resolution": "Rata-rata hari kerja ke selesai",
    "breaches": "Lewat batas waktu",
    "satisfaction_avg": "Kepuasan (1–5)",
}
PERIOD_HINT = "Tanggal ditulis TTTT-BB-HH (misalnya 2026-01-01); paling panjang 5 tahun."


async def _summary(
    request: Request, page: ConsolePage, session: Any, db: Any, group_by: str
) -> dict[str, Any]:
    calendar = await current_calendar(session, request.app.state.ctx)
    period = service.parse_period(
        request.query_params.get("dari") or None,
        request.query_params.get("sampai") or None,
        calendar.local_date(utcnow()),
    )
    return await service.summary(session, db, calendar, page.actor, period, group_by)


def _refused(request: Request, page: ConsolePage, message: str) -> HTMLResponse:
    return page_render(
        request,
        page,
        "galat.html",
        {
            "heading": "Laporan tidak dapat dibuat",
            "message": message,
            "back_url": "/konsol/laporan",
        },
        status_code=422,
    )


@router.get("", dependencies=[require_console_roles(*SUMMARY_ROLES)])
async def summary_page(
    request: Request, page: ConsoleUser, session: DbSession, db: AppDatabase
) -> Response:
    group_by = request.query_params.get("kelompok") or "opd"
    fmt = request.query_params.get("format") or "html"
    if group_by not in GROUP_LABELS or fmt not in ("html", "csv", "xlsx"):
        return _refused(request, page, "Pilihan pengelompokan atau format tidak dikenal.")
    try:
        report = await _summary(request, page, session, db, group_by)
    except Unprocessable:
        return _refused(request, page, PERIOD_HINT)
    if fmt != "html":
        return export.summary_file(report, fmt)
    query = {
        "kelompok": group_by,
        "dari": report["period"]["from"],
        "sampai": report["period"]["to"],
    }
    return page_render(
        request,
        page,
        "laporan.html",
        {
            "report": report,
            "query": query,
            "groups": GROUP_LABELS,
            "columns": COLUMN_LABELS,
            "csv_url": f"/konsol/laporan?{urlencode({**query, 'format': 'csv'})}",
            "xlsx_url": f"/konsol/laporan?{urlencode({**query, 'format': 'xlsx'})}",
            "leadership": page.actor.role in LEADERSHIP_ROLES,
        },
    )


def ranking(report: dict[str, Any]) -> list[dict[str, Any]]:
    """OPDs by the share of their resolved cases resolved within the deadline (best first;
    ties by more cases resolved; an OPD with nothing resolved yet last)."""
    rows = [r for r in report["rows"] if r["key"] is not None and r["received"]]
    return sorted(
        rows,
        key=lambda r: (
            r["resolved_within_deadline_pct"] is None,
            -(r["resolved_within_deadline_pct"] or 0),
            -r["resolved"],
            r["label"] or "",
        ),
    )


@router.get("/peringkat", dependencies=[require_console_roles(*LEADERSHIP_ROLES)])
async def ranking_page(
    request: Request, page: ConsoleUser, session: DbSession, db: AppDatabase
) -> Response:
    try:
        report = await _summary(request, page, session, db, "opd")
    except Unprocessable:
        return _refused(request, page, PERIOD_HINT)
    return page_render(
        request,
        page,
        "peringkat.html",
        {
            "report": report,
            "rows": ranking(report),
            "query": {"dari": report["period"]["from"], "sampai": report["period"]["to"]},
        },
    )


@router.get("/evaluasi", dependencies=[require_console_roles(*LEADERSHIP_ROLES)])
async def evaluation_page(
    request: Request, page: ConsoleUser, session: DbSession, db: AppDatabase
) -> Response:
    """The printable evaluation (its own page, made for paper); the default is the
    semester in progress."""
    calendar = await current_calendar(session, request.app.state.ctx)
    today = calendar.local_date(utcnow())
    year = request.query_params.get("tahun") or str(today.year)
    semester = request.query_params.get("semester") or ("1" if today.month <= 6 else "2")
    fmt = request.query_params.get("format") or "html"
    if fmt not in ("html", "csv", "xlsx"):
        return _refused(request, page, "Format tidak dikenal.")
    try:
        y, s = parse_semester(year, semester, today)
    except Unprocessable:
        return _refused(
            request,
            page,
            f"Pilih tahun sampai {today.year} dan semester 1 atau 2 yang sudah dimulai.",
        )
    ev = await evaluation(session, request.app.state.db, calendar, page.actor, y, s)
    if fmt != "html":
        return file_response(ev, fmt, f"evaluasi-{y}-semester-{s}")
    html = render_html(ev, f"/konsol/laporan/evaluasi?tahun={y}&semester={s}&format=csv")
    return html_page(html)


@router.get("/target", dependencies=[require_console_roles(*LEADERSHIP_ROLES)])
async def targets_page(
    request: Request, page: ConsoleUser, session: DbSession, db: AppDatabase
) -> Response:
    return await _targets(request, page, session, db)


async def _targets(
    request: Request,
    page: ConsolePage,
    session: Any,
    db: Any,
    *,
    error: str | None = None,
    asked_year: str | None = None,
) -> Response:
    calendar = await current_calendar(session, request.app.state.ctx)
    today = calendar.local_date(utcnow())
    raw = asked_year or request.query_params.get("tahun") or str(today.year)
    try:
        year = targets.check_year(int(raw) if raw.isdigit() else -1, today)
    except Unprocessable:
        error, year = (
            error
            or f"Tahun harus antara {targets.FIRST_TARGET_YEAR} dan {today.year + targets.MAX_YEARS_AHEAD}.",
            today.year,
        )
    progress = await targets.progress(session, db, calendar, year)
    return page_render(
        request,
        page,
        "target.html",
        {
            "progress": progress,
            "error": error,
            "may_edit": page.actor.role == Role.ADMIN_INSTANSI,
            "done": request.query_params.get("selesai") == "1",
        },
        status_code=422 if error else 200,
    )


@router.post("/target", dependencies=[require_console_roles(Role.ADMIN_INSTANSI)])
async def set_targets(
    request: Request, page: CsrfChecked, session: DbSession, db: AppDatabase
) -> Response:
    assert page.form is not None
    raw_year = str(page.form.get("tahun") or "")
    fields = {
        "received": str(page.form.get("diterima") or "").strip() or None,
        "resolved_pct": str(page.form.get("persen_selesai") or "").replace(",", ".").strip()
        or None,
        "note": str(page.form.get("catatan") or "").strip() or None,
    }
    calendar = await current_calendar(session, request.app.state.ctx)
    try:
        year = targets.check_year(
            int(raw_year) if raw_year.isdigit() else -1, calendar.local_date(utcnow())
        )
        body = TargetIn.model_validate(fields)
    except (Unprocessable, ValidationError):
        return await _targets(
            request,
            page,
            session,
            db,
            error="Target tidak disimpan: jumlah diterima harus bilangan bulat 0 atau lebih, "
            "persentase selesai antara 0 dan 100, dan tahun yang dapat ditetapkan.",
            asked_year=raw_year if raw_year.isdigit() else None,
        )
    await targets.set_target(session, year, body, page.actor)
    return RedirectResponse(f"/konsol/laporan/target?tahun={year}&selesai=1", status_code=303)
