"""The report figure cache: the tally of settled days, per OPD, so that a year's report over a
million cases reads a few thousand rows instead of scanning the cases.

Why a cache rebuilt on demand rather than a summary table kept up to date on every change: a
summary row per day and OPD would be written by every new complaint (all of today's land in the
same row) and every SLA sweep, so intake and the sweeper would queue on its lock; and its working
days would silently go wrong when Admin Instansi adds a holiday. Here writers only append marks.

Units. A unit is a closed local month, or one local day of a month still open; its rows are
exactly :func:`repository.tally_select` over its cases grouped by OPD (``report_cache_figures``),
counted with one calendar (``fingerprint``). A report covers its period with settled units (the
unit's last day ended :data:`SETTLE` ago) and tallies the other days live from ``cases``.

Staleness. Triggers (migration 0009) append a ``report_stale_marks`` row with the case's
``received_at`` in the same transaction as any change to a cached figure's input (the case's
OPD, status, dates or rating; a resolution clock met, a clock breached), for cases received
more than :data:`MARK_AFTER` ago — younger ones lie in days that are not cached yet. A unit with
a mark in its days, or counted with another calendar, is rebuilt before use. A rebuild deletes
its days' marks *first* and tallies the cases after, so a change that commits meanwhile leaves
its mark and is picked up next time; a change missed entirely would have to stay uncommitted
from before ``MARK_AFTER`` until after ``SETTLE``, i.e. a transaction open for five hours.

Readers. Unit rows are never updated: a rebuild deletes the old unit — and any unit overlapping
its days, whose staleness might have rested on the marks it consumed — and inserts a new one
under a new id. A reader picks fresh ids, reads their rows, then checks every id is still there
(else it starts over), so it never mixes a half-replaced unit into a report.
"""

from __future__ import annotations

import asyncio
import calendar as monthlen
import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, exists, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import SYSTEM, Actor
from shared.calendar import WorkingCalendar
from shared.cases.access import opd_limit
from shared.db import Database
from shared.models import Case, utcnow
from shared.models.reporting import ReportCacheFigures, ReportCacheUnit, ReportStaleMark

from . import fast_tally
from .repository import COUNTS, GroupFigures, Period, fold, tally, tally_select
from .workdays import calendar_fingerprint, local_date, local_month

#: Changes to cases received less than this long ago are not marked (migration 0009's triggers).
MARK_AFTER = dt.timedelta(hours=1)
#: A day is cached only once it ended this long ago (local time).
SETTLE = dt.timedelta(hours=6)
#: Bump when what a unit holds changes, so units of the old format are rebuilt.
FORMAT = "1"
#: The groupings the cache answers (its rows are per OPD; a month and the total add them up).
GROUPS = (None, "opd", "month")
#: How often a reader starts over when units are replaced under it before tallying live.
ATTEMPTS = 3
#: ``pg_advisory_xact_lock`` key serialising rebuilds (SQLite: its write lock does).
_REBUILD_LOCK = 0x51_0009


@dataclass(frozen=True)
class Unit:
    first_day: dt.date
    last_day: dt.date

    @property
    def month(self) -> str:
        return self.first_day.strftime("%Y-%m")

    @property
    def whole_month(self) -> bool:
        return self.first_day != self.last_day


@dataclass
class Plan:
    """A period as settled units plus the spans (first, last day) to tally live."""

    units: list[Unit]
    live: list[tuple[dt.date, dt.date]]


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=monthlen.monthrange(day.year, day.month)[1])


def settled_through(now: dt.datetime, tz: dt.tzinfo) -> dt.date:
    """The last local day that ended at least :data:`SETTLE` before ``now``."""
    return (now.astimezone(tz) - SETTLE).date() - dt.timedelta(days=1)


