"""The semester evaluation (Perbup: the complaint service is evaluated every six months).

Built from the performance summary (:func:`service.summary`) — the same figures, the same
SQL — for one semester and the one before it: counts, causes by category, per-OPD
performance and satisfaction, SLA breaches and the trend (delta per figure). Only the
rating distribution is counted here, as it is a figure the summary does not carry.

Publishing stores a snapshot of aggregates only in ``published_evaluations`` for
``/statistik``: rahasia cases' category and kecamatan are masked, kecamatan counts below 3
and satisfaction from fewer than 3 ratings are suppressed, exactly as on ``/statistik``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.sla.calendar.service import current_calendar
from shared.auth import SYSTEM, Actor, require_roles
from shared.calendar import WorkingCalendar
from shared.cases.access import owned_conditions
from shared.db import Database
from shared.deps import AppDatabase, DbSession
from shared.errors import Unprocessable
from shared.events import emit
from shared.lifecycle import Role
from shared.models import Case, utcnow
from shared.models.reporting import PublishedEvaluation

from . import export, repository, service
from .repository import Period
from .service import ReportPeriod

FIRST_YEAR = 2000
FORMATS = ("html", "csv", "xlsx")
RATINGS = (1, 2, 3, 4, 5)
#: Fewer ratings than this are not shown publicly (one rating can point at a person).
MIN_PUBLIC_RATINGS = 3
SUPPRESSED = f"<{MIN_PUBLIC_RATINGS}"
UNKNOWN_LABEL = "Tidak diketahui"
#: The figures of every evaluation row, in the order CSV/XLSX files carry them.
FIGURES = (
    "received",
    "resolved",
    "resolved_pct",
    "resolved_within_deadline",
    "resolved_within_deadline_pct",
    "breaches",
    "avg_wd_to_first_response",
    "avg_wd_to_resolution",
    "satisfaction_avg",
    "ratings",
    *(f"rating_{r}" for r in RATINGS),
)
EXPORT_COLUMNS = ("section", "key", "label", *FIGURES)
#: Figures whose change against the previous semester is shown.
TREND = FIGURES[:10]


# --- periods -------------------------------------------------------------------------------


def semester_period(year: int, semester: int) -> ReportPeriod:
    if semester == 1:
        return ReportPeriod(dt.date(year, 1, 1), dt.date(year, 6, 30))
    return ReportPeriod(dt.date(year, 7, 1), dt.date(year, 12, 31))


def previous_semester(year: int, semester: int) -> tuple[int, int]:
    return (year, 1) if semester == 2 else (year - 1, 2)


def semester_label(year: int, semester: int) -> str:
    return f"Semester {'I' if semester == 1 else 'II'} {year}"


def parse_semester(raw_year: Any, raw_semester: Any, today: dt.date) -> tuple[int, int]:
    """``year``/``semester`` as asked, or 422 saying why (a semester that has not begun yet
    has nothing to evaluate)."""
    year_s, sem_s = str(raw_year or "").strip(), str(raw_semester or "").strip()
    if not year_s.isdigit() or not FIRST_YEAR <= int(year_s) <= today.year:
        raise Unprocessable(
            f"year must be a number from {FIRST_YEAR} to {today.year}, got {raw_year!r}",
            code="invalid_year",
        )
    if sem_s not in ("1", "2"):
        raise Unprocessable(
            f"semester must be 1 or 2, got {raw_semester!r}", code="invalid_semester"
        )
    year, semester = int(year_s), int(sem_s)
    if semester_period(year, semester).first_day > today:
        raise Unprocessable(
            f"{semester_label(year, semester)} has not begun yet", code="invalid_semester"
        )
    return year, semester


# --- figures -------------------------------------------------------------------------------


async def rating_distribution(
    session: AsyncSession, period: Period, actor: Actor, group_by: str | None
) -> dict[str | None, dict[int, int]]:
    """Ratings 1–5 counted per group (``None``: one group, key ``"all"``)."""
    key = repository.group_key(group_by, 0).label("key")
    stmt = (
        select(key, Case.rating, func.count())
        .where(
            Case.received_at >= period.start,
            Case.received_at < period.end,
            Case.rating.is_not(None),
            *owned_conditions(actor),
        )
        .group_by(key, Case.rating)
    )
    out: dict[str | None, dict[int, int]] = {}
    for group, rating, count in (await session.execute(stmt)).all():
        out.setdefault(group, dict.fromkeys(RATINGS, 0))[int(rating)] = int(count)
    return out


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _row(summary_row: dict[str, Any], distribution: dict[int, int] | None) -> dict[str, Any]:
    dist = distribution or dict.fromkeys(RATINGS, 0)
    return {
        "key": summary_row["key"],
        "label": summary_row["label"] or summary_row["key"] or UNKNOWN_LABEL,
        **{f: summary_row.get(f) for f in FIGURES if f in summary_row},
        "resolved_pct": _pct(summary_row["resolved"], summary_row["received"]),
        **{f"rating_{r}": dist.get(r, 0) for r in RATINGS},
    }


def _delta(current: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in TREND:
        a, b = current.get(f), previous.get(f)
        out[f] = (
            round(a - b, 2) if isinstance(a, int | float) and isinstance(b, int | float) else None
        )
    return out


async def _semester_figures(
    session: AsyncSession,
    db: Database,
    calendar: WorkingCalendar,
    actor: Actor,
    period: ReportPeriod,
    group_by: str,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    report = await service.summary(session, db, calendar, actor, period, group_by)
    utc = period.as_utc(calendar)
    dist = await rating_distribution(session, utc, actor, group_by)
    total_dist = (await rating_distribution(session, utc, actor, None)).get("all")
    rows = [_row(r, dist.get(r["key"])) for r in report["rows"]]
    return rows, _row(report["total"] | {"label": "Total"}, total_dist)


async def evaluation(
    session: AsyncSession,
    db: Database,
    calendar: WorkingCalendar,
    actor: Actor,
    year: int,
    semester: int,
) -> dict[str, Any]:
    """Every figure of a semester, its previous semester's totals and the change."""
    period = semester_period(year, semester)
    prev_year, prev_sem = previous_semester(year, semester)
    by_opd, total = await _semester_figures(session, db, calendar, actor, period, "opd")
    by_category, _ = await _semester_figures(session, db, calendar, actor, period, "category")
    by_kecamatan, _ = await _semester_figures(session, db, calendar, actor, period, "kecamatan")
    _, previous = await _semester_figures(
        session, db, calendar, actor, semester_period(prev_year, prev_sem), "opd"
    )
    return {
        "year": year,
        "semester": semester,
        "label": semester_label(year, semester),
        "period": {"from": period.first_day.isoformat(), "to": period.last_day.isoformat()},
        "previous": {
            "year": prev_year,
            "semester": prev_sem,
            "label": semester_label(prev_year, prev_sem),
        },
        "generated_at": utcnow().isoformat(),
        "public": False,
        "total": total,
        "previous_total": previous,
        "delta": _delta(total, previous),
        "by_category": sorted(by_category, key=lambda r: (-r["received"], r["label"])),
        "by_opd": by_opd,
        "by_kecamatan": sorted(by_kecamatan, key=lambda r: (-r["received"], r["label"])),
    }


