"""``/konsol/admin/aturan``: routing rules over the rules service, with the dry run shown
beside each rule; ``/konsol/admin/hari-libur``: holiday overrides over the calendar flows;
``/konsol/admin/aplikasi``: local apps' API keys — each with its refusals and roles."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

import httpx
from sqlalchemy import select

from shared.models.events import Event
from shared.models.identity import ClientApp
from shared.models.routing import RoutingRule
from shared.models.sla import HolidayOverride

from .conftest import csrf_of

KEY = re.compile(r'<p class="kunci"><code>([^<]+)</code>')


async def _as(browser, staff_cookie, role: str = "admin_instansi", opd: str | None = None):
    browser.cookies.clear()
    browser.cookies.update(await staff_cookie(role, opd=opd))


async def _rule_form(browser, csrf: str, **fields) -> httpx.Response:
    data = {"csrf": csrf, "nama": "Jalan rusak ke PUPR", "syarat_keywords": "jalan rusak; aspal",
            "opd_tujuan": "PUPR", **fields}  # fmt: skip
    return await browser.post("/konsol/admin/aturan", data=data)


async def test_rules_with_the_dry_run_beside_each(app, browser, staff_cookie) -> None:
    await _as(browser, staff_cookie)
    csrf = csrf_of((await browser.get("/konsol/admin/aturan")).text)
    assert (await _rule_form(browser, csrf)).status_code == 303
    second = await _rule_form(
        browser, csrf, nama="Puskesmas", syarat_keywords="puskesmas", opd_tujuan="DINKES",
        syarat_channel=["sms", "whatsapp"],
    )  # fmt: skip
    assert second.status_code == 303
    example = {"uji_teks": "Jalan rusak di depan pasar", "uji_kanal": "sms"}
    page = await browser.get(f"/konsol/admin/aturan?{urlencode(example)}")
    assert page.status_code == 200
    assert "disarankan ke <strong>Dinas Pekerjaan Umum dan Penataan Ruang</strong>" in page.text
    assert "cocok — dipakai" in page.text
    assert "tidak diperiksa (aturan di atasnya sudah cocok)" in page.text
    other = {"uji_teks": "Obat habis di puskesmas", "uji_kanal": "web", "uji_kategori": "KESEHATAN"}
    page = await browser.get(f"/konsol/admin/aturan?{urlencode(other)}")
    assert "tidak cocok: Kata kunci" in page.text and "tidak cocok: Kanal" in page.text
    assert "OPD bawaan kategori" in page.text


async def test_bad_rules_are_refused_and_changes_check_the_version(app, browser, staff_cookie):
    await _as(browser, staff_cookie)
    csrf = csrf_of((await browser.get("/konsol/admin/aturan")).text)
    bare = await _rule_form(browser, csrf, syarat_keywords="")
    assert bare.status_code == 422 and "paling sedikit satu syarat" in bare.text
    nowhere = await _rule_form(browser, csrf, opd_tujuan="TIDAKADA")
    assert nowhere.status_code == 422 and "Perangkat daerah tidak dikenal" in nowhere.text
    long_test = await browser.get("/konsol/admin/aturan?" + urlencode({"uji_teks": "x" * 20001}))
    assert long_test.status_code == 200 and "Teks laporan: terlalu panjang" in long_test.text
    assert (await _rule_form(browser, csrf)).status_code == 303
    async with app.state.db.session() as session:
        rule = await session.scalar(select(RoutingRule))
    off = await browser.post(
        f"/konsol/admin/aturan/{rule.id}/aktif", data={"csrf": csrf, "versi": "1"}
    )
    assert off.status_code == 303
    stale = await browser.post(
        f"/konsol/admin/aturan/{rule.id}/aktif", data={"csrf": csrf, "versi": "1", "aktif": "1"}
    )
    assert stale.status_code == 409 and "sudah diubah orang lain" in stale.text
    async with app.state.db.session() as session:
        assert (await session.get(RoutingRule, rule.id)).active is False  # kept, not deleted


async def test_rule_readers_and_writers(browser, staff_cookie) -> None:
    await _as(browser, staff_cookie, "viewer")
    page = await browser.get("/konsol/admin/aturan")
    assert page.status_code == 200 and "Aturan baru" not in page.text
    assert (await _rule_form(browser, csrf_of(page.text))).status_code == 403
    await _as(browser, staff_cookie, "opd", "PUPR")
    assert (await browser.get("/konsol/admin/aturan")).status_code == 403


async def _rules(app) -> list[RoutingRule]:
    async with app.state.db.session() as session:
        return list(await session.scalars(select(RoutingRule).order_by(RoutingRule.position)))


async def _rule_events(app, kind: str) -> int:
    async with app.state.db.session() as session:
        found = await session.scalars(select(Event).where(Event.type == f"routing_rule.{kind}"))
        return len(found.all())


async def test_a_rule_is_edited_with_its_dry_run_beside_it(app, browser, staff_cookie) -> None:
    await _as(browser, staff_cookie)
    csrf = csrf_of((await browser.get("/konsol/admin/aturan")).text)
    assert (await _rule_form(browser, csrf)).status_code == 303
    (rule,) = await _rules(app)
    listing = await browser.get("/konsol/admin/aturan")
    assert f'href="/konsol/admin/aturan/{rule.id}"' in listing.text
    example = urlencode({"uji_teks": "Jalan rusak dekat pasar"})
    page = await browser.get(f"/konsol/admin/aturan/{rule.id}?{example}")
    assert page.status_code == 200 and 'value="jalan rusak; aspal"' in page.text
    assert "Aturan ini pada uji coba:</strong>\ncocok — dipakai" in page.text
    assert "disarankan ke <strong>Dinas Pekerjaan Umum" in page.text
    url = f"/konsol/admin/aturan/{rule.id}"
    edit = {"csrf": csrf, "versi": "1", "nama": "Jalan dan jembatan", "opd_tujuan": "PUPR",
            "syarat_keywords": "jalan rusak; jembatan", "syarat_channel": ["sms"]}  # fmt: skip
    assert (await browser.post(url, data=edit)).status_code == 303
    (saved,) = await _rules(app)
    assert (saved.name, saved.version) == ("Jalan dan jembatan", 2)
    assert saved.conditions == {"keywords": ["jalan rusak", "jembatan"], "channel": ["sms"]}
    assert await _rule_events(app, "updated") == 1
    # someone else's edit in between: told, and the page shows the rule as it now is
    stale = await browser.post(url, data={**edit, "nama": "Lama"})
    assert stale.status_code == 409 and "sudah diubah orang lain" in stale.text
    assert 'value="Jalan dan jembatan"' in stale.text and 'name="versi" value="2"' in stale.text
    for change, status, reason in (
        ({"nama": ""}, 422, "Nama aturan: wajib diisi"),
        ({"opd_tujuan": "TIDAKADA"}, 422, "Perangkat daerah tidak dikenal"),
        ({"syarat_keywords": "", "syarat_channel": []}, 422, "paling sedikit satu syarat"),
        ({"syarat_kecamatan": ["ENTAH"]}, 422, "Kecamatan tidak dikenal"),
        ({"versi": "dua"}, 422, "Versi: harus berupa angka"),
    ):
        refused = await browser.post(url, data={**edit, "versi": "2", **change})
        assert refused.status_code == status and reason in refused.text, change
    forged = await browser.post(url, data={**edit, "versi": "2", "csrf": "palsu"})
    assert forged.status_code == 403
    assert (await browser.get("/konsol/admin/aturan/999999")).status_code == 404
    (kept,) = await _rules(app)
    assert (kept.name, kept.version, await _rule_events(app, "updated")) == (saved.name, 2, 1)


async def test_rules_move_up_and_down_through_the_reorder(app, browser, staff_cookie) -> None:
    await _as(browser, staff_cookie)
    csrf = csrf_of((await browser.get("/konsol/admin/aturan")).text)
    for name, keywords in (("A", "aspal"), ("B", "lampu"), ("C", "banjir")):
        assert (
            await _rule_form(browser, csrf, nama=name, syarat_keywords=keywords)
        ).status_code == 303
    a, b, c = await _rules(app)
    listing = await browser.get("/konsol/admin/aturan")
    assert f"/aturan/{c.id}/naik" in listing.text and f"/aturan/{c.id}/turun" not in listing.text
    up = await browser.post(f"/konsol/admin/aturan/{c.id}/naik", data={"csrf": csrf, "versi": "1"})
    assert up.status_code == 303
    assert [r.name for r in await _rules(app)] == ["A", "C", "B"]
    assert await _rule_events(app, "reordered") == 1
    top = await browser.post(f"/konsol/admin/aturan/{a.id}/naik", data={"csrf": csrf, "versi": "1"})
    assert top.status_code == 422 and "sudah paling atas" in top.text
    stale = await browser.post(
        f"/konsol/admin/aturan/{c.id}/turun", data={"csrf": csrf, "versi": "1"}
    )  # C moved (version 2) since the page was read
    assert stale.status_code == 409 and "sudah diubah orang lain" in stale.text
    forged = await browser.post(f"/konsol/admin/aturan/{a.id}/turun", data={"versi": "1"})
    assert forged.status_code == 403
    assert [r.name for r in await _rules(app)] == ["A", "C", "B"]
    assert await _rule_events(app, "reordered") == 1
    await _as(browser, staff_cookie, "viewer")
    page = await browser.get("/konsol/admin/aturan")
    assert "/naik" not in page.text and f'href="/konsol/admin/aturan/{a.id}"' not in page.text
    assert (await browser.get(f"/konsol/admin/aturan/{a.id}")).status_code == 403
    for path, data in ((f"{a.id}/turun", {"versi": "1"}), (f"{a.id}", {"nama": "X", "versi": "1"})):
        refused = await browser.post(
            f"/konsol/admin/aturan/{path}", data={"csrf": csrf_of(page.text), **data}
        )
        assert refused.status_code == 403, path
    assert [(r.name, r.version) for r in await _rules(app)] == [("A", 1), ("C", 2), ("B", 2)]


async def test_holiday_overrides_are_added_and_revoked(app, browser, staff_cookie) -> None:
    await _as(browser, staff_cookie)
    page = await browser.get("/konsol/admin/hari-libur?tahun=2026")
    assert page.status_code == 200 and "Hari Kemerdekaan" in page.text  # the national days
    csrf = csrf_of(page.text)
    added = await browser.post(
        "/konsol/admin/hari-libur",
        data={"csrf": csrf, "tanggal": "2026-08-18", "jenis": "add", "alasan": "Perbup 5/2026"},
    )
    assert added.status_code == 303 and "tahun=2026" in added.headers["location"]
    page = await browser.get(added.headers["location"])
    assert "Perbup 5/2026" in page.text and "18 Agustus 2026" in page.text
    twice = await browser.post(
        "/konsol/admin/hari-libur",
        data={"csrf": csrf, "tanggal": "2026-08-18", "jenis": "add", "alasan": "Lagi"},
    )
    assert twice.status_code == 409 and "sudah punya pengaturan" in twice.text
    sunday = await browser.post(
        "/konsol/admin/hari-libur",
        data={"csrf": csrf, "tanggal": "2026-08-16", "jenis": "add", "alasan": "Minggu"},
    )
    assert sunday.status_code == 422 and "Tidak ada yang berubah" in sunday.text
    garbled = await browser.post(
        "/konsol/admin/hari-libur",
        data={"csrf": csrf, "tanggal": "18/08/2026", "jenis": "add", "alasan": "x"},
    )
    assert garbled.status_code == 422 and "Tanggal:" in garbled.text
    async with app.state.db.session() as session:
        row = await session.scalar(select(HolidayOverride))
    no_reason = await browser.post(f"/konsol/admin/hari-libur/{row.id}/cabut", data={"csrf": csrf})
    assert no_reason.status_code == 422 and "Alasan wajib diisi" in no_reason.text
    revoked = await browser.post(
        f"/konsol/admin/hari-libur/{row.id}/cabut", data={"csrf": csrf, "alasan": "Salah tanggal"}
    )
    assert revoked.status_code == 303
    async with app.state.db.session() as session:
        row = await session.get(HolidayOverride, row.id)
    assert row.revoked_at is not None and row.date == dt.date(2026, 8, 18)
    await _as(browser, staff_cookie, "operator")
    assert (await browser.get("/konsol/admin/hari-libur")).status_code == 403


async def test_local_app_keys_are_shown_once_rotated_with_grace_and_revoked(
    app, client, browser, staff_cookie
) -> None:
    await _as(browser, staff_cookie, "operator")
    csrf = csrf_of((await browser.get("/konsol/admin/aplikasi")).text)
    made = await browser.post("/konsol/admin/aplikasi", data={"csrf": csrf, "nama": "SiPanda"})
    assert made.status_code == 201 and "hanya ditampilkan sekali" in made.text
    first = KEY.search(made.text).group(1)
    again = await browser.post("/konsol/admin/aplikasi", data={"csrf": csrf, "nama": "SiPanda"})
    assert again.status_code == 409 and "sudah dipakai" in again.text
    listing = await browser.get("/konsol/admin/aplikasi")
    assert "SiPanda" in listing.text and first not in listing.text
    async with app.state.db.session() as session:
        row = await session.scalar(select(ClientApp).where(ClientApp.name == "SiPanda"))
    bad = await browser.post(
        f"/konsol/admin/aplikasi/{row.id}/putar", data={"csrf": csrf, "masa_tenggang": "-1"}
    )
    assert bad.status_code == 422 and "Masa tenggang" in bad.text
    rotated = await browser.post(
        f"/konsol/admin/aplikasi/{row.id}/putar", data={"csrf": csrf, "masa_tenggang": "2"}
    )
    second = KEY.search(rotated.text).group(1)
    assert second != first and "kunci lama berlaku sampai" in rotated.text
    for key in (first, second):  # the old key still works in its grace period
        answer = await client.get("/api/v1/complaints/TIDAKADA", headers={"X-API-Key": key})
        assert answer.status_code == 404, key
    revoked = await browser.post(f"/konsol/admin/aplikasi/{row.id}/cabut", data={"csrf": csrf})
    assert revoked.status_code == 303
    answer = await client.get("/api/v1/complaints/TIDAKADA", headers={"X-API-Key": second})
    assert answer.status_code == 401
    gone = await browser.post(f"/konsol/admin/aplikasi/{row.id}/cabut", data={"csrf": csrf})
    assert gone.status_code == 404 and "sudah dicabut" in gone.text
    await _as(browser, staff_cookie, "viewer")
    assert (await browser.get("/konsol/admin/aplikasi")).status_code == 403
