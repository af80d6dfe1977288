"""Performance reports (DESIGN.md, "Reporting"): per OPD, category, channel, area or month —
received, not yet responded, not yet resolved, resolved, resolved within the deadline,
working days to first response and to resolution (mean and median), SLA breaches, and
the reporters' satisfaction.

A period is a range of local dates (``from``..``to``, both included); a case belongs to the
period it was *received* in, and its figures are as of now (a case received in March and
resolved in May counts as resolved in March's report).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Actor
from shared.calendar import WorkingCalendar
from shared.db import Database
from shared.errors import Unprocessable
from shared.models import utcnow

from . import cache, repository
from .repository import GROUPS, GroupFigures, Period
from .workdays import ensure_index, utc_offset_minutes

FORMATS = ("json", "csv", "xlsx")
#: Longest period one report may span (a five-year RPJMD term).
MAX_PERIOD_YEARS = 5
#: The columns of a report row, in the order CSV/XLSX files carry them.
COLUMNS = (
    "key",
    "label",
    "received",
    "not_responded",
    "unresolved",
    "resolved",
    "ended_unresolved",
    "resolved_within_deadline",
    "resolved_within_deadline_pct",
    "avg_wd_to_first_response",
    "median_wd_to_first_response",
    "avg_wd_to_resolution",
    "median_wd_to_resolution",
    "breaches",
    "satisfaction_avg",
    "ratings",
)


@dataclass(frozen=True)
class ReportPeriod:
    first_day: dt.date
    last_day: dt.date

    def as_utc(self, calendar: WorkingCalendar) -> Period:
        """Local midnight of the first day to local midnight after the last day, in UTC."""
        return Period.of_days(self.first_day, self.last_day, calendar.tz)


def _parse_day(raw: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise Unprocessable(
            f"{name!r} must be a date as YYYY-MM-DD, got {raw!r}", code="invalid_period"
        ) from None


def parse_period(raw_from: str | None, raw_to: str | None, today: dt.date) -> ReportPeriod:
    """The period asked for; by default from 1 January of this year to today."""
    last = _parse_day(raw_to, "to") if raw_to else today
    first = _parse_day(raw_from, "from") if raw_from else dt.date(last.year, 1, 1)
    if first > last:
        raise Unprocessable(f"'from' ({first}) is after 'to' ({last})", code="invalid_period")
    try:
        limit = first.replace(year=first.year + MAX_PERIOD_YEARS)
    except ValueError:  # 29 February
        limit = first.replace(year=first.year + MAX_PERIOD_YEARS, day=28)
    if last >= limit:
        raise Unprocessable(
            f"a report spans at most {MAX_PERIOD_YEARS} years; {first}..{last} is longer",
            code="invalid_period",
        )
    return ReportPeriod(first, last)


def check_choice(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise Unprocessable(
            f"unknown {name} {value!r}; use one of {', '.join(allowed)}", code=f"invalid_{name}"
        )
    return value


def _avg(total: int, count: int) -> float | None:
    return round(total / count, 2) if count else None


def figures_row(fig: GroupFigures, label: str | None) -> dict[str, Any]:
    return {
        "key": fig.key,
        "label": label,
        "received": fig.received,
        "not_responded": fig.not_responded,
        "unresolved": fig.unresolved,
        "resolved": fig.resolved,
        "ended_unresolved": fig.ended_unresolved,
        "resolved_within_deadline": fig.within_deadline,
        "resolved_within_deadline_pct": round(100 * fig.within_deadline / fig.resolved, 1)
        if fig.resolved
        else None,
        "avg_wd_to_first_response": _avg(fig.response_sum, fig.response_count),
        "median_wd_to_first_response": fig.response_median,
        "avg_wd_to_resolution": _avg(fig.resolution_sum, fig.resolution_count),
        "median_wd_to_resolution": fig.resolution_median,
        "breaches": fig.breaches,
        "satisfaction_avg": _avg(fig.rating_sum, fig.rating_count),
        "ratings": fig.rating_count,
    }


async def figures(
    session: AsyncSession,
    db: Database,
    calendar: WorkingCalendar,
    actor: Actor,
    period: ReportPeriod,
    group_by: str | None,
    offset: int,
    *,
    mask_confidential: bool = False,
) -> dict[str | None, GroupFigures]:
    """Every figure per group (``group_by=None``: one group ``"all"``). Per OPD, per month and
    in total they come from the figure cache (settled days) plus a live tally of the rest;
    other groupings are tallied in one pass. ``prepare`` must have run for the period."""
    if group_by in cache.GROUPS:  # masking only concerns category and kecamatan
        return await cache.figures(
            session, db, calendar, actor, period.first_day, period.last_day, group_by, offset
        )
    return await repository.tally(
        session,
        period.as_utc(calendar),
        actor,
        group_by,
        offset,
        mask_confidential=mask_confidential,
    )


async def prepare(db: Database, calendar: WorkingCalendar, period: ReportPeriod) -> int:
    """Make sure the working-day index covers the period up to today; the zone's offset."""
    today = calendar.local_date(utcnow())
    await ensure_index(
        db, calendar, period.first_day, max(period.last_day, today) + dt.timedelta(days=1)
    )
    return utc_offset_minutes(calendar)


async def summary(
    session: AsyncSession,
    db: Database,
    calendar: WorkingCalendar,
    actor: Actor,
    period: ReportPeriod,
    group_by: str,
) -> dict[str, Any]:
    offset = await prepare(db, calendar, period)
    groups = await figures(session, db, calendar, actor, period, group_by, offset)
    names = await repository.reference_names(session, group_by)
    rows = [
        figures_row(fig, names.get(fig.key, fig.key) if fig.key is not None else None)
        for fig in sorted(groups.values(), key=lambda f: (f.key is None, f.key or ""))
    ]
    total = repository.total(groups.values())
    return {
        "period": {"from": period.first_day.isoformat(), "to": period.last_day.isoformat()},
        "group_by": group_by,
        "scope": {"opd": actor.opd_code}
        if actor.opd_code and actor.role == "opd"
        else {"opd": None},
        "generated_at": utcnow().isoformat(),
        "columns": list(COLUMNS),
        "rows": rows,
        "total": figures_row(total, "Total") | {"key": None},
    }


__all__ = [
    "FORMATS",
    "GROUPS",
    "COLUMNS",
    "check_choice",
    "parse_period",
    "summary",
    "figures",
    "prepare",
]
