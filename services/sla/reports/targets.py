"""Yearly targets of the local action plan (rencana aksi: number received, % resolved) and
the year's actual figures to date. Setting a target is audited (event ``report.target_set``,
subject ``target``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import SYSTEM, Actor
from shared.calendar import WorkingCalendar
from shared.db import Database
from shared.errors import Unprocessable
from shared.events import emit
from shared.models import utcnow
from shared.models.reporting import ReportTarget

from .schemas import Actual, TargetIn, TargetOut, TargetProgress
from .service import ReportPeriod, figures, prepare

FIRST_TARGET_YEAR = 2000
MAX_YEARS_AHEAD = 5


def check_year(year: int, today: dt.date) -> int:
    if not FIRST_TARGET_YEAR <= year <= today.year + MAX_YEARS_AHEAD:
        raise Unprocessable(
            f"year must be between {FIRST_TARGET_YEAR} and {today.year + MAX_YEARS_AHEAD}",
            code="invalid_year",
        )
    return year


def _out(row: ReportTarget) -> TargetOut:
    return TargetOut(
        year=row.year, received=row.received, resolved_pct=row.resolved_pct, note=row.note
    )


async def set_target(session: AsyncSession, year: int, body: TargetIn, actor: Actor) -> TargetOut:
    row = await session.get(ReportTarget, year)
    before = _out(row).model_dump() if row else None
    if row is None:
        row = ReportTarget(year=year)
        session.add(row)
    row.received, row.resolved_pct, row.note = body.received, body.resolved_pct, body.note
    row.updated_by = actor.name
    await session.flush()
    after = _out(row)
    await emit(
        session,
        "report.target_set",
        actor,
        subject_type="target",
        subject_id=str(year),
        data={"before": before, "after": after.model_dump()},
    )
    return after


async def progress(
    session: AsyncSession, db: Database, calendar: WorkingCalendar, year: int
) -> TargetProgress:
    today = calendar.local_date(utcnow())
    last = min(dt.date(year, 12, 31), today)
    row = await session.get(ReportTarget, year)
    target = _out(row) if row else None
    if last < dt.date(year, 1, 1):  # a future year: nothing counted yet
        actual = Actual(received=0, resolved=0, resolved_pct=None, as_of=today.isoformat())
    else:
        period = ReportPeriod(dt.date(year, 1, 1), last)
        offset = await prepare(db, calendar, period)
        groups = await figures(session, db, calendar, SYSTEM, period, None, offset)
        fig = groups.get("all")
        received, resolved = (fig.received, fig.resolved) if fig else (0, 0)
        pct = round(100 * resolved / received, 1) if received else None
        actual = Actual(
            received=received, resolved=resolved, resolved_pct=pct, as_of=last.isoformat()
        )
    received_pct = None
    if target and target.received:
        received_pct = round(100 * actual.received / target.received, 1)
    gap = None
    if target and target.resolved_pct is not None and actual.resolved_pct is not None:
        gap = round(actual.resolved_pct - target.resolved_pct, 1)
    return TargetProgress(
        year=year,
        target=target,
        actual=actual,
        received_pct_of_target=received_pct,
        resolved_pct_gap=gap,
    )
