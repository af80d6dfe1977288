"""Property tests: the bisect table agrees with a naive day-by-day count built independently."""

import datetime as dt
from zoneinfo import ZoneInfo

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.calendar import Override, OverrideKind, WorkingCalendar

ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
CALENDARS = {zone: WorkingCalendar(zone) for zone in ZONES}
# The reference reads the package directly, not through the library under test.
OFFICIAL = holidays.country_holidays(
    "ID",
    years=range(2024, 2031),
    categories=("public", "government"),
    language="id",
    islamic_show_estimated=False,
)

starts = st.datetimes(
    min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2028, 6, 30), timezones=st.just(dt.UTC)
)
zones = st.sampled_from(ZONES)
overrides = st.lists(
    st.builds(
        Override,
        date=st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2028, 6, 30)),
        kind=st.sampled_from(OverrideKind),
    ),
    max_size=8,
    unique_by=lambda override: override.date,
)


def reference_is_working(day: dt.date, local: dict[dt.date, OverrideKind]) -> bool:
    if day in local:
        return local[day] is OverrideKind.REMOVE
    return day.weekday() < 5 and day not in OFFICIAL


def reference_deadline_date(day0: dt.date, n: int, local: dict[dt.date, OverrideKind]) -> dt.date:
    day, counted = day0, 0
    while counted < n:
        day += dt.timedelta(days=1)
        counted += reference_is_working(day, local)
    return day


@settings(deadline=None)
@given(start=starts, zone=zones, n=st.integers(min_value=1, max_value=120))
def test_deadline_matches_a_day_by_day_count(start, zone, n):
    cal = CALENDARS[zone]
    deadline = cal.working_days_after(start, n)
    local = deadline.astimezone(ZoneInfo(zone))
    day0 = start.astimezone(ZoneInfo(zone)).date()
    assert local.time() == dt.time(23, 59, 59)
    assert deadline.tzinfo is dt.UTC
    assert cal.is_working_day(local.date())
    assert local.date() == reference_deadline_date(day0, n, {})
    assert cal.working_days_between(start, deadline) == n


@settings(deadline=None)
@given(start=starts, zone=zones, n=st.integers(min_value=1, max_value=60), local=overrides)
def test_deadline_with_overrides_matches_a_day_by_day_count(start, zone, n, local):
    cal = CALENDARS[zone].with_overrides(local)
    kinds = {override.date: override.kind for override in local}
    deadline = cal.working_days_after(start, n)
    day0 = start.astimezone(ZoneInfo(zone)).date()
    assert deadline.astimezone(ZoneInfo(zone)).date() == reference_deadline_date(day0, n, kinds)
    for offset in range(-3, 4):
        day = day0 + dt.timedelta(days=offset)
        assert cal.is_working_day(day) == reference_is_working(day, kinds)


@settings(deadline=None)
@given(start=starts, zone=zones, n=st.integers(min_value=1, max_value=200))
def test_deadline_is_strictly_monotone_in_n(start, zone, n):
    cal = CALENDARS[zone]
    assert cal.working_days_after(start, n) < cal.working_days_after(start, n + 1)


@settings(deadline=None)
@given(
    start=starts,
    zone=zones,
    n=st.integers(min_value=1, max_value=60),
    k=st.integers(min_value=0, max_value=60),
)
def test_working_day_warning_leaves_exactly_k_working_days(start, zone, n, k):
    cal = CALENDARS[zone]
    deadline = cal.working_days_after(start, n)
    warning = cal.warning_before(deadline, k)
    assert warning <= deadline
    assert cal.is_working_day(cal.local_date(warning))
    assert cal.working_days_between(warning, deadline) == k
    assert cal.warning_before(deadline, k, working_days=False) == deadline - dt.timedelta(days=k)


@settings(deadline=None)
@given(a=starts, b=starts, c=starts, zone=zones)
def test_working_days_between_adds_up(a, b, c, zone):
    cal = CALENDARS[zone]
    assert cal.working_days_between(a, b) + cal.working_days_between(b, c) == (
        cal.working_days_between(a, c)
    )
    assert cal.working_days_between(a, b) == -cal.working_days_between(b, a)


@settings(deadline=None)
@given(start=starts, zone=zones, n=st.integers(min_value=2, max_value=60), data=st.data())
def test_pausing_without_losing_days_gives_the_same_deadline(start, zone, n, data):
    # Pausing at any moment before the deadline and resuming on the same local day must not
    # change the deadline: paused time costs nothing, used days are not counted twice.
    cal = CALENDARS[zone]
    deadline = cal.working_days_after(start, n)
    used = data.draw(st.integers(min_value=0, max_value=n - 1))
    pause = cal.working_days_after(start, used) if used else start
    assert cal.working_days_after(pause, n, used=cal.working_days_between(start, pause)) == (
        deadline
    )
