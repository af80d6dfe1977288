"""``/konsol/admin/templat``: reply templates over the replies service — placeholders
explained and checked, edits against the version seen, retire instead of delete."""

from __future__ import annotations

import re

from sqlalchemy import select

from shared.models.routing import ReplyTemplate

from .conftest import csrf_of


async def _open(browser, staff_cookie, role="admin_instansi", opd=None):
    browser.cookies.update(await staff_cookie(role, opd=opd))
    return await browser.get("/konsol/admin/templat")


async def _template(app, title: str) -> ReplyTemplate | None:
    async with app.state.db.session() as session:
        return await session.scalar(select(ReplyTemplate).where(ReplyTemplate.title == title))


async def test_admin_creates_edits_and_retires_a_template(app, browser, staff_cookie) -> None:
    page = await _open(browser, staff_cookie)
    assert page.status_code == 200 and "{nomor}" in page.text  # placeholders explained
    csrf = csrf_of(page.text)
    made = await browser.post(
        "/konsol/admin/templat",
        data={"csrf": csrf, "judul": "Sedang ditinjau", "aksi": ["respond", "request-info"],
              "isi": "Laporan {nomor} tentang {kategori} sedang ditinjau oleh {opd}."},
    )  # fmt: skip
    assert made.status_code == 303
    row = await _template(app, "Sedang ditinjau")
    assert (row.actions, row.version, row.active) == ("respond request-info", 1, True)
    listing = await browser.get(made.headers["location"])
    assert "Templat disimpan." in listing.text and "Beri tanggapan" in listing.text
    edit = await browser.get(f"/konsol/admin/templat/{row.id}")
    assert "Sedang ditinjau" in edit.text and re.search(r'value="respond"\s+checked', edit.text)
    changed = await browser.post(
        f"/konsol/admin/templat/{row.id}",
        data={"csrf": csrf, "versi": "1", "judul": "Sedang ditinjau", "isi": "Baru: {nomor}."},
    )
    assert changed.status_code == 303
    stale = await browser.post(
        f"/konsol/admin/templat/{row.id}",
        data={"csrf": csrf, "versi": "1", "judul": "Lama", "isi": "Lama {nomor}."},
    )
    assert stale.status_code == 409 and "sudah diubah orang lain" in stale.text
    retired = await browser.post(
        f"/konsol/admin/templat/{row.id}/pensiun", data={"csrf": csrf, "versi": "2"}
    )
    assert retired.status_code == 303
    row = await _template(app, "Sedang ditinjau")
    assert (row.body, row.actions, row.active, row.version) == ("Baru: {nomor}.", "", False, 3)


async def test_unknown_placeholder_and_missing_fields_are_refused(
    app, browser, staff_cookie
) -> None:
    csrf = csrf_of((await _open(browser, staff_cookie)).text)
    unknown = await browser.post(
        "/konsol/admin/templat",
        data={"csrf": csrf, "judul": "Salah", "isi": "Halo {nama_pelapor}"},
    )
    assert unknown.status_code == 422 and "penanda yang tidak dikenal" in unknown.text
    assert "Halo {nama_pelapor}" in unknown.text  # what was typed is kept
    empty = await browser.post("/konsol/admin/templat", data={"csrf": csrf, "judul": "Kosong"})
    assert empty.status_code == 422 and "Isi: wajib diisi" in empty.text
    forged = await browser.post(
        "/konsol/admin/templat", data={"csrf": "x", "judul": "Palsu", "isi": "Palsu"}
    )
    assert forged.status_code == 403
    missing = await browser.get("/konsol/admin/templat/99999")
    assert missing.status_code == 404
    for title in ("Salah", "Kosong", "Palsu"):
        assert await _template(app, title) is None


async def test_only_admin_instansi_manages_templates(browser, staff_cookie) -> None:
    for role, opd in (("opd", "PUPR"), ("operator", None), ("viewer", None)):
        browser.cookies.clear()
        page = await _open(browser, staff_cookie, role, opd)
        assert page.status_code == 403, role
