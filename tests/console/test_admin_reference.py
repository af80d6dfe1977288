"""Editing an OPD or a category from its own page (``/konsol/admin/{opd,kategori}/{code}``):
the reference PATCH's checks, version and audit event; stale or bad input told, not saved."""

from __future__ import annotations

from sqlalchemy import select

from shared.models import Category, Opd
from shared.models.events import Event

from .conftest import csrf_of


async def _as(browser, staff_cookie, role: str = "admin_instansi") -> None:
    browser.cookies.clear()
    browser.cookies.update(await staff_cookie(role))


async def _row(app, model, code: str):
    async with app.state.db.session() as session:
        return await session.get(model, code)


async def _updates(app, subject: str, code: str) -> list[Event]:
    async with app.state.db.session() as session:
        found = await session.scalars(
            select(Event).where(
                Event.subject_type == subject,
                Event.subject_id == code,
                Event.type.like("%.updated"),
            )
        )
        return list(found.all())


async def test_an_opd_is_edited_against_the_version_seen(app, browser, staff_cookie) -> None:
    await _as(browser, staff_cookie)
    listing = await browser.get("/konsol/admin/opd")
    assert 'href="/konsol/admin/opd/PUPR"' in listing.text
    page = await browser.get("/konsol/admin/opd/PUPR")
    assert (
        page.status_code == 200 and 'value="Dinas Pekerjaan Umum dan Penataan Ruang"' in page.text
    )
    csrf = csrf_of(page.text)
    edit = {"csrf": csrf, "versi": "1", "nama": "Dinas PUPR", "jenis": "dinas", "induk": "SETDA",
            "penanggung_jawab": "Ir. Made Budi", "kontak": "0361-123456"}  # fmt: skip
    assert (await browser.post("/konsol/admin/opd/PUPR", data=edit)).status_code == 303
    row = await _row(app, Opd, "PUPR")
    assert (row.name, row.parent_code, row.penanggung_jawab, row.contact, row.version) == (
        "Dinas PUPR", "SETDA", "Ir. Made Budi", "0361-123456", 2,
    )  # fmt: skip
    (event,) = await _updates(app, "opd", "PUPR")
    assert event.data["after"]["penanggung_jawab"] == "Ir. Made Budi"
    assert event.actor_role == "admin_instansi"
    stale = await browser.post("/konsol/admin/opd/PUPR", data={**edit, "nama": "Lama"})
    assert stale.status_code == 409 and "sudah diubah orang lain" in stale.text
    assert 'value="Dinas PUPR"' in stale.text and 'name="versi" value="2"' in stale.text
    for change, reason in (
        ({"nama": ""}, "Nama: wajib diisi"),
        ({"induk": "PUPR"}, "Induk: tidak sah"),
        ({"induk": "ENTAH"}, "Induk: tidak sah"),
        ({"kontak": "x" * 201}, "Kontak: terlalu panjang"),
    ):
        refused = await browser.post(
            "/konsol/admin/opd/PUPR", data={**edit, "versi": "2", **change}
        )
        assert refused.status_code == 422 and reason in refused.text, change
    forged = await browser.post("/konsol/admin/opd/PUPR", data={**edit, "versi": "2", "csrf": "x"})
    assert forged.status_code == 403
    assert (await browser.get("/konsol/admin/opd/TIDAKADA")).status_code == 404
    missing = await browser.post("/konsol/admin/opd/TIDAKADA", data=edit)
    assert missing.status_code == 404 and "OPD tidak ditemukan" in missing.text
    # clearing the optional fields (blank) is a change too; nothing else moved meanwhile
    cleared = {**edit, "versi": "2", "nama": "Dinas PUPR", "induk": "", "penanggung_jawab": "",
               "kontak": ""}  # fmt: skip
    assert (await browser.post("/konsol/admin/opd/PUPR", data=cleared)).status_code == 303
    row = await _row(app, Opd, "PUPR")
    assert (row.parent_code, row.penanggung_jawab, row.contact, row.version) == (
        None,
        None,
        None,
        3,
    )
    assert len(await _updates(app, "opd", "PUPR")) == 2


async def test_a_category_is_edited_and_a_reader_may_not(app, browser, staff_cookie) -> None:
    await _as(browser, staff_cookie)
    page = await browser.get("/konsol/admin/kategori/KESEHATAN")
    assert page.status_code == 200 and 'value="puskesmas; bpjs; obat' in page.text
    csrf = csrf_of(page.text)
    edit = {"csrf": csrf, "versi": "1", "nama": "Kesehatan", "opd_bawaan": "DINKES",
            "jenis_bawaan": "pengaduan", "kelas_bawaan": "lapangan",
            "kata_kunci": "puskesmas; rumah sakit", "disposisi_otomatis": "1"}  # fmt: skip
    assert (await browser.post("/konsol/admin/kategori/KESEHATAN", data=edit)).status_code == 303
    row = await _row(app, Category, "KESEHATAN")
    assert (row.default_sla_class, row.keywords, row.auto_dispose, row.version) == (
        "lapangan", "puskesmas;rumah sakit", True, 2,
    )  # fmt: skip
    assert len(await _updates(app, "category", "KESEHATAN")) == 1
    bad = await browser.post(
        "/konsol/admin/kategori/KESEHATAN", data={**edit, "versi": "2", "kelas_bawaan": "besok"}
    )
    assert bad.status_code == 422 and "Kelas waktu bawaan: tidak sah" in bad.text
    await _as(browser, staff_cookie, "viewer")
    listing = await browser.get("/konsol/admin/kategori")
    assert listing.status_code == 200 and '/konsol/admin/kategori/KESEHATAN"' not in listing.text
    assert (await browser.get("/konsol/admin/kategori/KESEHATAN")).status_code == 403
    refused = await browser.post(
        "/konsol/admin/kategori/KESEHATAN",
        data={**edit, "csrf": csrf_of(listing.text), "versi": "2", "kelas_bawaan": "informasi"},
    )
    assert refused.status_code == 403
    row = await _row(app, Category, "KESEHATAN")
    assert (row.default_sla_class, row.version) == ("lapangan", 2)
