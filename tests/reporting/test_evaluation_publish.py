"""Publishing a semester evaluation with one action: an audited snapshot of aggregates only,
listed and shown on ``/statistik`` without login, with the same suppression as the page."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from shared.models import Event
from shared.models.reporting import PublishedEvaluation
from tests.reporting.evaluation_scenario import NAME, NIK, PHONE, SECRET_TITLE, seed_two_semesters

PUBLISH = "/admin/reports/evaluation/publish"


@pytest.fixture
async def scenario(db) -> dict:
    return await seed_two_semesters(db)


async def publish(client, headers, year=2026, semester=1):
    response = await client.post(
        PUBLISH, json={"year": year, "semester": semester}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_publish_is_audited_and_stores_a_snapshot(
    client, admin_headers, db, scenario
) -> None:
    body = await publish(client, admin_headers)
    assert body["url"] == "/statistik/evaluasi/2026-1"
    await publish(client, admin_headers)  # publishing again replaces the snapshot
    async with db.session() as session:
        rows = (await session.execute(select(PublishedEvaluation))).scalars().all()
        events = (
            (await session.execute(select(Event).where(Event.subject_type == "evaluation")))
            .scalars()
            .all()
        )
    assert [(r.year, r.semester) for r in rows] == [(2026, 1)]
    assert rows[0].published_by == "admin_instansi-all"
    assert rows[0].figures["total"]["received"] == 7
    assert [(e.type, e.subject_id, e.data["republished"]) for e in events] == [
        ("report.evaluation_published", "2026-1", False),
        ("report.evaluation_published", "2026-1", True),
    ]


async def test_published_evaluation_is_public_without_personal_data(
    client, admin_headers, scenario
) -> None:
    index = await client.get("/statistik", params={"tahun": "2026"})
    assert "Belum ada evaluasi yang diterbitkan." in index.text
    await publish(client, admin_headers)
    index = await client.get("/statistik", params={"tahun": "2026"})
    assert '<a href="/statistik/evaluasi/2026-1">Evaluasi Semester I 2026</a>' in index.text

    page = await client.get("/statistik/evaluasi/2026-1")  # no credentials
    assert page.status_code == 200
    html = page.text
    assert '<html lang="id">' in html and "<script" not in html
    assert "Evaluasi Pengelolaan Pengaduan Masyarakat Semester I 2026" in html
    for secret in (NAME, PHONE, NIK, "081398765432", SECRET_TITLE, "meminta uang", "Penebel"):
        assert secret not in html, secret
    assert "Dirahasiakan" in html
    # Satisfaction from fewer than 3 ratings is suppressed (PUPR: 1 rating), DINKES shown.
    pupr = html.split('id="kepuasan-PUPR"')[1].split("</tr>")[0]
    assert "&lt;3" in pupr and "1,0" not in pupr
    dinkes = html.split('id="kepuasan-DINKES"')[1].split("</tr>")[0]
    assert "4,2" in dinkes  # 4.25 shown with one decimal

    data = await client.get("/statistik/evaluasi/2026-1/data.csv")
    assert data.status_code == 200
    for secret in (NAME, PHONE, NIK, SECRET_TITLE, "PENEBEL"):
        assert secret not in data.text
    rows = list(csv.DictReader(io.StringIO(data.content.decode("utf-8-sig"))))
    kec = {r["key"]: r for r in rows if r["section"] == "kecamatan"}
    assert kec["TABANAN"]["received"] == "3"
    assert (kec["MARGA"]["received"], kec["MARGA"]["resolved"]) == ("<3", "")
    assert kec["KEDIRI"]["received"] == "<3" and kec["RAHASIA"]["received"] == "<3"
    categories = {r["key"]: r["received"] for r in rows if r["section"] == "category"}
    assert categories == {"KESEHATAN": "4", "JALAN": "2", "RAHASIA": "1"}
    by = {(r["section"], r["key"]): r for r in rows}
    assert by["opd", "PUPR"]["ratings"] == "<3" and by["opd", "PUPR"]["satisfaction_avg"] == ""
    assert by["total", ""]["satisfaction_avg"] == "3.6"
    assert by["previous", ""]["ratings"] == "<3"  # 2 ratings in Semester II 2025
    assert by["delta", ""]["satisfaction_avg"] == ""  # no comparison against a hidden figure
    assert by["delta", ""]["received"] == "3"


async def test_snapshot_does_not_change_with_later_cases(
    client, admin_headers, db, scenario
) -> None:
    from tests.reporting.factories import add_cases, make_case, wib

    await publish(client, admin_headers)
    await add_cases(db, [make_case(wib(2026, 2, 2, 10), opd="DINKES", category="KESEHATAN")])
    html = (await client.get("/statistik/evaluasi/2026-1")).text
    received = html.split('id="tren-received"')[1].split("</tr>")[0]
    assert '<td class="n">7</td>' in received


async def test_unpublished_or_malformed_references(client, admin_headers) -> None:
    missing = await client.get("/statistik/evaluasi/2025-2")
    assert missing.status_code == 404
    assert "belum diterbitkan" in missing.json()["error"]["message"]
    for ref in ("2025", "2025-3", "abcd-1", "2025-1.csv"):
        response = await client.get(f"/statistik/evaluasi/{ref}")
        assert response.status_code == 422, ref
    bad = await client.post(PUBLISH, json={"year": 2026, "semester": 5}, headers=admin_headers)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_semester"
    bad = await client.post(PUBLISH, json={"year": 1990, "semester": 1}, headers=admin_headers)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_year"
    bad = await client.post(PUBLISH, json={"year": 2026}, headers=admin_headers)
    assert bad.status_code == 422


@pytest.mark.browser
async def test_published_page_prints_in_a_browser(db, live_server, browser, make_token) -> None:
    import httpx

    await seed_two_semesters(db)
    headers = {"Authorization": f"Bearer {await make_token('admin_instansi')}"}
    async with httpx.AsyncClient(base_url=live_server) as http:
        response = await http.post(PUBLISH, json={"year": 2026, "semester": 1}, headers=headers)
        assert response.status_code == 201, response.text
    page = await browser.new_page(java_script_enabled=False)
    await page.emulate_media(media="print")
    response = await page.goto(f"{live_server}/statistik/evaluasi/2026-1")
    assert response is not None and response.status == 200
    assert await page.get_attribute("html", "lang") == "id"
    assert await page.text_content("h1") == (
        "Evaluasi Pengelolaan Pengaduan Masyarakat Semester I 2026"
    )
    assert not await page.locator("a[download]").is_visible()  # screen-only link hidden in print
    html = await page.content()
    for secret in (NAME, PHONE, NIK, SECRET_TITLE):
        assert secret not in html
    await page.close()
