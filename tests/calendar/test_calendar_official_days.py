"""National holidays (LN) and cuti bersama (CB) match the SKB 3 Menteri lists.

The lists below are transcribed from /work/shared/data/holidays.md (section B1), itself
checked against the SKBs: 2025 = 17 LN + 11 CB, 2026 = 17 + 8, 2027 = 18 + 8.
"""

import datetime as dt

import pytest

from shared.calendar import CalendarRangeError, DaySource, WorkingCalendar

OFFICIAL = {
    2025: [
        ("2025-01-01", "LN"),  # Tahun Baru 2025 Masehi
        ("2025-01-27", "LN"),  # Isra Mikraj Nabi Muhammad SAW
        ("2025-01-28", "CB"),  # Tahun Baru Imlek
        ("2025-01-29", "LN"),  # Tahun Baru Imlek 2576 Kongzili
        ("2025-03-28", "CB"),  # Hari Suci Nyepi
        ("2025-03-29", "LN"),  # Hari Suci Nyepi (Tahun Baru Saka 1947)
        ("2025-03-31", "LN"),  # Idul Fitri 1446 H
        ("2025-04-01", "LN"),  # Idul Fitri 1446 H
        ("2025-04-02", "CB"),  # Idul Fitri 1446 H
        ("2025-04-03", "CB"),  # Idul Fitri 1446 H
        ("2025-04-04", "CB"),  # Idul Fitri 1446 H
        ("2025-04-07", "CB"),  # Idul Fitri 1446 H
        ("2025-04-18", "LN"),  # Wafat Yesus Kristus
        ("2025-04-20", "LN"),  # Kebangkitan Yesus Kristus (Paskah)
        ("2025-05-01", "LN"),  # Hari Buruh Internasional
        ("2025-05-12", "LN"),  # Hari Raya Waisak 2569 BE
        ("2025-05-13", "CB"),  # Waisak
        ("2025-05-29", "LN"),  # Kenaikan Yesus Kristus
        ("2025-05-30", "CB"),  # Kenaikan Yesus Kristus
        ("2025-06-01", "LN"),  # Hari Lahir Pancasila
        ("2025-06-06", "LN"),  # Idul Adha 1446 H
        ("2025-06-09", "CB"),  # Idul Adha
        ("2025-06-27", "LN"),  # 1 Muharam Tahun Baru Islam 1447 H
        ("2025-08-17", "LN"),  # Proklamasi Kemerdekaan
        ("2025-08-18", "CB"),  # HUT ke-80 RI (added 7 Aug 2025)
        ("2025-09-05", "LN"),  # Maulid Nabi Muhammad SAW
        ("2025-12-25", "LN"),  # Kelahiran Yesus Kristus
        ("2025-12-26", "CB"),  # Kelahiran Yesus Kristus
    ],
    2026: [
        ("2026-01-01", "LN"),  # Tahun Baru 2026 Masehi
        ("2026-01-16", "LN"),  # Isra Mikraj Nabi Muhammad SAW
        ("2026-02-16", "CB"),  # Tahun Baru Imlek
        ("2026-02-17", "LN"),  # Tahun Baru Imlek 2577 Kongzili
        ("2026-03-18", "CB"),  # Hari Suci Nyepi
        ("2026-03-19", "LN"),  # Hari Suci Nyepi (Tahun Baru Saka 1948)
        ("2026-03-20", "CB"),  # Idul Fitri 1447 H
        ("2026-03-21", "LN"),  # Idul Fitri 1447 H
        ("2026-03-22", "LN"),  # Idul Fitri 1447 H
        ("2026-03-23", "CB"),  # Idul Fitri 1447 H
        ("2026-03-24", "CB"),  # Idul Fitri 1447 H
        ("2026-04-03", "LN"),  # Wafat Yesus Kristus
        ("2026-04-05", "LN"),  # Kebangkitan Yesus Kristus (Paskah)
        ("2026-05-01", "LN"),  # Hari Buruh Internasional
        ("2026-05-14", "LN"),  # Kenaikan Yesus Kristus
        ("2026-05-15", "CB"),  # Kenaikan Yesus Kristus
        ("2026-05-27", "LN"),  # Idul Adha 1447 H
        ("2026-05-28", "CB"),  # Idul Adha
        ("2026-05-31", "LN"),  # Hari Raya Waisak 2570 BE
        ("2026-06-01", "LN"),  # Hari Lahir Pancasila
        ("2026-06-16", "LN"),  # 1 Muharam Tahun Baru Islam 1448 H
        ("2026-08-17", "LN"),  # Proklamasi Kemerdekaan
        ("2026-08-25", "LN"),  # Maulid Nabi Muhammad SAW
        ("2026-12-24", "CB"),  # Kelahiran Yesus Kristus
        ("2026-12-25", "LN"),  # Kelahiran Yesus Kristus
    ],
    2027: [
        ("2027-01-01", "LN"),  # Tahun Baru 2027 Masehi
        ("2027-01-05", "LN"),  # Isra Mikraj Nabi Muhammad SAW (1448 H)
        ("2027-02-05", "CB"),  # Tahun Baru Imlek
        ("2027-02-06", "LN"),  # Tahun Baru Imlek 2578 Kongzili
        ("2027-03-08", "LN"),  # Hari Suci Nyepi (Tahun Baru Saka 1949)
        ("2027-03-09", "CB"),  # Idul Fitri 1448 H
        ("2027-03-10", "LN"),  # Idul Fitri 1448 H
        ("2027-03-11", "LN"),  # Idul Fitri 1448 H
        ("2027-03-12", "CB"),  # Idul Fitri
        ("2027-03-15", "CB"),  # Idul Fitri
        ("2027-03-25", "CB"),  # Wafat Yesus Kristus
        ("2027-03-26", "LN"),  # Wafat Yesus Kristus
        ("2027-03-28", "LN"),  # Kebangkitan Yesus Kristus (Paskah)
        ("2027-05-01", "LN"),  # Hari Buruh Internasional
        ("2027-05-06", "LN"),  # Kenaikan Yesus Kristus
        ("2027-05-17", "LN"),  # Idul Adha 1448 H
        ("2027-05-18", "CB"),  # Idul Adha
        ("2027-05-19", "CB"),  # Waisak
        ("2027-05-20", "LN"),  # Hari Raya Waisak 2571 BE
        ("2027-06-01", "LN"),  # Hari Lahir Pancasila
        ("2027-06-06", "LN"),  # 1 Muharam Tahun Baru Islam 1449 H
        ("2027-08-15", "LN"),  # Maulid Nabi Muhammad SAW
        ("2027-08-17", "LN"),  # Proklamasi Kemerdekaan
        ("2027-12-24", "CB"),  # Kelahiran Yesus Kristus
        ("2027-12-25", "LN"),  # Kelahiran Yesus Kristus
        ("2027-12-26", "LN"),  # Isra Mikraj Nabi Muhammad SAW (1449 H)
    ],
}
EXPECTED_COUNTS = {2025: (17, 11), 2026: (17, 8), 2027: (18, 8)}
SOURCE = {"LN": DaySource.NATIONAL, "CB": DaySource.CUTI_BERSAMA}

