"""The cold tally's PostgreSQL statement (``services/sla/reports/fast_tally.py``) gives the
rows of the plain statement (``repository.tally_select``), unit by unit, on the same cases:
months and days, every OPD, cases answered and not, dates outside the working-day index,
met and breached clocks. (On SQLite the cache uses the plain statement itself.)"""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from sqlalchemy import delete

from services.sla.reports import cache, fast_tally
from services.sla.reports.repository import Period
from services.sla.reports.workdays import ensure_index, rebuild_index
from shared.auth import SYSTEM
from shared.calendar import WorkingCalendar
from shared.models import utcnow
from shared.models.reporting import WorkingDayIndex
from tests.reporting.factories import add_cases, make_case
from tests.reporting.test_report_cache import SPAN_DAYS, clocks_for, scenario

WIB = ZoneInfo("Asia/Jakarta")
CAL = WorkingCalendar("Asia/Jakarta")
OFFSET = 420


async def _both(db, span: Period, months: bool) -> tuple[list, list]:
    async with db.session() as session:
        plain = await cache.plain_unit_tally(session, span, OFFSET, months=months)
        if session.get_bind().dialect.name == "postgresql":
            fast = await fast_tally.unit_rows(session, span, SYSTEM, OFFSET, months=months)
        else:
            fast = await cache.unit_tally(session, span, OFFSET, months=months)
    return sorted(plain, key=repr), sorted(fast, key=repr)


async def _seeded(db, seed: int) -> tuple[dt.date, dt.date]:
    """The scenario's cases and clocks (drawn from ``seed``): (first day of the span, today)."""
    now = utcnow()
    rng = random.Random(seed)
    cases = await add_cases(db, scenario(now, rng))
    await add_cases(db, clocks_for(cases, rng))
    today = now.astimezone(WIB).date()
    return today - dt.timedelta(days=SPAN_DAYS), today


async def test_the_fast_tally_is_the_plain_tally(db) -> None:
    first, today = await _seeded(db, 20261203)
    await ensure_index(db, CAL, first, today)
    span = Period.of_days(first, today, WIB)
    for months in (True, False):
        plain, fast = await _both(db, span, months)
        assert plain and fast == plain, months


async def test_dates_outside_the_index_are_no_duration_in_both(db) -> None:
    received = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
    await add_cases(
        db,
        [
            make_case(
                received,
                opd="PUPR",
                status="resolved",
                first_response_at=received + dt.timedelta(days=3),
                resolved_at=dt.datetime(2026, 6, 1, 2, tzinfo=dt.UTC),
            )
        ],
    )
    async with db.session() as session:  # an index ending before the resolution
        await session.execute(delete(WorkingDayIndex))
        await rebuild_index(session, CAL, dt.date(2026, 2, 1), dt.date(2026, 4, 30))
    span = Period.of_days(dt.date(2026, 3, 1), dt.date(2026, 3, 31), WIB)
    for months in (True, False):
        plain, fast = await _both(db, span, months)
        assert fast == plain
        assert plain[0][3] is None and plain[0][2] is not None


def _month_units(first: dt.date, last: dt.date) -> list[cache.Unit]:
    units, day = [], first.replace(day=1)
    while day <= last:
        end = cache._month_end(day)
        units.append(cache.Unit(day, end))
        day = end + dt.timedelta(days=1)
    return units


async def test_a_long_run_tallied_in_halves_is_the_one_tally(db, monkeypatch) -> None:
    """The halves of a long run (PostgreSQL, side by side on the side pool) added together
    are the run's one tally: a month cut by the middle day comes out once, its counts whole."""
    first, today = await _seeded(db, 20261204)
    await ensure_index(db, CAL, first.replace(day=1), cache._month_end(today))
    monkeypatch.setattr(cache, "SPLIT_FROM_DAYS", 20)
    month_run = _month_units(first, today)
    day_run = [
        cache.Unit(first + dt.timedelta(days=i), first + dt.timedelta(days=i)) for i in range(40)
    ]
    for run in (month_run, day_run):
        assert len(cache._halves(run[0].first_day, run[-1].last_day)) == 2
        span = Period.of_days(run[0].first_day, run[-1].last_day, WIB)
        months = run[0].whole_month
        async with db.session() as session:
            halves = await cache._run_tally(session, db, run, WIB, OFFSET)
            plain = await cache.plain_unit_tally(session, span, OFFSET, months=months)
        assert plain
        assert sorted(halves, key=repr) == sorted(plain, key=repr), months
