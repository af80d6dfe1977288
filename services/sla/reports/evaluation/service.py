"""The semester evaluation's rules (Perbup: the complaint service is evaluated every six
months): which semester, its figures against the one before, and the public snapshot.

Built from the performance summary (``services.sla.reports.service.summary``) — the same
figures, the same SQL — for one semester and the one before it: counts, causes by
category, per-OPD performance and satisfaction, SLA breaches and the trend (delta per
figure). Publishing stores a snapshot of aggregates only in ``published_evaluations`` for
``/statistik``: rahasia cases' category and kecamatan are masked, kecamatan counts below
3 and satisfaction from fewer than 3 ratings are suppressed, exactly as on ``/statistik``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.sla.public.service import public_rows
from services.sla.reports import repository as reports
from services.sla.reports import service as summary_service
from services.sla.reports.service import ReportPeriod
from shared.auth import SYSTEM, Actor
from shared.calendar import WorkingCalendar
from shared.db import Database
from shared.errors import Unprocessable
from shared.events import emit
from shared.models import utcnow
from shared.models.reporting import PublishedEvaluation

from . import repository
from .schemas import (
    FIGURES,
    FIRST_YEAR,
    MIN_PUBLIC_RATINGS,
    RATINGS,
    SUPPRESSED,
    TREND,
    UNKNOWN_LABEL,
)

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
    report = await summary_service.summary(session, db, calendar, actor, period, group_by)
    utc = period.as_utc(calendar)
    dist = await repository.rating_distribution(session, utc, actor, group_by)
    total_dist = (await repository.rating_distribution(session, utc, actor, None)).get("all")
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
    ev = await evaluation(session, db, calendar, SYSTEM, year, semester)
    period = semester_period(year, semester)
    offset = await summary_service.prepare(db, calendar, period)

    async def masked(group_by: str, suppress: bool) -> list[dict[str, Any]]:
        groups = await summary_service.figures(
            session, db, calendar, SYSTEM, period, group_by, offset, mask_confidential=True
        )
        names = await reports.reference_names(session, group_by)
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
    row = await repository.published_row(session, year, semester)
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
