"""The semester evaluation (Perbup: every six months): pinned figures of a two-semester
scenario, the trend against the previous semester, files, bad input and roles."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.reporting.evaluation_scenario import seed_two_semesters

URL = "/admin/reports/evaluation"
S1_2026 = {"year": "2026", "semester": "1"}


@pytest.fixture
async def scenario(db) -> dict:
    return await seed_two_semesters(db)


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def pick(row: dict, *keys: str) -> dict:
    return {k: row[k] for k in keys}


FIGS = (
    "received",
    "resolved",
    "resolved_pct",
    "resolved_within_deadline",
    "resolved_within_deadline_pct",
    "breaches",
    "satisfaction_avg",
    "ratings",
)


async def test_csv_pins_the_semester_the_previous_one_and_the_delta(
    client, admin_headers, scenario
) -> None:
    response = await client.get(URL, params=S1_2026 | {"format": "csv"}, headers=admin_headers)
    assert response.status_code == 200, response.text
    assert 'filename="evaluasi-2026-semester-1.csv"' in response.headers["content-disposition"]
    rows = csv_rows(response)
    by = {(r["section"], r["key"]): r for r in rows}
    assert pick(by["total", ""], "label", *FIGS) == {
        "label": "Semester I 2026",
        "received": "7",
        "resolved": "5",
        "resolved_pct": "71.4",
        "resolved_within_deadline": "4",
        "resolved_within_deadline_pct": "80.0",
        "breaches": "2",
        "satisfaction_avg": "3.6",
        "ratings": "5",
    }
    assert pick(by["previous", ""], "label", *FIGS) == {
        "label": "Semester II 2025",
        "received": "4",
        "resolved": "2",
        "resolved_pct": "50.0",
        "resolved_within_deadline": "1",
        "resolved_within_deadline_pct": "50.0",
        "breaches": "2",
        "satisfaction_avg": "3.0",
        "ratings": "2",
    }
    assert pick(by["delta", ""], *FIGS) == {
        "received": "3",
        "resolved": "3",
        "resolved_pct": "21.4",
        "resolved_within_deadline": "3",
        "resolved_within_deadline_pct": "30.0",
        "breaches": "0",
        "satisfaction_avg": "0.6",
        "ratings": "3",
    }
    assert pick(by["opd", "DINKES"], *FIGS) == {
        "received": "4",
        "resolved": "4",
        "resolved_pct": "100.0",
        "resolved_within_deadline": "3",
        "resolved_within_deadline_pct": "75.0",
        "breaches": "1",
        "satisfaction_avg": "4.25",
        "ratings": "4",
    }
    assert pick(by["opd", "PUPR"], *FIGS) == {
        "received": "2",
        "resolved": "1",
        "resolved_pct": "50.0",
        "resolved_within_deadline": "1",
        "resolved_within_deadline_pct": "100.0",
        "breaches": "1",
        "satisfaction_avg": "1.0",
        "ratings": "1",
    }
    assert pick(by["opd", "DISDIK"], "received", "resolved", "resolved_pct", "ratings") == {
        "received": "1",
        "resolved": "0",
        "resolved_pct": "0.0",
        "ratings": "0",
    }
    categories = [(r["key"], r["received"]) for r in rows if r["section"] == "category"]
    assert categories[0] == ("KESEHATAN", "4")
    assert sorted(categories) == [("JALAN", "2"), ("KESEHATAN", "4"), ("PENDIDIKAN", "1")]


async def test_second_semester_compares_with_the_first(client, admin_headers, scenario) -> None:
    response = await client.get(
        URL, params={"year": "2026", "semester": "2", "format": "csv"}, headers=admin_headers
    )
    by = {(r["section"], r["key"]): r for r in csv_rows(response)}
    assert by["total", ""]["received"] == "1"  # 1 July 2026, 00:00 WIB
    assert by["previous", ""]["label"] == "Semester I 2026"
    assert by["delta", ""]["received"] == "-6"


async def test_html_is_a_printable_indonesian_page(client, admin_headers, scenario) -> None:
    response = await client.get(URL, params=S1_2026, headers=admin_headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<html lang="id">' in html and "<script" not in html and "<style" not in html
    assert '<link rel="stylesheet" href="/statistik/gaya.css">' in html
    assert "@media print" in (await client.get("/statistik/gaya.css")).text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "Evaluasi Pengelolaan Pengaduan Masyarakat Semester I 2026" in html
    assert "dibandingkan dengan Semester II 2025" in html
    trend = html.split('id="tren-resolved_pct"')[1].split("</tr>")[0]
    assert "71,4%" in trend and "50,0%" in trend and "+21,4" in trend
    assert "Kepuasan pelapor" in html and "Pelanggaran batas waktu" in html


async def test_xlsx_reads_back(client, admin_headers, scenario) -> None:
    response = await client.get(URL, params=S1_2026 | {"format": "xlsx"}, headers=admin_headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "Evaluasi"
    values = list(sheet.iter_rows(values_only=True))
    header = values[0]
    rows = [dict(zip(header, v, strict=True)) for v in values[1:]]
    total = rows[0]
    assert (total["section"], total["received"], total["resolved_pct"]) == ("total", 7, 71.4)
    assert rows[2]["section"] == "delta" and rows[2]["satisfaction_avg"] == 0.6
    dinkes = next(r for r in rows if r["section"] == "opd" and r["key"] == "DINKES")
    assert [dinkes[f"rating_{n}"] for n in range(1, 6)] == [0, 0, 1, 1, 2]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"semester": "1"}, "invalid_year"),
        ({"year": "abc", "semester": "1"}, "invalid_year"),
        ({"year": "1999", "semester": "1"}, "invalid_year"),
        ({"year": "2999", "semester": "1"}, "invalid_year"),
        ({"year": "2026"}, "invalid_semester"),
        ({"year": "2026", "semester": "3"}, "invalid_semester"),
        ({"year": "2026", "semester": "1", "format": "pdf"}, "invalid_format"),
    ],
)
async def test_bad_input_is_422_with_a_reason(client, admin_headers, params, code) -> None:
    response = await client.get(URL, params=params, headers=admin_headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]


def test_a_semester_not_yet_begun_is_refused() -> None:
    import datetime as dt

    from services.sla.reports.evaluation.service import parse_semester
    from shared.errors import Unprocessable

    assert parse_semester("2026", "1", dt.date(2026, 1, 1)) == (2026, 1)
    with pytest.raises(Unprocessable, match="Semester II 2026 has not begun"):
        parse_semester("2026", "2", dt.date(2026, 6, 30))


async def test_roles(client, make_token) -> None:
    async def headers(role: str, opd: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {await make_token(role, opd)}"}

    viewer = await client.get(URL, params=S1_2026, headers=await headers("viewer"))
    assert viewer.status_code == 200
    for role, opd in (("opd", "DINKES"), ("apip", None), ("operator", None)):
        h = await headers(role, opd)
        assert (await client.get(URL, params=S1_2026, headers=h)).status_code == 403
        publish = await client.post(f"{URL}/publish", json={"year": 2026, "semester": 1}, headers=h)
        assert publish.status_code == 403
    publish = await client.post(
        f"{URL}/publish", json={"year": 2026, "semester": 1}, headers=await headers("viewer")
    )
    assert publish.status_code == 403
    assert (await client.get(URL, params=S1_2026)).status_code == 401
