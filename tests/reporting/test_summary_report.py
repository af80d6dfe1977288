"""The performance summary: a May 2026 scenario whose every figure is pinned, on both databases.

Calendar (Asia/Jakarta, no region): Fri 1 May (Hari Buruh), Thu 14 May (Kenaikan) and
Fri 15 May (cuti bersama), Wed 27 May (Idul Adha) and Thu 28 May (cuti bersama) are days off.
Working days count from the receipt's local date (excluded) to the end's (included).
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from shared.calendar import WorkingCalendar
from tests.reporting.factories import add_cases, clock, make_case, utc, wib

MAY = {"from": "2026-05-01", "to": "2026-05-31"}
CAL = WorkingCalendar("Asia/Jakarta")


def scenario() -> dict:
    c = {
        # Received on a Friday; answered Tuesday (2 WD); resolved Monday after the Kenaikan
        # holiday and its cuti bersama (Mon 11, Tue 12, Wed 13, Mon 18 = 4 WD). Clock met.
        "A": make_case(
            wib(2026, 5, 8, 9, 0),
            opd="DINKES",
            category="KESEHATAN",
            channel="web",
            kecamatan="TABANAN",
            status="resolved",
            first_response_at=wib(2026, 5, 12, 10, 0),
            resolved_at=wib(2026, 5, 18, 9, 0),
            rating=5,
        ),
        # Received 00:30 WIB on Wed 13 May (still Tue 12 in UTC): answered the same local day = 0 WD.
        "B": make_case(
            utc(2026, 5, 12, 17, 30),
            opd="DINKES",
            category="KESEHATAN",
            channel="sms",
            kecamatan="TABANAN",
            status="in_progress",
            first_response_at=wib(2026, 5, 13, 15, 0),
        ),
        # Never answered yet.
        "C": make_case(
            wib(2026, 5, 25, 10, 0),
            opd="DISDIK",
            category="PENDIDIKAN",
            channel="web",
            kecamatan="KEDIRI",
            status="disposed",
        ),
        # Fri 22 -> Tue 26 = 2 WD; resolved Fri 29 after Idul Adha + cuti bersama = 3 WD; clock breached.
        "D": make_case(
            wib(2026, 5, 22, 14, 0),
            opd="DUKCAPIL",
            category="ADMINDUK",
            channel="whatsapp",
            kecamatan="KEDIRI",
            status="resolved",
            first_response_at=wib(2026, 5, 26, 9, 0),
            resolved_at=wib(2026, 5, 29, 11, 0),
            rating=3,
        ),
        # Rahasia, archived as incomplete: ended without a resolution, not "not yet resolved".
        "E": make_case(
            wib(2026, 5, 4, 9, 0),
            opd="DINKES",
            category="KESEHATAN",
            channel="web",
            kecamatan="TABANAN",
            status="archived",
            confidential=True,
        ),
        # Midnight WIB on Fri 1 May (a holiday; still 30 April in UTC): in May. Mon 4 = 1 WD, Tue 5 = 2 WD.
        "G": make_case(
            utc(2026, 4, 30, 17, 0),
            opd="DINKES",
            category="KESEHATAN",
            channel="sms",
            kecamatan="TABANAN",
            status="closed",
            first_response_at=wib(2026, 5, 4, 8, 0),
            resolved_at=wib(2026, 5, 5, 8, 0),
            rating=4,
        ),
        # Outside May by one second on each side (local time).
        "F1": make_case(
            utc(2026, 4, 30, 16, 59, 59),
            opd="DINKES",
            category="KESEHATAN",
            channel="web",
            status="received",
        ),
        "F2": make_case(
            utc(2026, 5, 31, 17, 0),
            opd="DINKES",
            category="KESEHATAN",
            channel="web",
            status="received",
        ),
    }
    return c


@pytest.fixture
async def may(db) -> dict:
    cases = scenario()
    await add_cases(db, list(cases.values()))
    await add_cases(
        db,
        [
            clock(cases["A"], state="met"),
            clock(cases["G"], state="met"),
            clock(cases["B"], state="breached", breached=True),
            clock(cases["D"], state="breached", breached=True),
            clock(cases["C"], state="running"),
            clock(cases["E"], kind="verification", state="met", working_days=3),
        ],
    )
    return cases


def test_scenario_durations_agree_with_the_calendar_library() -> None:
    c = scenario()
    between = CAL.working_days_between
    assert between(c["A"].received_at, c["A"].first_response_at) == 2
    assert between(c["A"].received_at, c["A"].resolved_at) == 4
    assert between(c["B"].received_at, c["B"].first_response_at) == 0
    assert between(c["D"].received_at, c["D"].first_response_at) == 2
    assert between(c["D"].received_at, c["D"].resolved_at) == 3
    assert between(c["G"].received_at, c["G"].first_response_at) == 1
    assert between(c["G"].received_at, c["G"].resolved_at) == 2


async def summary(client, headers, **params):
    response = await client.get("/admin/reports/summary", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response


async def test_summary_per_opd_pins_every_figure(client, admin_headers, may) -> None:
    report = (await summary(client, admin_headers, **MAY, group_by="opd")).json()
    assert report["period"] == {"from": "2026-05-01", "to": "2026-05-31"}
    rows = {row["key"]: row for row in report["rows"]}
    assert list(rows) == ["DINKES", "DISDIK", "DUKCAPIL"]
    assert rows["DINKES"] == {
        "key": "DINKES",
        "label": "Dinas Kesehatan",
        "received": 4,
        "not_responded": 1,
        "unresolved": 1,
        "resolved": 2,
        "ended_unresolved": 1,
        "resolved_within_deadline": 2,
        "resolved_within_deadline_pct": 100.0,
        "avg_wd_to_first_response": 1.0,
        "median_wd_to_first_response": 1.0,
        "avg_wd_to_resolution": 3.0,
        "median_wd_to_resolution": 3.0,
        "breaches": 1,
        "satisfaction_avg": 4.5,
        "ratings": 2,
    }
    assert rows["DUKCAPIL"] | {"label": None} == {
        "key": "DUKCAPIL",
        "label": None,
        "received": 1,
        "not_responded": 0,
        "unresolved": 0,
        "resolved": 1,
        "ended_unresolved": 0,
        "resolved_within_deadline": 0,
        "resolved_within_deadline_pct": 0.0,
        "avg_wd_to_first_response": 2.0,
        "median_wd_to_first_response": 2.0,
        "avg_wd_to_resolution": 3.0,
        "median_wd_to_resolution": 3.0,
        "breaches": 1,
        "satisfaction_avg": 3.0,
        "ratings": 1,
    }
    assert rows["DISDIK"] | {"label": None} == {
        "key": "DISDIK",
        "label": None,
        "received": 1,
        "not_responded": 1,
        "unresolved": 1,
        "resolved": 0,
        "ended_unresolved": 0,
        "resolved_within_deadline": 0,
        "resolved_within_deadline_pct": None,
        "avg_wd_to_first_response": None,
        "median_wd_to_first_response": None,
        "avg_wd_to_resolution": None,
        "median_wd_to_resolution": None,
        "breaches": 0,
        "satisfaction_avg": None,
        "ratings": 0,
    }
    assert report["total"] == {
        "key": None,
        "label": "Total",
        "received": 6,
        "not_responded": 2,
        "unresolved": 2,
        "resolved": 3,
        "ended_unresolved": 1,
        "resolved_within_deadline": 2,
        "resolved_within_deadline_pct": 66.7,
        # responses 0, 1, 2, 2: the median of an even count is the mean of the middle two
        "avg_wd_to_first_response": 1.25,
        "median_wd_to_first_response": 1.5,
        "avg_wd_to_resolution": 3.0,
        "median_wd_to_resolution": 3.0,
        "breaches": 2,
        "satisfaction_avg": 4.0,
        "ratings": 3,
    }


async def test_opd_names_label_the_rows(client, admin_headers, may) -> None:
    rows = (await summary(client, admin_headers, **MAY, group_by="opd")).json()["rows"]
    assert all(row["label"] and row["label"] != row["key"] for row in rows)


async def test_months_follow_the_local_date_not_utc(client, admin_headers, may) -> None:
    report = (
        await summary(
            client, admin_headers, **{"from": "2026-04-01", "to": "2026-06-30"}, group_by="month"
        )
    ).json()
    assert [(r["key"], r["received"]) for r in report["rows"]] == [
        ("2026-04", 1),
        ("2026-05", 6),
        ("2026-06", 1),
    ]


async def test_channels_and_kecamatan(client, admin_headers, may) -> None:
    channels = (await summary(client, admin_headers, **MAY, group_by="channel")).json()["rows"]
    assert [(r["key"], r["received"], r["median_wd_to_first_response"]) for r in channels] == [
        ("sms", 2, 0.5),
        ("web", 3, 2.0),
        ("whatsapp", 1, 2.0),
    ]
    areas = (await summary(client, admin_headers, **MAY, group_by="kecamatan")).json()["rows"]
    assert [(r["key"], r["label"], r["received"], r["resolved"]) for r in areas] == [
        ("KEDIRI", "Kediri", 2, 1),
        ("TABANAN", "Tabanan", 4, 2),
    ]


async def test_opd_sees_only_its_own_rows(client, make_token, may) -> None:
    headers = {"Authorization": f"Bearer {await make_token('opd', opd='DUKCAPIL')}"}
    report = (await summary(client, headers, **MAY, group_by="category")).json()
    assert [r["key"] for r in report["rows"]] == ["ADMINDUK"]
    assert report["total"]["received"] == 1
    assert report["scope"] == {"opd": "DUKCAPIL"}


async def test_viewer_may_read_and_apip_may_not(client, make_token, may) -> None:
    viewer = {"Authorization": f"Bearer {await make_token('viewer')}"}
    assert (
        await client.get("/admin/reports/summary", params=MAY, headers=viewer)
    ).status_code == 200
    apip = {"Authorization": f"Bearer {await make_token('apip')}"}
    assert (await client.get("/admin/reports/summary", params=MAY, headers=apip)).status_code == 403
    assert (await client.get("/admin/reports/summary", params=MAY)).status_code == 401


async def test_csv_carries_the_same_figures(client, admin_headers, may) -> None:
    response = await summary(client, admin_headers, **MAY, group_by="opd", format="csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert (
        'filename="laporan-opd-2026-05-01-2026-05-31.csv"'
        in response.headers["content-disposition"]
    )
    lines = response.content.decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    assert header[:4] == ["key", "label", "received", "not_responded"]
    total = dict(zip(header, lines[-1].split(","), strict=True))
    assert (
        total["label"] == "Total"
        and total["received"] == "6"
        and total["median_wd_to_first_response"] == "1.5"
    )


async def test_xlsx_reads_back(client, admin_headers, may) -> None:
    response = await summary(client, admin_headers, **MAY, group_by="opd", format="xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    by_key = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert by_key["DINKES"]["received"] == 4 and by_key["DINKES"]["satisfaction_avg"] == 4.5
    assert by_key[None]["label"] == "Total" and by_key[None]["resolved_within_deadline_pct"] == 66.7


async def test_empty_period_has_zero_totals(client, admin_headers, may) -> None:
    report = (
        await summary(client, admin_headers, **{"from": "2025-01-01", "to": "2025-01-31"})
    ).json()
    assert report["rows"] == []
    assert report["total"]["received"] == 0 and report["total"]["avg_wd_to_resolution"] is None


BAD_REQUESTS = [
    ({"from": "2026-06-01", "to": "2026-05-01"}, "invalid_period", "after"),
    ({"from": "2020-01-01", "to": "2025-01-01"}, "invalid_period", "5 years"),
    ({"from": "2026-13-01"}, "invalid_period", "YYYY-MM-DD"),
    ({"group_by": "desa"}, "invalid_group_by", "kecamatan"),
    ({"format": "pdf"}, "invalid_format", "xlsx"),
]


async def test_bad_requests_answer_422_with_a_reason(client, admin_headers) -> None:
    for params, code, needle in BAD_REQUESTS:
        response = await client.get("/admin/reports/summary", params=params, headers=admin_headers)
        assert response.status_code == 422, params
        error = response.json()["error"]
        assert error["code"] == code and needle in error["message"], params


async def test_five_years_exactly_is_allowed(client, admin_headers) -> None:
    response = await client.get(
        "/admin/reports/summary",
        params={"from": "2020-01-01", "to": "2024-12-31"},
        headers=admin_headers,
    )
    assert response.status_code == 200
