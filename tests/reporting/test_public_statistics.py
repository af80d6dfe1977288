"""The public page ``/statistik`` and its open data: aggregates only, rahasia never described,
small counts per kecamatan suppressed, no personal data anywhere."""

from __future__ import annotations

import csv
import io

import pytest

from tests.reporting.factories import add_cases, make_case, reporter, wib

NAME, PHONE, NIK = "Ni Luh Sekar Wangi", "+6281234567890", "5102034507890001"
SECRET_TITLE = "Pungutan liar kepala sekolah"


async def seed(db) -> None:
    cases = [
        make_case(
            wib(2025, 3, 3, 9),
            opd="PUPR",
            category="JALAN",
            kecamatan="TABANAN",
            status="resolved",
            first_response_at=wib(2025, 3, 5, 9),
            resolved_at=wib(2025, 3, 10, 9),
            title="Jalan berlubang",
        ),
        make_case(
            wib(2025, 3, 4, 9),
            opd="PUPR",
            category="JALAN",
            kecamatan="TABANAN",
            status="in_progress",
            first_response_at=wib(2025, 3, 5, 9),
        ),
        make_case(
            wib(2025, 4, 7, 9), opd="PUPR", category="JALAN", kecamatan="TABANAN", status="disposed"
        ),
        # One case in Marga: shown as "<3".
        make_case(
            wib(2025, 5, 6, 9),
            opd="PDAM",
            category="AIRMINUM",
            kecamatan="MARGA",
            status="resolved",
            first_response_at=wib(2025, 5, 7, 9),
            resolved_at=wib(2025, 5, 8, 9),
        ),
        # Rahasia, in Penebel about school levies: counted, never described.
        make_case(
            wib(2025, 6, 2, 9),
            opd="DISDIK",
            category="PENDIDIKAN",
            kecamatan="PENEBEL",
            status="disposed",
            confidential=True,
            title=SECRET_TITLE,
            description=SECRET_TITLE + " meminta uang",
        ),
    ]
    await add_cases(db, cases)
    await add_cases(db, [reporter(c, name=NAME, phone=PHONE, nik=NIK) for c in cases])


async def test_page_shows_the_year_in_indonesian(client, db) -> None:
    await seed(db)
    response = await client.get("/statistik", params={"tahun": "2025"})
    assert response.status_code == 200
    html = response.text
    assert '<html lang="id">' in html
    assert "Statistik Pengaduan Masyarakat Tahun 2025" in html
    assert "<strong>5</strong>" in html  # received
    assert "<strong>40,0%</strong>" in html  # 2 of 5 resolved
    assert '<figure class="grafik" id="grafik-kategori" role="img"' in html
    assert "<script" not in html and "<style" not in html


async def test_long_labels_are_shown_whole(client, db) -> None:
    """The chart's labels are text that wraps, not cut at a width (the old SVG clipped
    "Dinas Pekerjaan Umum dan Penataan Ruang" to 32 characters)."""
    await seed(db)
    html = (await client.get("/statistik", params={"tahun": "2025"})).text
    assert '<span class="label">Dinas Pekerjaan Umum dan Penataan Ruang</span>' in html
    chart = html.split('id="grafik-opd"')[1].split("</figure>")[0]
    assert 'aria-label="Pengaduan per perangkat daerah: Dinas Pekerjaan Umum' in html
    assert chart.count('<li class="baris">') == 3  # PUPR, PDAM, DISDIK


async def test_statistics_pages_send_the_security_headers(client, db) -> None:
    """As ``/lapor``: no script, styles from this server only, never framed."""
    await seed(db)
    for path in ("/statistik?tahun=2025", "/statistik/gaya.css"):
        response = await client.get(path)
        assert response.status_code == 200
    page = await client.get("/statistik")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert 'href="/statistik/gaya.css"' in page.text


async def test_rahasia_is_counted_but_never_described(client, db) -> None:
    await seed(db)
    html = (await client.get("/statistik", params={"tahun": "2025"})).text
    assert SECRET_TITLE not in html
    assert "Dirahasiakan" in html
    assert "Penebel" not in html  # its place is not shown
    assert "Pendidikan Dasar dan Menengah" not in html  # nor its subject
    assert "Dinas Pendidikan" in html or "DISDIK" in html  # the OPD count still includes it


