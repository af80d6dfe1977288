"""The working-day calendar: is a date a *hari kerja*, and when does an N-working-day clock end.

The rules (DESIGN.md, "Counting working days"; PermenPANRB 62/2018 as written into the Perbup):
a working day is Monday to Friday, not a national holiday, not cuti bersama, not a regional day
off of the pemda's province, and not a local day off set by Admin Instansi; a local override
may also turn a day back into a working day, and overrides win over everything. The day a
clock starts is day 0 whatever its hour; the deadline is the end (23:59:59 local time) of the
Nth working day after it. Counting happens in the deployment's timezone (WIB, WITA or WIT).

Deadlines are answered from a sorted list of working-day ordinals (``date.toordinal()``)
with :func:`bisect.bisect_right`, so a 60-WD clock costs the same as a 1-WD clock. The list is
built lazily, a decade at a time, the first time a date in that decade is asked about.

Why one module of ~530 lines: it is one immutable class and the private helpers of its
lazily built tables; split, the tables' invariants would be spread over modules that
only this class uses.
"""

from __future__ import annotations

import datetime as dt
import threading
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .model import CalendarRangeError, DaySource, NonWorkingDay, Override, OverrideKind, RegionalDay
from .regional import BUILT_IN_OVERLAYS, normalize_region

__all__ = [
    "END_OF_DAY",
    "MAX_WORKING_DAYS",
    "MAX_YEAR",
    "MIN_YEAR",
    "WorkingCalendar",
    "calendar_from_settings",
]

#: First year the calendar answers for. Earlier dates mean corrupt input, not old cases.
MIN_YEAR = 1970
#: Last year the ``holidays`` package has Indonesian data for.
MAX_YEAR = 2100
#: Largest N accepted for a clock or a warning. The longest Permen 62/2018 clock is 60 WD;
#: ~4 years of working days leaves room for any local rule while catching unit mistakes
#: (seconds or calendar days passed as working days).
MAX_WORKING_DAYS = 1000
#: A deadline is the end of its local day. Exactly 23:59:59 with no microseconds, so it
#: prints as the regulation reads and survives databases that drop sub-second precision.
END_OF_DAY = dt.time(23, 59, 59)

_BLOCK_YEARS = 10  # the lazy unit: one decade of days, built on first use
_DEFAULT_OVERRIDE_NAME = "Hari libur lokal"
# Label precedence when several sources name one date: the most authoritative wins.
_PRECEDENCE = {
    DaySource.LOCAL_OVERRIDE: 0,
    DaySource.REGIONAL: 1,
    DaySource.CUTI_BERSAMA: 2,
    DaySource.NATIONAL: 3,
}


class CalendarSettings(Protocol):
    """What :func:`calendar_from_settings` reads (``shared.config.Settings`` fits)."""

    timezone: str
    region: str


# -- national days and cuti bersama (shared by every calendar of the process) ------------------


@dataclass(frozen=True, slots=True)
class _OfficialBlock:
    days: tuple[NonWorkingDay, ...]  # national and cuti bersama of the block's years
    confirmed_years: frozenset[int]  # years with an SKB cuti bersama list in the package


@cache
def _official_block(first_year: int) -> _OfficialBlock:
    """National holidays and cuti bersama of one decade, from the ``holidays`` package.

    Two queries rather than one so each day's source is known from its category, not guessed
    from its name. ``islamic_show_estimated=False`` keeps names clean; years whose Islamic
    dates are still estimates are the unconfirmed years (no cuti bersama list yet).
    """
    import holidays  # deferred: importing it costs ~0.1 s, and only the first query pays
    from holidays.constants import GOVERNMENT, PUBLIC

    years = range(first_year, min(first_year + _BLOCK_YEARS, MAX_YEAR + 1))
    common: dict[str, Any] = {"years": years, "language": "id", "islamic_show_estimated": False}
    national = holidays.country_holidays("ID", categories=(PUBLIC,), **common)
    cuti_bersama = holidays.country_holidays("ID", categories=(GOVERNMENT,), **common)
    days = {
        day: NonWorkingDay(day, name, DaySource.CUTI_BERSAMA) for day, name in cuti_bersama.items()
    }
    days.update(
        (day, NonWorkingDay(day, name, DaySource.NATIONAL)) for day, name in national.items()
    )
    return _OfficialBlock(
        days=tuple(sorted(days.values(), key=lambda item: item.date)),
        confirmed_years=frozenset(day.year for day in cuti_bersama),
    )


