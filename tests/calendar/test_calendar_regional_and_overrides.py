"""The province overlay (Bali built in, others as data) and Admin Instansi's local overrides."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from shared.calendar import (
    DaySource,
    NonWorkingDay,
    Override,
    OverrideKind,
    RegionalDay,
    WorkingCalendar,
    galungan_dates,
    read_regional_days,
    regional_days_from_rows,
)

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
GALUNGAN_2026 = dt.date(2026, 6, 17)


def end_of(day: str, tz: ZoneInfo = WIB) -> dt.datetime:
    local = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(23, 59, 59), tzinfo=tz)
    return local.astimezone(dt.UTC)


def at(text: str, tz: ZoneInfo = WIB) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=tz)


# -- Bali --------------------------------------------------------------------------------------


def test_galungan_recurs_every_210_days_on_wednesdays():
    found = [day for year in (2025, 2026, 2027) for day in galungan_dates(year)]
    assert found == [
        dt.date(2025, 4, 23),
        dt.date(2025, 11, 19),
        dt.date(2026, 6, 17),
        dt.date(2027, 1, 13),
        dt.date(2027, 8, 11),
    ]
    assert galungan_dates(2012)[0] == dt.date(2012, 2, 1)  # the anchor
    assert all(day.weekday() == 2 for day in found)


def test_galungan_is_a_working_day_outside_bali():
    assert WorkingCalendar("Asia/Jakarta").is_working_day(GALUNGAN_2026)


def test_galungan_and_kuningan_are_regional_days_in_bali():
    bali = WorkingCalendar("Asia/Makassar", region="ID-BA")
    assert not bali.is_working_day(GALUNGAN_2026)
    listed = {item.date: item for item in bali.non_working_days(2026)}
    assert listed[GALUNGAN_2026] == NonWorkingDay(
        GALUNGAN_2026, "Hari Raya Galungan", DaySource.REGIONAL
    )
    kuningan = listed[dt.date(2026, 6, 27)]  # Galungan + 10, a Saturday
    assert (kuningan.name, kuningan.source) == ("Hari Raya Kuningan", DaySource.REGIONAL)
    regional = [item.date for item in listed.values() if item.source is DaySource.REGIONAL]
    assert regional == [GALUNGAN_2026, dt.date(2026, 6, 27)]


def test_kuningan_dates_2025_2027():
    bali = WorkingCalendar("Asia/Makassar", region="ID-BA")
    kuningan = [
        item.date
        for year in (2025, 2026, 2027)
        for item in bali.non_working_days(year)
        if item.name == "Hari Raya Kuningan"
    ]
    assert kuningan == [
        dt.date(2025, 5, 3),
        dt.date(2025, 11, 29),
        dt.date(2026, 6, 27),
        dt.date(2027, 1, 23),
        dt.date(2027, 8, 21),
    ]


def test_bali_overlay_moves_a_deadline():
    received = at("2026-06-16 10:00", WITA)  # Tuesday, 1 Muharam (LN) -> day 0
    plain = WorkingCalendar("Asia/Makassar")
    bali = WorkingCalendar("Asia/Makassar", region="ID-BA")
    assert plain.working_days_after(received, 1) == end_of("2026-06-17", WITA)
    assert bali.working_days_after(received, 1) == end_of("2026-06-18", WITA)


def test_region_codes_are_normalised_and_checked():
    assert WorkingCalendar("Asia/Makassar", region=" id-ba ").region == "ID-BA"
    assert WorkingCalendar("Asia/Jakarta", region="ID-JK").region == "ID-JK"  # no built-in days
    for bad in ("BA", "ID-XX", "ID-BALI", "Bali"):
        with pytest.raises(ValueError, match="region"):
            WorkingCalendar("Asia/Makassar", region=bad)


# -- regional days as data ---------------------------------------------------------------------


def test_extra_regional_days_supplied_as_data():
    umanis = RegionalDay(dt.date(2026, 6, 18), "Umanis Galungan")
    cal = WorkingCalendar("Asia/Makassar", region="ID-BA", regional_days=[umanis])
    assert not cal.is_working_day(dt.date(2026, 6, 18))
    assert NonWorkingDay(umanis.date, umanis.name, DaySource.REGIONAL) in cal.non_working_days(2026)
    received = at("2026-06-16 10:00", WITA)
    assert cal.working_days_after(received, 1) == end_of("2026-06-19", WITA)


def test_regional_days_from_rows_accepts_iso_strings_and_dates():
    rows = [("2026-06-18", " Umanis Galungan "), (dt.date(2026, 2, 14), "Hari Raya Saraswati")]
    assert regional_days_from_rows(rows) == (
        RegionalDay(dt.date(2026, 6, 18), "Umanis Galungan"),
        RegionalDay(dt.date(2026, 2, 14), "Hari Raya Saraswati"),
    )


def test_read_regional_days_from_csv(tmp_path):
    path = tmp_path / "regional.csv"
    path.write_text(
        "date,name\n  # SE Gubernur Bali (contoh)\n\n2026-06-16,Penampahan Galungan\n"
        "2026-06-18,Umanis Galungan\n",
        encoding="utf-8",
    )
    days = read_regional_days(path)
    assert [day.date for day in days] == [dt.date(2026, 6, 16), dt.date(2026, 6, 18)]
    cal = WorkingCalendar("Asia/Makassar", regional_days=days)
    assert not cal.is_working_day(dt.date(2026, 6, 18))


def test_a_regional_day_on_a_national_holiday_is_reported_as_national():
    cal = WorkingCalendar(
        "Asia/Makassar", regional_days=[RegionalDay(dt.date(2026, 6, 16), "Penampahan")]
    )
    listed = {item.date: item.source for item in cal.non_working_days(2026)}
    assert listed[dt.date(2026, 6, 16)] is DaySource.NATIONAL


@pytest.mark.parametrize(
    "content", ["day,name\n2026-06-18,x\n", "date,name\n2026-06-18\n", "date,name\n18/06/2026,x\n"]
)
def test_malformed_regional_csv_is_refused(tmp_path, content):
    path = tmp_path / "regional.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError):
        read_regional_days(path)


def test_regional_day_needs_a_date_and_a_name():
    with pytest.raises(TypeError):
        RegionalDay(dt.datetime(2026, 6, 18, 0, 0), "x")
    with pytest.raises(ValueError):
        RegionalDay(dt.date(2026, 6, 18), " ")


# -- local overrides ---------------------------------------------------------------------------


def test_an_added_day_off_is_not_a_working_day_and_is_listed():
    perbup = Override(dt.date(2026, 11, 23), OverrideKind.ADD, "Hari jadi kabupaten (Perbup)")
    cal = WorkingCalendar("Asia/Jakarta", overrides=[perbup])
    assert not cal.is_working_day(perbup.date)
    assert NonWorkingDay(perbup.date, perbup.reason, DaySource.LOCAL_OVERRIDE) in (
        cal.non_working_days(2026)
    )
    # Fri 20 -> Tue 24, Wed 25, Thu 26 (Mon 23 is off)
    assert cal.working_days_after(at("2026-11-20 15:00"), 3) == end_of("2026-11-26")


def test_a_removed_holiday_becomes_a_working_day_and_leaves_the_list():
    open_on_cb = Override(dt.date(2026, 12, 24), OverrideKind.REMOVE, "Perbup: kantor buka")
    cal = WorkingCalendar("Asia/Jakarta", overrides=[open_on_cb])
    assert cal.is_working_day(dt.date(2026, 12, 24))
    assert dt.date(2026, 12, 24) not in {item.date for item in cal.non_working_days(2026)}
    assert len(cal.non_working_days(2026)) == 24  # 17 LN + 8 CB - 1
    assert cal.working_days_after(at("2026-12-23 09:00"), 1) == end_of("2026-12-24")


def test_an_override_can_open_a_saturday():
    saturday = Override(dt.date(2026, 11, 21), "remove", "Hari kerja pengganti")
    cal = WorkingCalendar("Asia/Jakarta", overrides=[saturday])
    assert saturday.kind is OverrideKind.REMOVE  # plain strings from the DB are accepted
    assert cal.is_working_day(dt.date(2026, 11, 21))
    assert cal.working_days_after(at("2026-11-20 15:00"), 1) == end_of("2026-11-21")


def test_overrides_win_over_the_regional_overlay():
    cal = WorkingCalendar(
        "Asia/Makassar",
        region="ID-BA",
        overrides=[Override(GALUNGAN_2026, OverrideKind.REMOVE, "Kantor buka")],
    )
    assert cal.is_working_day(GALUNGAN_2026)


def test_an_added_day_on_a_national_holiday_keeps_the_national_label():
    cal = WorkingCalendar(
        "Asia/Jakarta", overrides=[Override(dt.date(2026, 12, 25), OverrideKind.ADD, "dobel")]
    )
    listed = {item.date: item.source for item in cal.non_working_days(2026)}
    assert listed[dt.date(2026, 12, 25)] is DaySource.NATIONAL


def test_an_added_day_without_a_reason_gets_a_default_name():
    cal = WorkingCalendar("Asia/Jakarta", overrides=[Override(dt.date(2026, 11, 23), "add")])
    (item,) = [i for i in cal.non_working_days(2026) if i.source is DaySource.LOCAL_OVERRIDE]
    assert item.name == "Hari libur lokal"


def test_conflicting_overrides_on_one_date_are_refused():
    day = dt.date(2026, 11, 23)
    with pytest.raises(ValueError, match="conflicting"):
        WorkingCalendar(
            "Asia/Jakarta",
            overrides=[Override(day, OverrideKind.ADD), Override(day, OverrideKind.REMOVE)],
        )


def test_duplicate_overrides_of_one_kind_merge_their_reasons():
    day = dt.date(2026, 11, 23)
    cal = WorkingCalendar(
        "Asia/Jakarta",
        overrides=[Override(day, OverrideKind.ADD, "a"), Override(day, OverrideKind.ADD, "b")],
    )
    assert cal.overrides == (Override(day, OverrideKind.ADD, "a; b"),)


def test_unknown_override_kind_is_refused():
    with pytest.raises(ValueError):
        Override(dt.date(2026, 11, 23), "holiday")


def test_with_overrides_returns_a_new_calendar_and_leaves_the_old_one():
    base = WorkingCalendar("Asia/Makassar", region="ID-BA")
    monday = dt.date(2026, 11, 23)
    base.working_days_after(at("2026-11-20 15:00"), 3)  # build the old table first
    changed = base.with_overrides([Override(monday, OverrideKind.ADD, "Perbup")])
    assert changed is not base
    assert base.is_working_day(monday) and not changed.is_working_day(monday)
    assert (changed.tz, changed.region) == (base.tz, base.region)
    assert not changed.is_working_day(GALUNGAN_2026)  # overlay kept
    assert base.overrides == ()
    assert base.working_days_after(at("2026-11-20 15:00", WITA), 3) == end_of("2026-11-25", WITA)
    assert changed.working_days_after(at("2026-11-20 15:00", WITA), 3) == end_of("2026-11-26", WITA)


def test_with_overrides_keeps_regional_data_days():
    umanis = RegionalDay(dt.date(2026, 6, 18), "Umanis Galungan")
    cal = WorkingCalendar("Asia/Makassar", regional_days=[umanis]).with_overrides([])
    assert not cal.is_working_day(umanis.date)