async def test_no_personal_data_anywhere(client, db) -> None:
    await seed(db)
    for path in ("/statistik?tahun=2025", "/statistik/data.csv?tahun=2025"):
        body = (await client.get(path)).text
        for secret in (NAME, PHONE, NIK, "081234567890", "meminta uang", "Jalan berlubang"):
            assert secret not in body, (path, secret)


async def test_small_kecamatan_counts_are_suppressed(client, db) -> None:
    await seed(db)
    html = (await client.get("/statistik", params={"tahun": "2025"})).text
    assert '<th scope="row">Marga</th><td class="n">&lt;3</td>' in html
    assert '<th scope="row">Tabanan</th><td class="n">3</td>' in html


async def test_open_data_csv(client, db) -> None:
    await seed(db)
    response = await client.get("/statistik/data.csv", params={"tahun": "2025"})
    assert response.status_code == 200
    assert 'filename="statistik-pengaduan-2025.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    total = rows[0]
    assert (total["dimensi"], total["diterima"], total["selesai"], total["persen_selesai"]) == (
        "total",
        "5",
        "2",
        "40.0",
    )
    kec = {r["nama"]: r for r in rows if r["dimensi"] == "kecamatan"}
    assert kec["Marga"]["diterima"] == "<3" and kec["Marga"]["selesai"] == ""
    assert kec["Tabanan"]["diterima"] == "3"
    assert kec["Dirahasiakan"]["diterima"] == "<3"
    months = [r["diterima"] for r in rows if r["dimensi"] == "bulan"]
    assert months == ["0", "0", "2", "1", "1", "1", "0", "0", "0", "0", "0", "0"]


async def test_bad_year_is_422(client) -> None:
    for tahun in ("1999", "abc", "3000"):
        response = await client.get("/statistik", params={"tahun": tahun})
        assert response.status_code == 422
        assert "tahun" in response.json()["error"]["message"]


@pytest.mark.browser
async def test_page_renders_in_a_browser_without_personal_data(db, live_server, browser) -> None:
    await seed(db)
    page = await browser.new_page(java_script_enabled=False)
    response = await page.goto(f"{live_server}/statistik?tahun=2025")
    assert response is not None and response.status == 200
    assert await page.get_attribute("html", "lang") == "id"
    heading = await page.text_content("h1")
    assert heading == "Statistik Pengaduan Masyarakat Tahun 2025"
    assert await page.locator("figure[role=img]").count() == 4
    html = await page.content()
    for secret in (NAME, PHONE, NIK, SECRET_TITLE):
        assert secret not in html
    link = page.get_by_role("link", name="Unduh data 2025 (CSV)")
    assert await link.get_attribute("href") == "/statistik/data.csv?tahun=2025"
    await page.close()


@pytest.mark.browser
async def test_charts_stay_readable_on_a_phone(db, live_server, browser) -> None:
    """At 360 px the label stands above its bar, whole and in a readable size; the page
    does not scroll sideways; on a wide screen label and bar share a line."""
    await seed(db)
    page = await browser.new_page(viewport={"width": 360, "height": 740})
    await page.goto(f"{live_server}/statistik?tahun=2025")
    row = page.locator("#grafik-opd .baris").first
    label, bar = row.locator(".label"), row.locator(".batang")
    assert await label.text_content() == "Dinas Pekerjaan Umum dan Penataan Ruang"
    label_box, bar_box = await label.bounding_box(), await bar.bounding_box()
    assert label_box and bar_box
    assert label_box["y"] + label_box["height"] <= bar_box["y"] + 1  # stacked
    assert bar_box["width"] > 200  # the bar uses the width of the phone
    size = await label.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 14
    assert await label.evaluate("e => e.scrollWidth <= e.clientWidth")  # nothing clipped
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await page.set_viewport_size({"width": 1200, "height": 800})
    label_box, bar_box = await label.bounding_box(), await bar.bounding_box()
    assert label_box and bar_box and abs(label_box["y"] - bar_box["y"]) < label_box["height"]
    await page.close()