def plan(first_day: dt.date, last_day: dt.date, settled: dt.date) -> Plan:
    """Closed months wholly inside the period as month units; settled days of a month still
    open as day units; everything else (the unsettled days, part of a closed month) live."""
    units: list[Unit] = []
    live: list[tuple[dt.date, dt.date]] = []
    day = first_day
    while day <= last_day:
        month_first, month_last = day.replace(day=1), _month_end(day)
        if month_last <= settled:  # a closed month: whole or not at all
            if day == month_first and month_last <= last_day:
                units.append(Unit(month_first, month_last))
                day = month_last + dt.timedelta(days=1)
                continue
            span_end = min(month_last, last_day)
        elif day <= settled:
            units.append(Unit(day, day))
            day += dt.timedelta(days=1)
            continue
        else:
            span_end = min(month_last, last_day)
        if live and live[-1][1] + dt.timedelta(days=1) == day:
            live[-1] = (live[-1][0], span_end)
        else:
            live.append((day, span_end))
        day = span_end + dt.timedelta(days=1)
    return Plan(units, live)


def fingerprint(calendar: WorkingCalendar) -> str:
    return hashlib.sha256(f"{FORMAT}|{calendar_fingerprint(calendar)}".encode()).hexdigest()


# -- reading -------------------------------------------------------------------------------------


async def _fresh(
    session: AsyncSession, units: Sequence[Unit], stamp: str, tz: dt.tzinfo
) -> dict[Unit, int]:
    """The ids of the wanted units that exist for this calendar and have no stale mark."""
    if not units:
        return {}
    u = ReportCacheUnit
    marked = exists().where(
        ReportStaleMark.received_at >= u.starts_at, ReportStaleMark.received_at < u.ends_at
    )
    stmt = select(u.id, u.first_day, u.last_day, u.starts_at, u.ends_at).where(
        u.first_day >= units[0].first_day,
        u.last_day <= units[-1].last_day,
        u.fingerprint == stamp,
        ~marked,
    )
    wanted = set(units)
    out: dict[Unit, int] = {}
    for unit_id, first, last, starts, ends in (await session.execute(stmt)).all():
        unit = Unit(first, last)
        span = Period.of_days(first, last, tz)
        if unit in wanted and (starts, ends) == (span.start, span.end):
            out[unit] = unit_id
    return out


async def _read(
    session: AsyncSession, ids: Iterable[int], group_by: str | None, actor: Actor
) -> list[tuple]:
    ids = list(ids)
    if not ids:
        return []
    f, u = ReportCacheFigures, ReportCacheUnit
    keys = {None: [], "opd": [f.opd_code], "month": [u.month]}[group_by]
    stmt = (
        select(*keys, f.response_wd, f.resolution_wd, *(func.sum(getattr(f, c)) for c in COUNTS))
        .select_from(f)
        .where(f.unit_id.in_(ids))
        .group_by(*keys, f.response_wd, f.resolution_wd)
    )
    if group_by == "month":
        stmt = stmt.join(u, u.id == f.unit_id)
    limited, code = opd_limit(actor)
    if limited:  # the same rule as access.owned_conditions, on the cached OPD column
        stmt = stmt.where(f.opd_code == code)
    rows = (await session.execute(stmt)).all()
    return [("all", *row) for row in rows] if group_by is None else list(rows)


async def _still_there(session: AsyncSession, ids: Sequence[int]) -> bool:
    if not ids:
        return True
    stmt = select(func.count()).where(ReportCacheUnit.id.in_(list(ids)))
    return (await session.execute(stmt)).scalar_one() == len(ids)


# -- rebuilding ----------------------------------------------------------------------------------


def _runs(units: Sequence[Unit]) -> list[list[Unit]]:
    """Consecutive units of one kind, each rebuilt with one range scan."""
    runs: list[list[Unit]] = []
    for unit in units:
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and last.whole_month == unit.whole_month
            and last.last_day + dt.timedelta(days=1) == unit.first_day
        ):
            runs[-1].append(unit)
        else:
            runs.append([unit])
    return runs


async def _rebuild(
    db: Database, units: Sequence[Unit], stamp: str, tz: dt.tzinfo, offset: int
) -> dict[Unit, int]:
    """Rebuild ``units`` (sorted) in one transaction holding the rebuild lock, skipping those
    another process rebuilt while we waited for it (reports arriving together after a
    holiday override build the cache once, not once each)."""
    async with db.session() as session:
        if db.is_sqlite:  # the write lock now, so the check below sees the last rebuild
            await session.execute(text("BEGIN IMMEDIATE"))
        else:
            await session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _REBUILD_LOCK}
            )
        ids = await _fresh(session, units, stamp, tz)
        for run in _runs([u for u in units if u not in ids]):
            ids |= await _rebuild_run(session, run, stamp, tz, offset, db)
    return ids


