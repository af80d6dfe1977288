"""The deployment's working-day calendar as the SLA clocks use it, and its local overrides.

One :class:`CalendarProvider` per process (in ``ctx.resources``) keeps the built
``WorkingCalendar`` and rebuilds it when the ``holiday_overrides`` table changes. Every use
runs one tiny aggregate (count, max id, max updated_at) over that table, so a change made by
another process (PostgreSQL, several workers) is seen on its next use: no TTL, no stale
deadlines. The rebuild itself costs about a millisecond per decade of days.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Actor
from shared.calendar import (
    MAX_WORKING_DAYS,
    MAX_YEAR,
    MIN_YEAR,
    CalendarRangeError,
    NonWorkingDay,
    Override,
    OverrideKind,
    WorkingCalendar,
    calendar_from_settings,
)
from shared.config import Settings
from shared.errors import Conflict, NotFound, Unprocessable
from shared.events import WorkerContext, emit
from shared.models import utcnow
from shared.models.sla import HolidayOverride

from . import repository

RESOURCE_KEY = "sla.calendar"
MAX_REASON_LENGTH = 500
_TIME_AT_END = re.compile(r"\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


class CalendarProvider:
    """The process's calendar: settings plus the overrides in force, rebuilt on change."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._version: tuple[Any, ...] | None = None
        self._calendar: WorkingCalendar | None = None

    async def get(self, session: AsyncSession) -> WorkingCalendar:
        version = await repository.overrides_version(session)
        if self._calendar is None or version != self._version:
            rows = await repository.active_overrides(session)
            overrides = [Override(row.date, OverrideKind(row.kind), row.reason) for row in rows]
            self._calendar = calendar_from_settings(self.settings, overrides)
            self._version = version
        return self._calendar

    def invalidate(self) -> None:
        self._calendar, self._version = None, None


def calendar_provider(ctx: WorkerContext) -> CalendarProvider:
    """The provider kept in ``ctx.resources`` (created on first use)."""
    provider = ctx.resources.get(RESOURCE_KEY)
    if provider is None:
        provider = ctx.resources[RESOURCE_KEY] = CalendarProvider(ctx.settings)
    return provider


async def current_calendar(session: AsyncSession, ctx: WorkerContext) -> WorkingCalendar:
    return await calendar_provider(ctx).get(session)


# -- due dates ----------------------------------------------------------------------------------


def parse_start(raw: str, calendar: WorkingCalendar) -> dt.datetime:
    """An ISO 8601 datetime (or date) from a query string, as an aware datetime.

    A datetime without an offset, or a plain date, is read in the pemda's timezone
    (``SIMPUL_TIMEZONE``): local apps think in local time, and only the local date counts
    anyway. A ``+07:00`` offset whose ``+`` arrived as a space (an unencoded query string)
    is repaired rather than refused.
    """
    text = raw.strip()
    if not text:
        raise Unprocessable(
            "start is empty: give an ISO 8601 datetime", code="invalid_start", field="start"
        )
    head, sep, tail = text.rpartition(" ")
    if sep and _TIME_AT_END.search(head) and re.fullmatch(r"\d{2}(:?\d{2})?", tail):
        text = f"{head}+{tail}"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Unprocessable(
            f"start {raw!r} is not an ISO 8601 datetime (e.g. 2026-03-19T10:00:00+07:00)",
            code="invalid_start",
            field="start",
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=calendar.tz)
    return moment


@dataclass(frozen=True)
class DueDate:
    start: dt.datetime
    working_days: int
    due_at: dt.datetime
    due_at_local: dt.datetime
    timezone: str
    unconfirmed_years: list[int]

    @property
    def calendar_confirmed(self) -> bool:
        return not self.unconfirmed_years


def due_date(calendar: WorkingCalendar, start: dt.datetime, working_days: int) -> DueDate:
    """The deadline ``working_days`` after ``start``, exactly as the clocks count it."""
    if not 1 <= working_days <= MAX_WORKING_DAYS:
        raise Unprocessable(
            f"working_days must be between 1 and {MAX_WORKING_DAYS}, got {working_days}",
            code="invalid_working_days",
            field="working_days",
        )
    try:
        due = calendar.working_days_after(start, working_days)
        first = calendar.local_date(start).year
        last = calendar.local_date(due).year
        unconfirmed = calendar.unconfirmed_years(first, last)
    except (CalendarRangeError, OverflowError) as exc:
        raise Unprocessable(
            f"{exc}; the calendar covers {MIN_YEAR}..{MAX_YEAR}",
            code="outside_calendar",
            field="start",
        ) from None
    return DueDate(
        start=start,
        working_days=working_days,
        due_at=due,
        due_at_local=due.astimezone(calendar.tz),
        timezone=str(calendar.tz),
        unconfirmed_years=unconfirmed,
    )