def _block_start(year: int) -> int:
    return MIN_YEAR + (year - MIN_YEAR) // _BLOCK_YEARS * _BLOCK_YEARS


def _check_year(year: int) -> int:
    if isinstance(year, bool) or not isinstance(year, int):
        raise TypeError(f"year must be an int, not {type(year).__name__}")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise CalendarRangeError(f"year {year} is outside the calendar ({MIN_YEAR}..{MAX_YEAR})")
    return year


def _check_count(value: int, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not minimum <= value <= MAX_WORKING_DAYS:
        raise ValueError(f"{name} must be between {minimum} and {MAX_WORKING_DAYS}, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class _Table:
    """Working-day ordinals of the years ``first_year..last_year``, sorted. Never mutated:
    extending builds a new table, so readers holding the old one stay consistent."""

    first_year: int
    last_year: int
    ordinals: list[int]

    def covers(self, first_year: int, last_year: int) -> bool:
        return self.first_year <= first_year and last_year <= self.last_year


_EMPTY_TABLE = _Table(first_year=MAX_YEAR + 1, last_year=MIN_YEAR - 1, ordinals=[])


class WorkingCalendar:
    """The working days of one deployment: its timezone, its province and its local overrides.

    Immutable and safe to share between threads and tasks; build a new one with
    :meth:`with_overrides` when Admin Instansi changes an override.

    >>> cal = WorkingCalendar("Asia/Jakarta")
    >>> received = dt.datetime(2026, 11, 20, 15, 0, tzinfo=ZoneInfo("Asia/Jakarta"))  # a Friday
    >>> cal.working_days_after(received, 3)  # Mon, Tue, Wed -> end of Wednesday, in UTC
    datetime.datetime(2026, 11, 25, 16, 59, 59, tzinfo=datetime.timezone.utc)

    Every method that takes a moment wants an *aware* datetime and returns aware UTC
    datetimes; the local date is taken after converting to the deployment's timezone.
    """

    __slots__ = ("_tz", "_region", "_regional_days", "_overrides", "_blocks", "_table", "_lock")

    _tz: ZoneInfo
    _region: str
    _regional_days: dict[dt.date, str]
    _overrides: dict[dt.date, Override]
    _blocks: dict[int, dict[dt.date, NonWorkingDay]]
    _table: _Table
    _lock: threading.Lock

    def __init__(
        self,
        tz: str | ZoneInfo,
        region: str = "",
        regional_days: Iterable[RegionalDay] = (),
        overrides: Iterable[Override] = (),
    ) -> None:
        """
        :param tz: the deployment's IANA zone, e.g. ``"Asia/Makassar"`` (WITA).
        :param region: the province's ISO 3166-2 code (``"ID-BA"``) to add its built-in
            overlay, or ``""`` for none.
        :param regional_days: extra regional days off supplied as data (a Surat Edaran's
            list); see :func:`shared.calendar.read_regional_days` for the file shape.
        :param overrides: Admin Instansi's local overrides; two overrides of different kinds
            on one date are a ``ValueError``.
        """
        set_ = object.__setattr__
        set_(self, "_tz", _zone(tz))
        set_(self, "_region", normalize_region(region))
        set_(self, "_regional_days", _index_regional_days(regional_days))
        set_(self, "_overrides", _index_overrides(overrides))
        set_(self, "_blocks", {})
        set_(self, "_table", _EMPTY_TABLE)
        set_(self, "_lock", threading.Lock())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; use with_overrides()")

    def __repr__(self) -> str:
        return (
            f"WorkingCalendar(tz={self._tz.key!r}, region={self._region!r}, "
            f"regional_days={len(self._regional_days)}, overrides={len(self._overrides)})"
        )

    # -- what the calendar is ---------------------------------------------------------------

    @property
    def tz(self) -> ZoneInfo:
        """The zone in which dates are taken and deadlines end."""
        return self._tz

    @property
    def region(self) -> str:
        """The province code whose built-in overlay applies (``""`` for none)."""
        return self._region

    @property
    def overrides(self) -> tuple[Override, ...]:
        """The local overrides, by date."""
        return tuple(self._overrides[day] for day in sorted(self._overrides))

    def with_overrides(self, overrides: Iterable[Override]) -> WorkingCalendar:
        """A new calendar like this one with ``overrides`` *replacing* the current ones.

        Cheap: national data is cached per process, only this calendar's table is rebuilt.
        """
        regional = (RegionalDay(day, name) for day, name in self._regional_days.items())
        return WorkingCalendar(self._tz, self._region, regional, overrides)

    # -- days ----------------------------------------------------------------------------------

    def local_date(self, moment: dt.datetime) -> dt.date:
        """The date ``moment`` falls on in the deployment's timezone.

        Never ``moment.date()``: 2026-11-20T17:30Z is Friday in UTC but Saturday 00:30 in
        WITA, and the day decides day 0 of a clock.
        """
        return _require_aware(moment).astimezone(self._tz).date()

    def end_of_day(self, day: dt.date) -> dt.datetime:
        """23:59:59 local time on ``day``, as an aware UTC datetime (how deadlines end)."""
        if isinstance(day, dt.datetime):
            raise TypeError("end_of_day() takes a date; use local_date(moment) first")
        return dt.datetime.combine(day, END_OF_DAY, tzinfo=self._tz).astimezone(dt.UTC)

    def is_working_day(self, day: dt.date) -> bool:
        """Whether ``day`` (a local date) is a working day.

        Takes a ``date`` only: a datetime's own date is the trap this library exists to
        avoid, so pass ``cal.local_date(moment)``.
        """
        if isinstance(day, dt.datetime):
            raise TypeError("is_working_day() takes a date; use local_date(moment) first")
        override = self._overrides.get(day)
        if override is not None:
            return override.kind is OverrideKind.REMOVE
        return day.weekday() < 5 and day not in self._block(_check_year(day.year))

    def non_working_days(self, year: int) -> list[NonWorkingDay]:
        """Every non-working day of ``year`` other than ordinary weekends, by date.

        Holidays falling on a weekend are listed (the SKB lists them); days removed by an
        override are not; days added by one appear with source ``local_override``. One
        entry per date, labelled with its most authoritative source.
        """
        block = self._block(_check_year(year))
        return sorted((item for item in block.values() if item.date.year == year), key=_by_date)

    # -- confirmation ----------------------------------------------------------------------------

    def is_confirmed(self, year: int) -> bool:
        """Whether ``year``'s national calendar is official: the installed ``holidays`` has
        its SKB cuti bersama list. Otherwise deadlines in that year rest on estimated
        Islamic dates and no cuti bersama, and should be shown as "calendar unconfirmed"
        (upgrade ``holidays`` once the SKB is out, usually in September of the year before).
        """
        return year in _official_block(_block_start(_check_year(year))).confirmed_years

    def unconfirmed_years(self, first_year: int, last_year: int) -> list[int]:
        """The years of ``first_year..last_year`` (inclusive) that are not confirmed."""
        _check_year(first_year)
        _check_year(last_year)
        return [year for year in range(first_year, last_year + 1) if not self.is_confirmed(year)]

    # -- clocks -----------------------------------------------------------------------------------

    def working_days_after(self, start: dt.datetime, n: int, *, used: int = 0) -> dt.datetime:
        """The deadline of an ``n``-working-day clock started at ``start``, in UTC.

        ``start``'s local date is day 0 whatever its hour (even if it is a holiday); the
        deadline is the end (23:59:59 local) of the ``n``-th working day after it. ``n``
        must be 1..``MAX_WORKING_DAYS``: a 0-day clock is not a rule anyone wrote.

        For a clock resumed after a pause, pass the resume moment as ``start`` and the
        working days already spent as ``used`` (from :meth:`working_days_between`): the
        resume day is day 0 again, so paused days never count. ``used >= n`` is a
        ``ValueError``: the clock ran out before the pause, which is a breach to handle,
        not a deadline to compute.
        """
        _check_count(n, "n", minimum=1)
        if isinstance(used, bool) or not isinstance(used, int) or used < 0:
            raise ValueError(f"used must be an int >= 0, got {used!r}")
        remaining = n - used
        if remaining < 1:
            raise ValueError(f"no working days left: used {used} of {n}")
        day0 = self.local_date(start)
        table = self._covering(day0.year, day0.year)
        while True:
            index = bisect_right(table.ordinals, day0.toordinal()) + remaining - 1
            if index < len(table.ordinals):
                return self.end_of_day(dt.date.fromordinal(table.ordinals[index]))
            table = self._covering(day0.year, table.last_year + 1)

    def working_days_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Working days from ``start``'s local date (excluded) to ``end``'s (included).

        What a clock has used when it is paused at ``end``: a clock started Friday and
        paused the next Tuesday has used 2 (Monday, Tuesday), whatever the hours. The same
        day gives 0; ``end`` before ``start`` gives the negative count, so that
        ``between(a, b) + between(b, c) == between(a, c)`` always holds.
        """
        first, last = self.local_date(start), self.local_date(end)
        table = self._covering(min(first.year, last.year), max(first.year, last.year))
        ordinals = table.ordinals
        return bisect_right(ordinals, last.toordinal()) - bisect_right(ordinals, first.toordinal())

    def warning_before(
        self, deadline: dt.datetime, k: int, *, working_days: bool = True
    ) -> dt.datetime:
        """When the early warning for ``deadline`` is due: the end of a local day, in UTC.

        ``deadline``'s time of day is ignored; only its local date counts.

        * ``working_days=True`` (default): the end of the working day after which exactly
          ``k`` working days remain up to and including the deadline's day. For a 5-WD
          clock with a 3-day warning that is the end of working day 2; ``k=0`` gives the
          deadline itself (if it ends a working day, as every computed deadline does).
        * ``working_days=False``: the end of the day ``k`` calendar days before the
          deadline's day, i.e. ``deadline - k * 24h`` for a computed deadline. It may fall
          on a weekend or a holiday.

        A ``k`` as long as the clock itself puts the warning at or before day 0; the caller
        then warns at once. ``k`` must be 0..``MAX_WORKING_DAYS``.
        """
        _check_count(k, "k", minimum=0)
        day = self.local_date(deadline)
        _check_year(day.year)
        if not working_days:
            earlier = day - dt.timedelta(days=k)
            return self.end_of_day(dt.date.fromordinal(_check_ordinal(earlier.toordinal())))
        table = self._covering(day.year, day.year)
        while True:
            index = bisect_right(table.ordinals, day.toordinal()) - k - 1
            if index >= 0:
                return self.end_of_day(dt.date.fromordinal(table.ordinals[index]))
            table = self._covering(table.first_year - 1, day.year)

    # -- building ----------------------------------------------------------------------------------

    def _block(self, year: int) -> dict[dt.date, NonWorkingDay]:
        """The non-working days (not weekends) of the decade holding ``year``, overrides
        applied. Pure, so a race just builds it twice; ``setdefault`` keeps one."""
        first_year = _block_start(year)
        block = self._blocks.get(first_year)
        if block is None:
            block = self._build_block(first_year)
            block = self._blocks.setdefault(first_year, block)
        return block

    def _build_block(self, first_year: int) -> dict[dt.date, NonWorkingDay]:
        last_year = min(first_year + _BLOCK_YEARS, MAX_YEAR + 1) - 1
        in_block = range(first_year, last_year + 1)
        candidates: list[NonWorkingDay] = [
            NonWorkingDay(day, o.reason or _DEFAULT_OVERRIDE_NAME, DaySource.LOCAL_OVERRIDE)
            for day, o in self._overrides.items()
            if day.year in in_block and o.kind is OverrideKind.ADD
        ]
        regional: dict[dt.date, str] = {}
        overlay = BUILT_IN_OVERLAYS.get(self._region)
        if overlay is not None:
            for year in in_block:
                for item in overlay(year):
                    _add_name(regional, item.date, item.name)
        for day, name in self._regional_days.items():
            if day.year in in_block:
                _add_name(regional, day, name)
        candidates += (
            NonWorkingDay(day, name, DaySource.REGIONAL) for day, name in regional.items()
        )
        candidates += _official_block(first_year).days
        days: dict[dt.date, NonWorkingDay] = {}
        for item in candidates:
            current = days.get(item.date)
            if current is None or _PRECEDENCE[item.source] > _PRECEDENCE[current.source]:
                days[item.date] = item
        for day, override in self._overrides.items():
            if override.kind is OverrideKind.REMOVE:
                days.pop(day, None)
        return days

    def _working_ordinals(self, first_year: int, last_year: int) -> list[int]:
        """Working-day ordinals of the whole blocks from ``first_year`` to ``last_year``
        (both block starts), ascending. A set lookup per day: ~1 ms a decade."""
        opened = {
            day.toordinal()
            for day, override in self._overrides.items()
            if override.kind is OverrideKind.REMOVE
        }
        ordinals: list[int] = []
        for block_year in range(first_year, last_year + 1, _BLOCK_YEARS):
            closed = {day.toordinal() for day in self._block(block_year)}
            start = dt.date(block_year, 1, 1).toordinal()
            stop = dt.date(_block_last(block_year), 12, 31).toordinal() + 1
            # date.fromordinal(1) is a Monday, so (ordinal - 1) % 7 is the weekday.
            ordinals.extend(
                o
                for o in range(start, stop)
                if o in opened or ((o - 1) % 7 < 5 and o not in closed)
            )
        return ordinals

    def _covering(self, first_year: int, last_year: int) -> _Table:
        """A table covering at least ``first_year..last_year``, extending the cached one by
        whole decades when needed. Raises :class:`CalendarRangeError` past the limits."""
        table = self._table
        if table.covers(first_year, last_year):
            return table
        _check_year(first_year)
        _check_year(last_year)
        with self._lock:
            table = self._table
            if table.covers(first_year, last_year):
                return table
            if table.first_year > table.last_year:  # nothing built yet
                lo, hi = _block_start(first_year), _block_start(last_year)
                new = _Table(lo, _block_last(hi), self._working_ordinals(lo, hi))
            else:
                lo = min(_block_start(first_year), table.first_year)
                hi = max(_block_start(last_year), _block_start(table.last_year))
                below = self._working_ordinals(lo, table.first_year - 1)
                above = self._working_ordinals(table.last_year + 1, hi)
                new = _Table(lo, _block_last(hi), below + table.ordinals + above)
            object.__setattr__(self, "_table", new)
            return new


def calendar_from_settings(
    settings: CalendarSettings,
    overrides: Iterable[Override] = (),
    regional_days: Iterable[RegionalDay] = (),
) -> WorkingCalendar:
    """The deployment's calendar from its settings (``SIMPUL_TIMEZONE``, ``SIMPUL_REGION``)
    plus the overrides and regional days it keeps elsewhere (database, data file)."""
    return WorkingCalendar(
        settings.timezone, region=settings.region, regional_days=regional_days, overrides=overrides
    )


@lru_cache(maxsize=8)
def base_calendar(timezone: str, region: str = "") -> WorkingCalendar:
    """The national (and regional) calendar without local overrides, built once per process.

    For estimates made where the SLA service's override table is not at hand (e.g. the
    verification date promised in an intake answer); the SLA clocks stay authoritative.
    """
    return WorkingCalendar(timezone, region=region)


# -- helpers -----------------------------------------------------------------------------------


def _zone(tz: str | ZoneInfo) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {tz!r}, e.g. 'Asia/Jakarta'") from exc


def _require_aware(moment: dt.datetime) -> dt.datetime:
    if not isinstance(moment, dt.datetime):
        raise TypeError(f"expected an aware datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"naive datetime {moment.isoformat()}: attach a timezone (e.g. tzinfo=datetime.UTC); "
            "the calendar cannot guess which day it is"
        )
    return moment


def _block_last(block_year: int) -> int:
    return min(block_year + _BLOCK_YEARS - 1, MAX_YEAR)


def _check_ordinal(ordinal: int) -> int:
    if ordinal < dt.date(MIN_YEAR, 1, 1).toordinal():
        raise CalendarRangeError(f"date before {MIN_YEAR} is outside the calendar")
    return ordinal


def _by_date(item: NonWorkingDay) -> dt.date:
    return item.date


def _add_name(names: dict[dt.date, str], day: dt.date, name: str) -> None:
    current = names.get(day)
    if current is None:
        names[day] = name
    elif name not in current.split("; "):
        names[day] = f"{current}; {name}"


def _index_regional_days(days: Iterable[RegionalDay]) -> dict[dt.date, str]:
    names: dict[dt.date, str] = {}
    for item in days:
        if not isinstance(item, RegionalDay):
            raise TypeError(f"regional_days takes RegionalDay values, not {type(item).__name__}")
        _check_year(item.date.year)
        _add_name(names, item.date, item.name)
    return names


def _index_overrides(overrides: Iterable[Override]) -> dict[dt.date, Override]:
    index: dict[dt.date, Override] = {}
    for item in overrides:
        if not isinstance(item, Override):
            raise TypeError(f"overrides takes Override values, not {type(item).__name__}")
        _check_year(item.date.year)
        current = index.get(item.date)
        if current is None:
            index[item.date] = item
        elif current.kind is not item.kind:
            raise ValueError(
                f"conflicting overrides on {item.date}: {current.kind} and {item.kind}"
            )
        elif item.reason and item.reason not in current.reason.split("; "):
            reason = f"{current.reason}; {item.reason}" if current.reason else item.reason
            index[item.date] = Override(item.date, item.kind, reason)
    return index
