"""The cold tally on PostgreSQL: what :func:`repository.tally_select` computes for the report
cache's units, in a form that costs a fraction of it over a million cases.

Why: a year's report over days not cached yet tallies every case of the year once
(``cache._rebuild_run``). The plain statement joins the working-day index three times
(the receipt's, first response's and resolution's local dates), groups by a ``to_char``
month string, and its planner — unable to estimate groups of differences — sorts a
million rows on disk; with PostgreSQL's JIT on, compiling the expressions alone took
over a second. Here the index travels as one integer array (``ordinal`` by day, a few
thousand entries) and each date is a subscript into it; the unit (a month, or a day) is
an integer; the aggregation is hashed (``enable_sort`` off for the statement) and JIT is
off. Every column it reads of a case is in ``ix_cases_received_at`` (migration 0021), so
the scan is index-only; a long run is tallied in two halves at once, each on a connection
of its own (``cache._run_tally``), because the one statement's aggregation runs in one
process (the planner cannot estimate its groups, so it makes no partial aggregates).
``docs/performance.md`` ("report_cold_1m_s") has the before and after.

Same rows, same meaning: a date outside the index (or no date) is a NULL ordinal, as the
outer join gives; the counts are :func:`repository.tally_counts` over the same
:func:`repository.clock_flags`. ``tests/reporting/test_fast_tally.py`` compares both on
the same cases. SQLite (the embedded mode) keeps the plain statement.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    ColumnElement,
    Integer,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    text,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import Grouping

from shared.auth import Actor
from shared.models import Case
from shared.models.reporting import WorkingDayIndex

from .repository import Period, case_filter, clock_flags, tally_counts
from .workdays import local_date

EPOCH = dt.date(1970, 1, 1)
#: The statement's planner settings: no JIT (compiling its expressions cost more than it
#: saved), a hashed aggregation (the planner cannot estimate groups of differences and
#: chose to sort a million rows on disk), and the two workers it may use for it.
_SETTINGS = (
    "jit = off",
    "enable_sort = off",
    "parallel_setup_cost = 0",
    "parallel_tuple_cost = 0",
)


def _days(first: dt.date, n: int) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range(n)]


async def _index(session: AsyncSession) -> tuple[dt.date, list[int | None]]:
    """The working-day index as (its first day, ordinals by day from it)."""
    rows = (
        await session.execute(
            select(WorkingDayIndex.day, WorkingDayIndex.ordinal).order_by(WorkingDayIndex.day)
        )
    ).all()
    if not rows:
        return EPOCH, []
    first = rows[0][0]
    ordinals: list[int | None] = [None] * ((rows[-1][0] - first).days + 1)
    for day, ordinal in rows:
        ordinals[(day - first).days] = ordinal
    return first, ordinals


async def unit_rows(
    session: AsyncSession,
    period: Period,
    actor: Actor,
    offset_minutes: int,
    *,
    months: bool,
    workers: bool = True,
) -> list[tuple]:
    """``(unit key, opd_code, response_wd, resolution_wd, *COUNTS)`` per unit and OPD over the
    cases received in ``period``: the unit key is ``YYYY-MM`` (``months``) or the local
    date, exactly as ``tally_select([local_month | local_date, Case.opd_code], ...)``.
    ``workers=False``: no parallel workers, for a part running beside others (the parts
    are the parallelism; workers of their own only contend with them for the cores)."""
    first, ordinals = await _index(session)

    def array(name: str, values: list) -> ColumnElement:
        param = bindparam(name, values, type_=ARRAY(Integer))
        return type_coerce(Grouping(param), ARRAY(Integer))

    ord_array = array("wd_ordinals", ordinals)
    seconds = offset_minutes * 60
    before_first = (first - EPOCH).days - 1

    def position(column) -> ColumnElement:
        """1-based place of the column's local date in the index arrays (NULL for none):
        whole days since 1970 of the moment shifted to local time. ``date_part`` is a
        float of the microseconds (exact to well under one), so the floor never crosses
        a midnight the date arithmetic would not."""
        local_s = func.date_part("epoch", column) + literal_column(str(seconds))
        days = cast(func.floor(local_s / literal_column("86400")), Integer)
        return days - literal_column(str(before_first))

    start = position(Case.received_at)
    response_wd = (ord_array[position(Case.first_response_at)] - ord_array[start]).label("r")
    resolution_wd = (ord_array[position(Case.resolved_at)] - ord_array[start]).label("s")
    conditions = case_filter(period, actor)
    flags = clock_flags(conditions)
    if months:  # year * 12 + month - 1 of each day of the index; out of it, computed
        month_of = [d.year * 12 + d.month - 1 for d in _days(first, len(ordinals))]
        day = local_date(Case.received_at, offset_minutes)
        computed = cast(func.date_part("year", day), Integer) * 12 + cast(
            func.date_part("month", day), Integer
        )
        unit = func.coalesce(array("wd_months", month_of)[start], computed - 1)
    else:
        unit = start
    unit = unit.label("k")
    stmt = (
        select(unit, Case.opd_code, response_wd, resolution_wd, *tally_counts(flags))
        .select_from(Case)
        .outerjoin(flags, flags.c.case_id == Case.id)
        .where(*conditions)
        .group_by(text("1, 2, 3, 4"))  # by position: each expression holds its own binds
    )
    # For this statement only (the rebuild's transaction goes on with its inserts).
    settings = _SETTINGS if workers else (*_SETTINGS, "max_parallel_workers_per_gather = 0")
    for setting in settings:
        await session.execute(text(f"SET LOCAL {setting}"))
    rows = (await session.execute(stmt)).all()
    for setting in settings:
        await session.execute(text(f"SET LOCAL {setting.split(' = ')[0]} = DEFAULT"))
    keys: dict[int, str | dt.date] = {}
    out = []
    for k, *rest in rows:
        if (key := keys.get(k)) is None:
            key = keys[k] = _key(k, first, months)
        out.append((key, *rest))
    return out


def _key(value: int, first: dt.date, months: bool) -> str | dt.date:
    if months:
        year, month = divmod(int(value), 12)
        return f"{year:04d}-{month + 1:02d}"
    return first + dt.timedelta(days=int(value) - 1)