# --- the public snapshot -------------------------------------------------------------------


def _public_satisfaction(row: dict[str, Any]) -> dict[str, Any]:
    """Satisfaction from fewer than 3 ratings is not shown."""
    if (row.get("ratings") or 0) >= MIN_PUBLIC_RATINGS:
        return row
    hidden = {f"rating_{r}": None for r in RATINGS}
    shown = SUPPRESSED if row.get("ratings") else 0
    return row | hidden | {"satisfaction_avg": None, "ratings": shown}


async def public_snapshot(
    session: AsyncSession, db: Database, calendar: WorkingCalendar, year: int, semester: int
) -> dict[str, Any]:
    """The evaluation as it may be published: aggregates only; categories and kecamatan as
    ``/statistik`` shows them (rahasia masked, small kecamatan counts "<3")."""
    from services.sla.public.service import public_rows

    ev = await evaluation(session, db, calendar, SYSTEM, year, semester)
    period = semester_period(year, semester)
    offset = await service.prepare(db, calendar, period)

    async def masked(group_by: str, suppress: bool) -> list[dict[str, Any]]:
        groups = await service.figures(
            session, db, calendar, SYSTEM, period, group_by, offset, mask_confidential=True
        )
        names = await repository.reference_names(session, group_by)
        return [
            {
                "key": r.key,
                "label": r.label,
                "received": r.shown_received if r.suppressed else r.received,
                "resolved": None if r.suppressed else r.resolved,
                "resolved_pct": r.resolved_pct,
            }
            for r in public_rows(groups, names, suppress=suppress)
        ]

    total, previous = _public_satisfaction(ev["total"]), _public_satisfaction(ev["previous_total"])
    return ev | {
        "public": True,
        "total": total,
        "previous_total": previous,
        "delta": _delta(total, previous),
        "by_opd": [_public_satisfaction(r) for r in ev["by_opd"]],
        "by_category": await masked("category", False),
        "by_kecamatan": await masked("kecamatan", True),
    }


