"""``/statistik``: the public statistics page (Bahasa Indonesia, no JavaScript) and its CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.sla.calendar.service import current_calendar
from services.sla.pages import CSS_URL, html_page
from services.sla.reports.evaluation import rendering as evaluation_rendering
from services.sla.reports.evaluation import repository as published_evaluations
from services.sla.reports.evaluation.service import semester_label
from services.sla.reports.export import to_csv
from shared.deps import AppDatabase, DbSession
from shared.errors import NotFound, Unprocessable
from shared.models import utcnow

from . import service
from .chart import bar_chart

router = APIRouter(tags=["public statistics"])
templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
YEARS_SHOWN = 6


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}".replace(".", ",") + "%"


def _days(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}".replace(".", ",") + " hari kerja"


def _section(section_id: str, title: str, column: str, rows: list[service.PublicRow]) -> dict:
    items = [(r.label, r.received, r.shown_received) for r in rows]
    return {
        "id": section_id,
        "title": title,
        "column": column,
        "rows": rows,
        "chart": bar_chart(f"grafik-{section_id}", title, items),
    }


async def _stats(
    request: Request, session: DbSession, db: AppDatabase, tahun: str | None
) -> service.PublicStats:
    calendar = await current_calendar(session, request.app.state.ctx)
    year = service.parse_year(tahun, calendar.local_date(utcnow()))
    return await service.public_stats(session, db, calendar, year)


@router.get(
    "/statistik", response_class=HTMLResponse, summary="Public statistics page (Bahasa Indonesia)"
)
async def statistik(
    request: Request,
    session: DbSession,
    db: AppDatabase,
    tahun: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    stats = await _stats(request, session, db, tahun)
    evaluations = [
        {
            "href": f"/statistik/evaluasi/{e.year}-{e.semester}",
            "label": semester_label(e.year, e.semester),
        }
        for e in await published_evaluations.published(session)
    ]
    this_year = utcnow().year
    html = templates.get_template("statistik.html").render(
        css_url=CSS_URL,
        s=stats,
        years=list(range(this_year, this_year - YEARS_SHOWN, -1)),
        sections=[
            _section("kategori", "Pengaduan per kategori", "Kategori", stats.by_category),
            _section("opd", "Pengaduan per perangkat daerah", "Perangkat daerah", stats.by_opd),
            _section("kecamatan", "Pengaduan per kecamatan", "Kecamatan", stats.by_kecamatan),
            _section("bulan", "Pengaduan per bulan", "Bulan", stats.by_month),
        ],
        pct=_pct,
        days=_days,
        confidential=service.CONFIDENTIAL_LABEL,
        suppressed=service.SUPPRESSED,
        evaluations=evaluations,
    )
    return html_page(html)


@router.get("/statistik/data.csv", summary="Open data: the public statistics as CSV")
async def open_data(
    request: Request,
    session: DbSession,
    db: AppDatabase,
    tahun: Annotated[str | None, Query()] = None,
) -> Response:
    stats = await _stats(request, session, db, tahun)
    body = to_csv(service.open_data_rows(stats), service.OPEN_DATA_COLUMNS)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="statistik-pengaduan-{stats.year}.csv"'
        },
    )


async def _published(session: DbSession, ref: str) -> dict:
    """A published evaluation by ``YYYY-S`` (422 for a malformed reference, 404 if unpublished)."""
    year, _, semester = ref.partition("-")
    if not (year.isdigit() and len(year) == 4 and semester in ("1", "2")):
        raise Unprocessable(
            f"evaluasi harus ditulis TAHUN-SEMESTER, misalnya 2026-1; bukan {ref!r}",
            code="invalid_semester",
        )
    row = await published_evaluations.get_published(session, int(year), int(semester))
    if row is None:
        raise NotFound(
            f"evaluasi {semester_label(int(year), int(semester))} belum diterbitkan",
            code="evaluation_not_published",
        )
    return row.figures


@router.get(
    "/statistik/evaluasi/{ref}",
    response_class=HTMLResponse,
    summary="A published semester evaluation (public, aggregates only)",
)
async def published_evaluation(ref: str, session: DbSession) -> HTMLResponse:
    figures = await _published(session, ref)
    return html_page(
        evaluation_rendering.render_html(figures, f"/statistik/evaluasi/{ref}/data.csv")
    )


@router.get("/statistik/evaluasi/{ref}/data.csv", summary="A published semester evaluation as CSV")
async def published_evaluation_csv(ref: str, session: DbSession) -> Response:
    figures = await _published(session, ref)
    return evaluation_rendering.file_response(figures, "csv", f"evaluasi-pengaduan-{ref}")