async def _rebuild_run(
    session: AsyncSession,
    run: Sequence[Unit],
    stamp: str,
    tz: dt.tzinfo,
    offset: int,
    db: Database,
) -> dict[Unit, int]:
    """Replace the consecutive units of ``run`` (and any unit overlapping their days) with a
    fresh tally: one range scan over the cases (a long run of months: two, side by side),
    grouped by unit and OPD."""
    span = Period.of_days(run[0].first_day, run[-1].last_day, tz)
    first, last = run[0].first_day, run[-1].last_day
    # Marks first, cases after: a change committing in between keeps its mark.
    await session.execute(
        delete(ReportStaleMark).where(
            ReportStaleMark.received_at >= span.start, ReportStaleMark.received_at < span.end
        )
    )
    overlapping = select(ReportCacheUnit.id).where(
        ReportCacheUnit.first_day <= last, ReportCacheUnit.last_day >= first
    )
    await session.execute(
        delete(ReportCacheFigures).where(ReportCacheFigures.unit_id.in_(overlapping))
    )
    await session.execute(
        delete(ReportCacheUnit).where(
            ReportCacheUnit.first_day <= last, ReportCacheUnit.last_day >= first
        )
    )
    ids: dict[Unit, int] = {}
    for unit in run:
        unit_span = Period.of_days(unit.first_day, unit.last_day, tz)
        ids[unit] = (
            await session.execute(
                insert(ReportCacheUnit)
                .values(
                    first_day=unit.first_day,
                    last_day=unit.last_day,
                    month=unit.month,
                    starts_at=unit_span.start,
                    ends_at=unit_span.end,
                    fingerprint=stamp,
                    built_at=utcnow(),
                )
                .returning(ReportCacheUnit.id)
            )
        ).scalar_one()
    by_key = {(u.month if u.whole_month else u.first_day): ids[u] for u in run}
    if tallied := await _run_tally(session, db, run, tz, offset):
        keys, *columns = zip(*tallied, strict=True)
        names = ("opd_code", "response_wd", "resolution_wd", *COUNTS)
        figures = {
            "unit_id": [by_key[key] for key in keys],
            **dict(zip(names, columns, strict=True)),
        }
        await _insert_figures(session, figures)
    return ids


async def _insert_figures(session: AsyncSession, columns: dict[str, Sequence]) -> None:
    """A year's figures (~13k rows over a million cases) by one ``COPY`` on PostgreSQL, in
    the rebuild's transaction (~50 ms where an executemany took 150-250 ms and an insert of
    arrays 150 ms); elsewhere Core's executemany, one statement shape for all rows."""
    table = ReportCacheFigures.__table__
    if session.get_bind().dialect.name != "postgresql":
        rows = [
            dict(zip(columns, values, strict=True))
            for values in zip(*columns.values(), strict=True)
        ]
        await session.execute(insert(table), rows)
        return
    raw = await (await session.connection()).get_raw_connection()
    await raw.driver_connection.copy_records_to_table(
        table.name, records=list(zip(*columns.values(), strict=True)), columns=list(columns)
    )


#: A run of units spanning this many days or more is tallied in two halves at once on
#: PostgreSQL, each on a connection of the side pool (``Database.side_session``): one
#: statement aggregates in one process (its groups cannot be estimated, so PostgreSQL makes
#: no partial aggregates), the halves in two. ``docs/performance.md`` ("report_cold_1m_s").
SPLIT_FROM_DAYS = 90


