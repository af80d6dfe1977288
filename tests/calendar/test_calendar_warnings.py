"""Early warnings: K days before the deadline, in working days (default) or calendar days.

Permen 62/2018 as written into the Perbup: 5 WD clock -> warn 3 days before; 14 -> 8; 60 -> 35.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from shared.calendar import MAX_WORKING_DAYS, WorkingCalendar

WIB = ZoneInfo("Asia/Jakarta")
JAKARTA = WorkingCalendar("Asia/Jakarta")


def end_of(day: str) -> dt.datetime:
    local = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(23, 59, 59), tzinfo=WIB)
    return local.astimezone(dt.UTC)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=WIB)


DEADLINE = JAKARTA.working_days_after(at("2026-11-20 15:00"), 3)  # end of Wed 25 Nov


def test_working_day_warning_ends_the_day_after_which_k_working_days_remain():
    assert JAKARTA.warning_before(DEADLINE, 1) == end_of("2026-11-24")
    assert JAKARTA.warning_before(DEADLINE, 2) == end_of("2026-11-23")
    assert JAKARTA.warning_before(DEADLINE, 3) == end_of("2026-11-20")  # day 0: skips weekend


def test_zero_days_warns_at_the_deadline():
    assert JAKARTA.warning_before(DEADLINE, 0) == DEADLINE
    assert JAKARTA.warning_before(DEADLINE, 0, working_days=False) == DEADLINE


def test_calendar_day_warning_is_k_times_24_hours_earlier():
    assert JAKARTA.warning_before(DEADLINE, 3, working_days=False) == end_of("2026-11-22")
    assert JAKARTA.warning_before(DEADLINE, 3, working_days=False) == DEADLINE - dt.timedelta(
        days=3
    )


def test_permen_5_wd_clock_with_a_3_day_warning():
    received = at("2026-11-16 10:00")  # Monday: WD1..5 = 17, 18, 19, 20, 23 Nov
    deadline = JAKARTA.working_days_after(received, 5)
    assert deadline == end_of("2026-11-23")
    in_working_days = JAKARTA.warning_before(deadline, 3)
    assert in_working_days == end_of("2026-11-18")  # end of WD2: 19, 20, 23 remain
    assert JAKARTA.working_days_between(in_working_days, deadline) == 3
    assert JAKARTA.warning_before(deadline, 3, working_days=False) == end_of("2026-11-20")


def test_working_day_warning_skips_holidays():
    deadline = JAKARTA.working_days_after(at("2026-03-19 10:00"), 5)  # 25, 26, 27, 30, 31 Mar
    assert deadline == end_of("2026-03-31")
    assert JAKARTA.warning_before(deadline, 3) == end_of("2026-03-26")
    # Four working days back crosses the whole Nyepi/Lebaran run to Tuesday 17 March.
    assert JAKARTA.warning_before(deadline, 4) == end_of("2026-03-25")
    assert JAKARTA.warning_before(deadline, 5) == end_of("2026-03-17")


def test_a_warning_as_long_as_the_clock_falls_on_or_before_day_zero():
    received = at("2026-03-19 10:00")
    deadline = JAKARTA.working_days_after(received, 3)
    warning = JAKARTA.warning_before(deadline, 3)
    assert warning == end_of("2026-03-17")  # before the complaint: the caller warns at once
    assert warning < received


def test_calendar_day_warning_may_land_on_a_holiday():
    deadline = end_of("2026-03-25")
    assert JAKARTA.warning_before(deadline, 2, working_days=False) == end_of("2026-03-23")


def test_warning_takes_the_deadlines_local_date_not_its_hour():
    deadline_midday = at("2026-11-25 12:00")
    assert JAKARTA.warning_before(deadline_midday, 1) == end_of("2026-11-24")


def test_warning_is_aware_utc():
    warning = JAKARTA.warning_before(DEADLINE, 2)
    assert warning.tzinfo is dt.UTC
    assert warning.astimezone(WIB).time() == dt.time(23, 59, 59)


@pytest.mark.parametrize("k", [-1, MAX_WORKING_DAYS + 1])
def test_k_out_of_bounds_is_a_value_error(k):
    with pytest.raises(ValueError):
        JAKARTA.warning_before(DEADLINE, k)


def test_long_clocks_warn_from_the_permen_table():
    received = at("2026-01-05 09:00")
    for n, k in ((5, 3), (14, 8), (60, 35)):
        deadline = JAKARTA.working_days_after(received, n)
        warning = JAKARTA.warning_before(deadline, k)
        assert JAKARTA.working_days_between(received, warning) == n - k
        assert JAKARTA.working_days_between(warning, deadline) == k
