"""Working days in SQL: the local-date expressions and the ``working_day_index`` they join.

A report wants "working days from receipt to first response" for every case of a period,
averaged and with a median, over up to a million cases. Calling the calendar per case in
Python would mean loading every row; instead each local date maps to its cumulative
working-day count (``working_day_index.ordinal``) and a duration is a subtraction in SQL —
the same definition as ``WorkingCalendar.working_days_between`` (start's date excluded,
end's date included), so the SQL and the library cannot disagree.

Local dates use the deployment's fixed UTC offset on both backends (Indonesian zones — WIB,
WITA, WIT — have had no daylight saving since the 1960s), so SQLite and PostgreSQL put every
moment on the same day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from importlib.metadata import version

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Date, String

from shared.calendar import WorkingCalendar
from shared.db import Database
from shared.models.reporting import WorkingDayIndex, WorkingDayIndexState

#: Years the index covers before/after today by default; a report period extends it.
INDEX_YEARS_BACK = 6
INDEX_YEARS_AHEAD = 1
_STATE_ID = 1
_INSERT_BATCH = 1000


def utc_offset_minutes(calendar: WorkingCalendar, when: dt.datetime | None = None) -> int:
    """The zone's offset from UTC in minutes (420 for WIB)."""
    moment = when or dt.datetime.now(dt.UTC)
    offset = moment.astimezone(calendar.tz).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


class local_date(FunctionElement):
    """The local date of a UTC timestamp column, given the zone's offset in minutes."""

    type = Date()
    inherit_cache = True

    def __init__(self, column: ColumnElement, offset_minutes: int) -> None:
        self.offset_minutes = int(offset_minutes)
        super().__init__(column)


class local_month(FunctionElement):
    """``YYYY-MM`` of a UTC timestamp column's local date."""

    type = String()
    inherit_cache = True

    def __init__(self, column: ColumnElement, offset_minutes: int) -> None:
        self.offset_minutes = int(offset_minutes)
        super().__init__(column)


@compiles(local_date, "sqlite")
def _local_date_sqlite(element: local_date, compiler, **kw) -> str:
    (column,) = element.clauses
    return f"date({compiler.process(column, **kw)}, '{element.offset_minutes:+d} minutes')"


@compiles(local_date, "postgresql")
def _local_date_pg(element: local_date, compiler, **kw) -> str:
    (column,) = element.clauses
    return (
        f"CAST(({compiler.process(column, **kw)} AT TIME ZONE 'UTC') "
        f"+ INTERVAL '{element.offset_minutes} minutes' AS DATE)"
    )


@compiles(local_month, "sqlite")
def _local_month_sqlite(element: local_month, compiler, **kw) -> str:
    (column,) = element.clauses
    return f"strftime('%Y-%m', {compiler.process(column, **kw)}, '{element.offset_minutes:+d} minutes')"


@compiles(local_month, "postgresql")
def _local_month_pg(element: local_month, compiler, **kw) -> str:
    (column,) = element.clauses
    return (
        f"to_char(({compiler.process(column, **kw)} AT TIME ZONE 'UTC') "
        f"+ INTERVAL '{element.offset_minutes} minutes', 'YYYY-MM')"
    )


# -- the index -----------------------------------------------------------------------------------


def calendar_fingerprint(calendar: WorkingCalendar) -> str:
    """Changes whenever a day's status may change: zone, region, overrides, holiday data."""
    parts = [calendar.tz.key, calendar.region, version("holidays")]
    parts += [f"{o.date.isoformat()}:{o.kind}" for o in calendar.overrides]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def index_rows(calendar: WorkingCalendar, first_day: dt.date, last_day: dt.date) -> list[dict]:
    """``{day, ordinal}`` for every day of the range (cumulative working days, inclusive)."""
    rows, count, day = [], 0, first_day
    while day <= last_day:
        if calendar.is_working_day(day):
            count += 1
        rows.append({"day": day, "ordinal": count})
        day += dt.timedelta(days=1)
    return rows


def default_range(
    calendar: WorkingCalendar, today: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    today = today or calendar.local_date(dt.datetime.now(dt.UTC))
    return dt.date(today.year - INDEX_YEARS_BACK, 1, 1), dt.date(
        today.year + INDEX_YEARS_AHEAD, 12, 31
    )


async def index_covers(
    session: AsyncSession, calendar: WorkingCalendar, first_day: dt.date, last_day: dt.date
) -> bool:
    state = await session.get(WorkingDayIndexState, _STATE_ID)
    return (
        state is not None
        and state.fingerprint == calendar_fingerprint(calendar)
        and state.first_day <= first_day
        and state.last_day >= last_day
    )


async def rebuild_index(
    session: AsyncSession, calendar: WorkingCalendar, first_day: dt.date, last_day: dt.date
) -> None:
    """Replace the index with ``first_day..last_day`` of ``calendar`` (a few thousand rows)."""
    await session.execute(delete(WorkingDayIndex))
    rows = index_rows(calendar, first_day, last_day)
    for start in range(0, len(rows), _INSERT_BATCH):
        await session.execute(insert(WorkingDayIndex), rows[start : start + _INSERT_BATCH])
    state = await session.get(WorkingDayIndexState, _STATE_ID)
    if state is None:
        state = WorkingDayIndexState(
            id=_STATE_ID, fingerprint="", first_day=first_day, last_day=last_day
        )
        session.add(state)
    state.fingerprint = calendar_fingerprint(calendar)
    state.first_day, state.last_day = first_day, last_day
    await session.flush()


async def ensure_index(
    db: Database, calendar: WorkingCalendar, first_day: dt.date, last_day: dt.date
) -> None:
    """Make the index cover ``first_day..last_day`` for ``calendar``, in its own transaction
    (so a report's read-only session never carries the rebuild). Two processes rebuilding at
    once: one wins the state row's key, the other finds the index ready afterwards."""
    async with db.session() as session:
        if await index_covers(session, calendar, first_day, last_day):
            return
    lo, hi = default_range(calendar)
    lo, hi = min(lo, first_day), max(hi, last_day)
    try:
        async with db.session() as session:
            await rebuild_index(session, calendar, lo, hi)
    except IntegrityError:
        async with db.session() as session:
            if not await index_covers(session, calendar, first_day, last_day):
                raise


def working_day_alias():
    from sqlalchemy.orm import aliased

    return aliased(WorkingDayIndex)


__all__ = [
    "calendar_fingerprint",
    "default_range",
    "ensure_index",
    "index_rows",
    "local_date",
    "local_month",
    "rebuild_index",
    "utc_offset_minutes",
    "working_day_alias",
]