def check_year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Unprocessable(
            f"year {year} is outside the calendar ({MIN_YEAR}..{MAX_YEAR})",
            code="outside_calendar",
            field="year",
        )
    return year


def holidays(calendar: WorkingCalendar, year: int) -> tuple[list[NonWorkingDay], bool]:
    """The non-working days of ``year`` in force (overrides applied) and whether it is confirmed."""
    check_year(year)
    return calendar.non_working_days(year), calendar.is_confirmed(year)


def unconfirmed_soon(calendar: WorkingCalendar, today: dt.date) -> tuple[list[int], list[int]]:
    """(years checked, unconfirmed among them): this year and next, for ops."""
    years = [today.year, today.year + 1]
    return years, calendar.unconfirmed_years(years[0], years[-1])


# -- overrides ---------------------------------------------------------------------------


def _clean_reason(reason: str | None, field: str = "reason") -> str:
    text = (reason or "").strip()
    if not text:
        raise Unprocessable(
            "a reason is required (e.g. the Perbup or Surat Edaran)",
            code="reason_required",
            field=field,
        )
    if len(text) > MAX_REASON_LENGTH:
        raise Unprocessable(
            f"reason longer than {MAX_REASON_LENGTH} characters",
            code="reason_too_long",
            field=field,
        )
    return text


async def add_override(
    session: AsyncSession,
    calendar: WorkingCalendar,
    *,
    day: dt.date,
    kind: str,
    reason: str,
    actor: Actor,
) -> HolidayOverride:
    """Make ``day`` a day off (``add``) or a working day (``remove``); audited.

    Refuses an override that would change nothing (a day off that already is one, a working
    day made a working day): it would only hide the real source of the day.
    """
    check_year(day.year)
    reason = _clean_reason(reason)
    try:
        override_kind = OverrideKind(kind)
    except ValueError:
        raise Unprocessable(
            f"kind must be 'add' or 'remove', got {kind!r}", code="invalid_kind", field="kind"
        ) from None
    existing = await repository.active_override_on(session, day)
    if existing is not None:
        raise Conflict(
            f"{day} already has an override ({existing.kind}); revoke it first",
            code="override_exists",
            override_id=existing.id,
        )
    working = calendar.is_working_day(day)
    if override_kind is OverrideKind.ADD and not working:
        raise Unprocessable(f"{day} is already not a working day", code="no_effect", field="date")
    if override_kind is OverrideKind.REMOVE and working:
        raise Unprocessable(f"{day} is already a working day", code="no_effect", field="date")
    now = utcnow()
    row = HolidayOverride(
        date=day,
        kind=str(override_kind),
        reason=reason,
        created_by=actor.name or actor.id,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    await emit(
        session,
        "calendar.override_added",
        actor,
        reason=reason,
        subject_type="holiday",
        subject_id=day.isoformat(),
        data={"override_id": row.id, "date": day.isoformat(), "kind": row.kind},
    )
    return row


async def revoke_override(
    session: AsyncSession, *, override_id: int, reason: str, actor: Actor
) -> HolidayOverride:
    """Withdraw an override (the row stays, marked revoked); audited."""
    reason = _clean_reason(reason)
    row = await repository.get_override(session, override_id)
    if row is None:
        raise NotFound(f"no holiday override {override_id}", code="override_not_found")
    if row.revoked_at is not None:
        raise Conflict(f"override {override_id} was already revoked", code="override_revoked")
    now = utcnow()
    row.revoked_at, row.revoked_by, row.revoke_reason, row.updated_at = (
        now,
        actor.name or actor.id,
        reason,
        now,
    )
    await session.flush()
    await emit(
        session,
        "calendar.override_revoked",
        actor,
        reason=reason,
        subject_type="holiday",
        subject_id=row.date.isoformat(),
        data={"override_id": row.id, "date": row.date.isoformat(), "kind": row.kind},
    )
    return row