def _halves(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The days split in two at the middle day (a month's rows may then come from both)."""
    if (last - first).days + 1 < SPLIT_FROM_DAYS:
        return [(first, last)]
    middle = first + (last - first) / 2
    return [(first, middle), (middle + dt.timedelta(days=1), last)]


def _added(parts: Iterable[list[tuple]]) -> list[tuple]:
    """Rows of the same unit, OPD and durations from several parts, their counts added."""
    out: dict[tuple, list[int]] = {}
    for rows in parts:
        for key, opd, response_wd, resolution_wd, *counts in rows:
            group = (key, opd, response_wd, resolution_wd)
            if (seen := out.get(group)) is None:
                out[group] = [int(v or 0) for v in counts]
            else:
                for i, v in enumerate(counts):
                    seen[i] += int(v or 0)
    return [(*group, *counts) for group, counts in out.items()]


async def _run_tally(
    session: AsyncSession, db: Database, run: Sequence[Unit], tz: dt.tzinfo, offset: int
) -> list[tuple]:
    """:func:`unit_tally` over ``run``'s days; on PostgreSQL a long run in two halves side by
    side, their rows added. The halves' statements begin after the rebuild took its marks
    away, as the one statement would, so a change committing in between keeps its mark."""
    months = run[0].whole_month
    days = _halves(run[0].first_day, run[-1].last_day)
    if db.is_sqlite or len(days) == 1:
        span = Period.of_days(run[0].first_day, run[-1].last_day, tz)
        return await unit_tally(session, span, offset, months=months)

    async def part(first: dt.date, last: dt.date) -> list[tuple]:
        async with db.side_session() as side:
            span = Period.of_days(first, last, tz)
            return await fast_tally.unit_rows(
                side, span, SYSTEM, offset, months=months, workers=False
            )

    return _added(await asyncio.gather(*(part(first, last) for first, last in days)))


async def unit_tally(
    session: AsyncSession, span: Period, offset: int, *, months: bool
) -> list[tuple]:
    """Every case of ``span`` tallied per unit (month or day) and OPD: on PostgreSQL the
    faster statement of ``fast_tally.py``, elsewhere :func:`repository.tally_select`."""
    if session.get_bind().dialect.name == "postgresql":
        return await fast_tally.unit_rows(session, span, SYSTEM, offset, months=months)
    return await plain_unit_tally(session, span, offset, months=months)


async def plain_unit_tally(
    session: AsyncSession, span: Period, offset: int, *, months: bool
) -> list[tuple]:
    unit_key = (
        local_month(Case.received_at, offset) if months else local_date(Case.received_at, offset)
    )
    stmt = tally_select([unit_key, Case.opd_code], span, SYSTEM, offset)
    return [tuple(row) for row in (await session.execute(stmt)).all()]


# -- the figures ---------------------------------------------------------------------------------


async def figures(
    session: AsyncSession,
    db: Database,
    calendar: WorkingCalendar,
    actor: Actor,
    first_day: dt.date,
    last_day: dt.date,
    group_by: str | None,
    offset: int,
) -> dict[str | None, GroupFigures]:
    """Every figure per group (one of :data:`GROUPS`) for the cases received from ``first_day``
    to ``last_day`` that ``actor`` may count: settled units from the cache, the rest live.
    The working-day index must already cover the period (``service.prepare``)."""
    tz, stamp = calendar.tz, fingerprint(calendar)
    layout = plan(first_day, last_day, settled_through(utcnow(), tz))
    for _ in range(ATTEMPTS):
        ids = await _fresh(session, layout.units, stamp, tz)
        if missing := [u for u in layout.units if u not in ids]:
            ids |= await _rebuild(db, missing, stamp, tz, offset)
        rows = await _read(session, ids.values(), group_by, actor)
        if await _still_there(session, list(ids.values())):
            break
    else:  # units kept being replaced under us: count everything live this time
        layout = Plan([], [(first_day, last_day)])
        rows = []
    groups = fold(rows)
    for first, last in layout.live:
        for key, live in (
            await tally(session, Period.of_days(first, last, tz), actor, group_by, offset)
        ).items():
            groups.setdefault(key, GroupFigures(key=key)).merge(live)
    return groups


__all__ = ["ATTEMPTS", "GROUPS", "MARK_AFTER", "SETTLE", "Plan", "Unit", "figures", "plan"]
