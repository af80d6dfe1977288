"""Deadlines: day 0 is the start's local date, the deadline ends the Nth working day after it."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from shared.calendar import MAX_WORKING_DAYS, CalendarRangeError, WorkingCalendar

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
WIT = ZoneInfo("Asia/Jayapura")
JAKARTA = WorkingCalendar("Asia/Jakarta")
MAKASSAR = WorkingCalendar(WITA)
JAYAPURA = WorkingCalendar("Asia/Jayapura")


def end_of(day: str, tz: ZoneInfo = WIB) -> dt.datetime:
    """23:59:59 local on ``day``, in UTC: the shape of every deadline."""
    local = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(23, 59, 59), tzinfo=tz)
    return local.astimezone(dt.UTC)


def at(text: str, tz: ZoneInfo = WIB) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=tz)


# -- the worked example of the brief -----------------------------------------------------------


def test_friday_afternoon_three_working_days_ends_wednesday_night():
    deadline = JAKARTA.working_days_after(at("2026-11-20 15:00"), 3)
    assert deadline == end_of("2026-11-25")
    assert deadline == dt.datetime(2026, 11, 25, 16, 59, 59, tzinfo=dt.UTC)


def test_deadline_is_aware_utc_at_exactly_235959_local():
    deadline = JAKARTA.working_days_after(at("2026-11-20 15:00"), 3)
    assert deadline.tzinfo is dt.UTC
    local = deadline.astimezone(WIB)
    assert (local.hour, local.minute, local.second, local.microsecond) == (23, 59, 59, 0)


def test_the_hour_of_day_zero_does_not_matter():
    early = JAKARTA.working_days_after(at("2026-11-20 00:00"), 3)
    late = JAKARTA.working_days_after(at("2026-11-20 23:59:59.999999"), 3)
    assert early == late == end_of("2026-11-25")


# -- Idul Fitri and Nyepi 2026 -----------------------------------------------------------------
# 18 Mar CB Nyepi, 19 LN Nyepi, 20 CB, 21-22 LN (weekend), 23-24 CB; 25 Mar is the first
# working day after Tuesday 17 March.


def test_complaint_on_nyepi_counts_from_after_lebaran():
    received = at("2026-03-19 10:00")  # Thursday, Nyepi (LN): still day 0
    assert JAKARTA.working_days_after(received, 1) == end_of("2026-03-25")
    assert JAKARTA.working_days_after(received, 3) == end_of("2026-03-27")
    assert JAKARTA.working_days_after(received, 5) == end_of("2026-03-31")


def test_complaint_before_the_holiday_run_spends_one_day_then_jumps():
    received = at("2026-03-16 10:00")  # Monday: Tue 17 = WD1, then 18..24 off
    assert JAKARTA.working_days_after(received, 1) == end_of("2026-03-17")
    assert JAKARTA.working_days_after(received, 2) == end_of("2026-03-25")
    assert JAKARTA.working_days_after(received, 3) == end_of("2026-03-26")


def test_whatsapp_message_on_a_cuti_bersama_day():
    # The WhatsApp fixture's time: Friday 2026-03-20 10:00 WIB, cuti bersama Idul Fitri.
    received = at("2026-03-20 10:00")
    assert not JAKARTA.is_working_day(JAKARTA.local_date(received))
    # Day 0 = Fri 20; 21-22 weekend, 23-24 CB; WD1 Wed 25, WD2 Thu 26, WD3 Fri 27.
    assert JAKARTA.working_days_after(received, 3) == dt.datetime(
        2026, 3, 27, 16, 59, 59, tzinfo=dt.UTC
    )


# -- year ends ---------------------------------------------------------------------------------


def test_christmas_2026_run():
    received = at("2026-12-23 09:00")  # 24 CB, 25 LN, 26-27 weekend
    assert JAKARTA.working_days_after(received, 1) == end_of("2026-12-28")
    assert JAKARTA.working_days_after(received, 3) == end_of("2026-12-30")


def test_new_year_2027_and_isra_mikraj():
    received = at("2026-12-23 09:00")  # 28, 29, 30, 31; 1 Jan LN; 2-3 weekend; 4 Jan; 5 Jan LN
    assert JAKARTA.working_days_after(received, 4) == end_of("2026-12-31")
    assert JAKARTA.working_days_after(received, 5) == end_of("2027-01-04")
    assert JAKARTA.working_days_after(received, 6) == end_of("2027-01-06")


def test_a_clock_crossing_into_another_decade_of_the_table():
    received = at("2029-12-27 09:00")  # Thursday; the table is built a decade at a time
    deadline = JAKARTA.working_days_after(received, 10)
    assert JAKARTA.local_date(deadline).year == 2030
    assert JAKARTA.working_days_between(received, deadline) == 10


# -- timezones ---------------------------------------------------------------------------------


def test_same_instant_is_friday_in_wib_but_saturday_in_wita():
    instant = at("2026-11-20 23:30")  # Friday 23:30 WIB == Saturday 00:30 WITA
    assert JAKARTA.local_date(instant) == dt.date(2026, 11, 20)
    assert MAKASSAR.local_date(instant) == dt.date(2026, 11, 21)
    # Both land on Wednesday 25, but each at its own local midnight.
    assert JAKARTA.working_days_after(instant, 3) == end_of("2026-11-25", WIB)
    assert MAKASSAR.working_days_after(instant, 3) == end_of("2026-11-25", WITA)
    assert JAKARTA.working_days_after(instant, 3) - MAKASSAR.working_days_after(
        instant, 3
    ) == dt.timedelta(hours=1)


def test_thursday_night_wib_is_friday_in_wita_so_the_deadline_date_differs():
    instant = at("2026-11-19 23:30")  # Thursday 23:30 WIB == Friday 00:30 WITA
    assert JAKARTA.working_days_after(instant, 3) == end_of("2026-11-24", WIB)
    assert MAKASSAR.working_days_after(instant, 3) == end_of("2026-11-25", WITA)


def test_a_utc_timestamp_is_converted_before_taking_its_date():
    instant = dt.datetime(2026, 11, 20, 17, 30, tzinfo=dt.UTC)  # Friday in UTC
    assert JAKARTA.local_date(instant) == dt.date(2026, 11, 21)  # Saturday 00:30 WIB
    assert JAYAPURA.local_date(instant) == dt.date(2026, 11, 21)  # Saturday 02:30 WIT
    assert JAKARTA.working_days_after(instant, 1) == end_of("2026-11-23")


def test_any_aware_offset_is_accepted():
    plus8 = dt.timezone(dt.timedelta(hours=8))
    instant = dt.datetime(2026, 11, 21, 0, 30, tzinfo=plus8)  # == Friday 23:30 WIB
    assert JAKARTA.working_days_after(instant, 3) == end_of("2026-11-25")


def test_wit_deadline_ends_at_jayapura_midnight():
    deadline = JAYAPURA.working_days_after(at("2026-11-20 15:00", WIT), 3)
    assert deadline == dt.datetime(2026, 11, 25, 14, 59, 59, tzinfo=dt.UTC)


def test_naive_datetimes_are_refused():
    naive = dt.datetime(2026, 11, 20, 15, 0)
    with pytest.raises(ValueError, match="naive"):
        JAKARTA.working_days_after(naive, 3)
    with pytest.raises(ValueError, match="naive"):
        JAKARTA.local_date(naive)
    with pytest.raises(ValueError, match="naive"):
        JAKARTA.working_days_between(naive, at("2026-11-25 10:00"))
    with pytest.raises(ValueError, match="naive"):
        JAKARTA.warning_before(naive, 1)


def test_dates_and_datetimes_are_not_confused():
    with pytest.raises(TypeError):
        JAKARTA.local_date(dt.date(2026, 11, 20))
    with pytest.raises(TypeError):
        JAKARTA.is_working_day(at("2026-11-20 10:00"))


def test_unknown_timezone_is_a_value_error():
    with pytest.raises(ValueError, match="timezone"):
        WorkingCalendar("Asia/Atlantis")


# -- bounds on N -------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, -1, MAX_WORKING_DAYS + 1])
def test_n_out_of_bounds_is_a_value_error(n):
    with pytest.raises(ValueError):
        JAKARTA.working_days_after(at("2026-11-20 15:00"), n)


def test_n_must_be_an_int():
    with pytest.raises(TypeError):
        JAKARTA.working_days_after(at("2026-11-20 15:00"), 3.0)
    with pytest.raises(TypeError):
        JAKARTA.working_days_after(at("2026-11-20 15:00"), True)


def test_the_largest_n_is_answered():
    start = at("2026-11-20 15:00")
    deadline = JAKARTA.working_days_after(start, MAX_WORKING_DAYS)
    assert JAKARTA.working_days_between(start, deadline) == MAX_WORKING_DAYS


def test_past_the_last_year_is_a_range_error():
    with pytest.raises(CalendarRangeError):
        JAKARTA.working_days_after(at("2100-12-01 10:00"), 60)
    with pytest.raises(CalendarRangeError):
        JAKARTA.working_days_after(at("1960-01-04 10:00"), 1)


# -- pauses ------------------------------------------------------------------------------------


def test_working_days_between_excludes_the_start_and_includes_the_end():
    assert JAKARTA.working_days_between(at("2026-11-20 15:00"), at("2026-11-24 10:00")) == 2
    assert JAKARTA.working_days_between(at("2026-11-20 08:00"), at("2026-11-20 18:00")) == 0
    assert JAKARTA.working_days_between(at("2026-11-20 15:00"), at("2026-11-22 10:00")) == 0


def test_working_days_between_skips_holidays_and_is_antisymmetric():
    before, after = at("2026-03-17 10:00"), at("2026-03-25 10:00")
    assert JAKARTA.working_days_between(before, after) == 1
    assert JAKARTA.working_days_between(after, before) == -1


def test_working_days_between_uses_local_dates():
    friday_night_wib = at("2026-11-20 23:30")  # already Saturday in WITA
    monday = at("2026-11-23 10:00")
    assert JAKARTA.working_days_between(friday_night_wib, monday) == 1
    assert MAKASSAR.working_days_between(friday_night_wib, monday) == 1
    thursday_night_wib = at("2026-11-19 23:30")  # already Friday in WITA
    assert JAKARTA.working_days_between(thursday_night_wib, monday) == 2  # Fri 20, Mon 23
    assert MAKASSAR.working_days_between(thursday_night_wib, monday) == 1  # Mon 23


def test_a_paused_clock_does_not_count_the_paused_days():
    # A 5-WD clock starts Monday 16 Nov; it pauses Wednesday 18 (waiting for the reporter)
    # having used Tue 17 and Wed 18, and resumes Monday 30 Nov: 3 WD left, from Tue 1 Dec.
    started, paused, resumed = (
        at("2026-11-16 10:00"),
        at("2026-11-18 14:00"),
        at("2026-11-30 09:00"),
    )
    used = JAKARTA.working_days_between(started, paused)
    assert used == 2
    assert JAKARTA.working_days_after(resumed, 5, used=used) == end_of("2026-12-03")
    # Without the pause it would have ended Monday 23 Nov.
    assert JAKARTA.working_days_after(started, 5) == end_of("2026-11-23")


def test_resuming_the_same_day_as_the_pause_costs_nothing():
    started, paused = at("2026-11-16 10:00"), at("2026-11-18 14:00")
    used = JAKARTA.working_days_between(started, paused)
    resumed_same_day = at("2026-11-18 16:00")
    assert JAKARTA.working_days_after(resumed_same_day, 5, used=used) == (
        JAKARTA.working_days_after(started, 5)
    )


@pytest.mark.parametrize("used", [5, 6, -1])
def test_a_clock_without_days_left_is_a_value_error(used):
    with pytest.raises(ValueError):
        JAKARTA.working_days_after(at("2026-11-30 09:00"), 5, used=used)