async def publish(
    session: AsyncSession,
    db: Database,
    calendar: WorkingCalendar,
    actor: Actor,
    year: int,
    semester: int,
) -> PublishedEvaluation:
    """Store (or replace) the semester's public snapshot (event ``report.evaluation_published``)."""
    figures = await public_snapshot(session, db, calendar, year, semester)
    row = (
        await session.execute(
            select(PublishedEvaluation).where(
                PublishedEvaluation.year == year, PublishedEvaluation.semester == semester
            )
        )
    ).scalar_one_or_none()
    republished = row is not None
    if row is None:
        row = PublishedEvaluation(year=year, semester=semester)
        session.add(row)
    row.figures, row.published_at, row.published_by = figures, utcnow(), actor.name
    await session.flush()
    await emit(
        session,
        "report.evaluation_published",
        actor,
        subject_type="evaluation",
        subject_id=f"{year}-{semester}",
        data={"year": year, "semester": semester, "republished": republished},
    )
    return row


async def published(session: AsyncSession) -> list[PublishedEvaluation]:
    stmt = select(PublishedEvaluation).order_by(
        PublishedEvaluation.year.desc(), PublishedEvaluation.semester.desc()
    )
    return list((await session.execute(stmt)).scalars())


async def get_published(
    session: AsyncSession, year: int, semester: int
) -> PublishedEvaluation | None:
    stmt = select(PublishedEvaluation).where(
        PublishedEvaluation.year == year, PublishedEvaluation.semester == semester
    )
    return (await session.execute(stmt)).scalar_one_or_none()


# --- rendering -----------------------------------------------------------------------------

templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)


def _num(value: Any, decimals: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    return f"{value:.{decimals}f}".replace(".", ",")


def _pct_text(value: Any) -> str:
    return "–" if value is None else _num(value) + "%"


def _delta_text(value: Any) -> str:
    if value is None:
        return "–"
    sign = "+" if value > 0 else ""
    return sign + _num(value if isinstance(value, int) else round(value, 1))


def render_html(ev: dict[str, Any], csv_href: str | None = None) -> str:
    return templates.get_template("evaluation.html").render(
        e=ev,
        num=_num,
        pct=_pct_text,
        delta=_delta_text,
        ratings=RATINGS,
        csv_href=csv_href,
        suppressed=SUPPRESSED,
    )


def export_rows(ev: dict[str, Any]) -> list[dict[str, Any]]:
    """Total, previous semester, delta, then one row per category, OPD and kecamatan."""
    rows = [
        ev["total"] | {"section": "total", "key": "", "label": ev["label"]},
        ev["previous_total"] | {"section": "previous", "key": "", "label": ev["previous"]["label"]},
        ev["delta"] | {"section": "delta", "key": "", "label": "Perubahan"},
    ]
    for section in ("category", "opd", "kecamatan"):
        rows += [r | {"section": section} for r in ev[f"by_{section}"]]
    return rows


def file_response(ev: dict[str, Any], fmt: str, name: str) -> Response:
    rows = export_rows(ev)
    if fmt == "csv":
        body, media = export.to_csv(rows, EXPORT_COLUMNS), "text/csv; charset=utf-8"
    else:
        body, media = export.to_xlsx(rows, EXPORT_COLUMNS, "Evaluasi"), XLSX_TYPE
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


# --- endpoints -----------------------------------------------------------------------------

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
router = APIRouter(prefix="/admin/reports/evaluation", tags=["reports"])
EvaluationReader = Annotated[Actor, require_roles(Role.ADMIN_INSTANSI, Role.VIEWER)]
EvaluationPublisher = Annotated[Actor, require_roles(Role.ADMIN_INSTANSI)]


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int
    semester: int


@router.get("", summary="Semester evaluation (printable HTML in Bahasa Indonesia, CSV or XLSX)")
async def get_evaluation(
    request: Request,
    session: DbSession,
    db: AppDatabase,
    actor: EvaluationReader,
    year: Annotated[str | None, Query(description="e.g. 2026")] = None,
    semester: Annotated[str | None, Query(description="1 (Jan–Jun) or 2 (Jul–Dec)")] = None,
    format: Annotated[str, Query(description="html | csv | xlsx")] = "html",  # noqa: A002
) -> Response:
    service.check_choice(format, FORMATS, "format")
    calendar = await current_calendar(session, request.app.state.ctx)
    y, s = parse_semester(year, semester, calendar.local_date(utcnow()))
    ev = await evaluation(session, db, calendar, actor, y, s)
    if format == "html":
        href = f"/admin/reports/evaluation?year={y}&semester={s}&format=csv"
        return HTMLResponse(render_html(ev, href))
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