CAL = WorkingCalendar("Asia/Jakarta")


def test_transcribed_lists_have_the_skb_counts():
    for year, (ln, cb) in EXPECTED_COUNTS.items():
        kinds = [kind for _, kind in OFFICIAL[year]]
        assert (kinds.count("LN"), kinds.count("CB")) == (ln, cb)


@pytest.mark.parametrize("year", sorted(OFFICIAL))
def test_every_official_day_is_listed_with_its_source(year):
    listed = {item.date: item.source for item in CAL.non_working_days(year)}
    expected = {dt.date.fromisoformat(day): SOURCE[kind] for day, kind in OFFICIAL[year]}
    assert listed == expected


@pytest.mark.parametrize("year", sorted(OFFICIAL))
def test_counts_match_including_holidays_on_weekends(year):
    days = CAL.non_working_days(year)
    national = sum(item.source is DaySource.NATIONAL for item in days)
    cuti_bersama = sum(item.source is DaySource.CUTI_BERSAMA for item in days)
    assert (national, cuti_bersama) == EXPECTED_COUNTS[year]
    assert any(item.date.weekday() >= 5 for item in days)  # e.g. 2026-03-21/22 still listed


@pytest.mark.parametrize("year", sorted(OFFICIAL))
def test_official_days_are_not_working_days(year):
    for day, _ in OFFICIAL[year]:
        assert not CAL.is_working_day(dt.date.fromisoformat(day))


def test_names_are_bahasa_indonesia_from_the_package():
    names = {item.date: item.name for item in CAL.non_working_days(2026)}
    assert names[dt.date(2026, 3, 19)] == "Hari Suci Nyepi"
    assert names[dt.date(2026, 3, 20)] == "Cuti Bersama Hari Raya Idul Fitri"
    assert names[dt.date(2026, 12, 25)] == "Hari Raya Natal"


def test_list_is_sorted_by_date():
    dates = [item.date for item in CAL.non_working_days(2027)]
    assert dates == sorted(dates)


def test_ordinary_weekdays_and_weekends():
    assert CAL.is_working_day(dt.date(2026, 11, 20))  # a plain Friday
    assert not CAL.is_working_day(dt.date(2026, 11, 21))  # Saturday
    assert not CAL.is_working_day(dt.date(2026, 11, 22))  # Sunday


def test_years_with_an_skb_in_the_package_are_confirmed():
    assert CAL.is_confirmed(2025)
    assert CAL.is_confirmed(2026)
    assert CAL.is_confirmed(2027)
    assert CAL.unconfirmed_years(2025, 2027) == []


def test_years_without_cuti_bersama_data_are_unconfirmed():
    assert not CAL.is_confirmed(2030)
    unconfirmed = CAL.unconfirmed_years(2025, 2035)
    assert 2030 in unconfirmed
    assert unconfirmed == sorted(unconfirmed)
    assert all(year >= 2028 for year in unconfirmed)


def test_years_outside_the_calendar_are_refused():
    with pytest.raises(CalendarRangeError):
        CAL.non_working_days(1960)
    with pytest.raises(CalendarRangeError):
        CAL.is_confirmed(2101)
    with pytest.raises(CalendarRangeError):
        CAL.is_working_day(dt.date(2150, 1, 5))
