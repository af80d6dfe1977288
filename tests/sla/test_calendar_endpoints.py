"""GET /api/v1/calendar/due and /holidays: public, and exactly as the SLA clocks count."""

from __future__ import annotations

import datetime as dt

from tests.sla.factories import end_of


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


async def due(client, start: str, n: int | str):
    return await client.get("/api/v1/calendar/due", params={"start": start, "working_days": n})


async def test_friday_afternoon_three_working_days_is_wednesday_night(client):
    r = await due(client, "2026-11-20T15:00:00+07:00", 3)
    assert r.status_code == 200, r.text
    body = r.json()
    assert utc(body["due_at"]) == end_of("2026-11-25")
    assert body["due_at_local"].startswith("2026-11-25T23:59:59+07:00")
    assert body["timezone"] == "Asia/Jakarta"
    assert body["calendar_confirmed"] is True
    assert body["unconfirmed_years"] == []


async def test_idul_fitri_and_nyepi_cuti_bersama_are_skipped(client):
    # 18 Mar CB Nyepi, 19 Nyepi, 20 CB, 21-22 Idul Fitri, 23-24 CB: Tuesday 17 -> Wednesday 25.
    r = await due(client, "2026-03-17T10:00:00+07:00", 1)
    assert utc(r.json()["due_at"]) == end_of("2026-03-25")
    r = await due(client, "2026-03-19T10:00:00+07:00", 5)  # received on Nyepi: still day 0
    assert utc(r.json()["due_at"]) == end_of("2026-03-31")


async def test_year_end_skips_christmas_cuti_bersama_and_new_year(client):
    r = await due(client, "2026-12-23T09:00:00Z", 3)  # 24 CB, 25 Natal, weekend
    assert utc(r.json()["due_at"]) == end_of("2026-12-30")
    r = await due(client, "2026-12-30T09:00:00+07:00", 2)  # 31 Dec, (1 Jan), 2 Jan is Saturday
    assert utc(r.json()["due_at"]) == end_of("2027-01-04")


async def test_late_evening_wib_counts_by_the_local_date(client):
    # 23:30 WIB on Thursday is 16:30 UTC the same Thursday: day 0 is Thursday.
    r = await due(client, "2026-11-19T16:30:00Z", 3)
    assert utc(r.json()["due_at"]) == end_of("2026-11-24")


async def test_naive_start_is_read_in_the_pemda_timezone(client):
    naive = (await due(client, "2026-11-19T23:30:00", 3)).json()
    explicit = (await due(client, "2026-11-19T23:30:00+07:00", 3)).json()
    assert naive["due_at"] == explicit["due_at"]
    assert naive["start"].endswith("+07:00")


async def test_a_date_alone_is_a_local_day(client):
    r = await due(client, "2026-11-20", 3)
    assert utc(r.json()["due_at"]) == end_of("2026-11-25")


async def test_plus_sign_lost_in_an_unencoded_query_is_repaired(client):
    r = await client.get("/api/v1/calendar/due?start=2026-11-20T15:00:00+07:00&working_days=3")
    assert r.status_code == 200, r.text
    assert utc(r.json()["due_at"]) == end_of("2026-11-25")


BAD_DUE_INPUT = [
    ("kemarin", 3, "invalid_start"),
    ("2026-02-30T10:00:00+07:00", 3, "invalid_start"),
    ("2026-11-20T25:00:00", 3, "invalid_start"),
    ("", 3, "invalid_start"),
    ("2026-11-20T10:00:00+07:00", 0, "invalid"),
    ("2026-11-20T10:00:00+07:00", -3, "invalid"),
    ("2026-11-20T10:00:00+07:00", 1001, "invalid"),
    ("2026-11-20T10:00:00+07:00", "tiga", "invalid"),
    ("1900-01-02T10:00:00+07:00", 3, "outside_calendar"),
    ("2100-12-01T10:00:00+07:00", 1000, "outside_calendar"),
]


async def test_bad_input_is_422_with_a_reason(client):
    for start, n, code in BAD_DUE_INPUT:
        r = await due(client, start, n)
        assert r.status_code == 422, (start, n, r.text)
        error = r.json()["error"]
        assert error["code"] == code, (start, n, error)
        assert error["message"]


async def test_missing_parameters_are_422(client):
    r = await client.get("/api/v1/calendar/due", params={"start": "2026-11-20T10:00:00+07:00"})
    assert r.status_code == 422
    assert "working_days" in r.json()["error"]["message"]
    r = await client.get("/api/v1/calendar/due", params={"working_days": 3})
    assert r.status_code == 422
    assert "start" in r.json()["error"]["message"]


async def test_holidays_of_2026_with_sources(client):
    r = await client.get("/api/v1/calendar/holidays", params={"year": 2026})
    assert r.status_code == 200
    body = r.json()
    assert body["confirmed"] is True
    days = {d["date"]: d for d in body["days"]}
    assert days["2026-03-19"]["source"] == "national"
    assert days["2026-03-18"]["source"] == "cuti_bersama"
    assert days["2026-03-20"]["source"] == "cuti_bersama"
    assert days["2026-12-25"]["name"] == "Hari Raya Natal"
    assert all(d["date"].startswith("2026-") for d in body["days"])


async def test_holidays_of_a_year_outside_the_table_is_422(client):
    for year in ("1800", "2101", "dua ribu", ""):
        r = await client.get("/api/v1/calendar/holidays", params={"year": year})
        assert r.status_code == 422, year
        assert r.json()["error"]["message"]
