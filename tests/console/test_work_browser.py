"""Each role's daily work in a real browser (headless Debian Chromium; the pages carry no
JavaScript of ours), on both databases:

1. an SMS arrives through the signed SMS-gateway webhook; Admin Instansi finds it in the
   queue, verifies it and disposes it to PUPR with a copy to DISHUB; PUPR's pejabat
   penghubung answers it finally with a photo (on a phone-sized screen); the reporter's
   SMS reply comes back into the case's conversation;
2. APIP answers a case referred to it; leadership reads the ranking and downloads the
   summary as XLSX.

One browser launch per flow. ``SIMPUL_UPDATE_SCREENSHOTS=1`` copies the screenshots of the
main pages into ``docs/console/``.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from services.intake.channels.sms_gateway import signed_headers
from shared.models import Case
from tests.intake.conftest import SMS_GATEWAY_SECRET, with_channels

from .conftest import PASSWORD
from .test_login_browser import CHROMIUM, CHROMIUM_ARGS, DOCS
from .work_helpers import open_sms_case

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="browser test skipped: /usr/bin/chromium is not installed (apt install chromium)",
    ),
]
PHONE_SCREEN = {"width": 390, "height": 844}
DESK_SCREEN = {"width": 1100, "height": 900}
#: A 1×1 PNG: a photo of the repaired street lamp, as far as the test cares.
PNG_BYTES = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture
def settings(settings):
    """Plain http to the live server (no ``Secure`` cookie) and the SMS gateway's secret."""
    return with_channels(settings.model_copy(update={"public_base_url": "http://127.0.0.1"}))


@pytest.fixture
def shots(tmp_path):
    taken: list[Path] = []
    yield lambda name: taken.append(tmp_path / f"{name}.png") or taken[-1]
    if os.environ.get("SIMPUL_UPDATE_SCREENSHOTS"):
        DOCS.mkdir(parents=True, exist_ok=True)
        for shot in taken:
            if shot.exists():
                shutil.copyfile(shot, DOCS / shot.name)


async def send_sms(base_url: str, message_id: str, text: str) -> None:
    """What the SMS modem box posts for an incoming SMS (signed with its shared secret)."""
    body = json.dumps(
        {"message_id": message_id, "from": "081234567890", "to": "+6281100000003", "text": text}
    ).encode()
    headers = {"content-type": "application/json", **signed_headers(SMS_GATEWAY_SECRET, body)}
    async with httpx.AsyncClient(base_url=base_url) as client:
        answer = await client.post("/webhooks/sms-gateway", content=body, headers=headers)
    assert answer.status_code == 200, answer.text


async def log_in(browser, base_url: str, staff, viewport=DESK_SCREEN):
    """A fresh browser context logged in as ``staff`` (password, then the code if on)."""
    context = await browser.new_context(viewport=viewport, accept_downloads=True)
    page = await context.new_page()
    await page.goto(f"{base_url}/konsol/")
    await page.get_by_label("Nama pengguna").fill(staff.username)
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    if staff.totp_secret:
        await page.wait_for_url("**/konsol/masuk/kode")
        await page.get_by_label("Kode 6 angka dari aplikasi autentikator").fill(staff.code())
        await page.get_by_role("button", name="Lanjut").click()
    await page.wait_for_url("**/konsol/")
    return context, page


async def open_form(page, action: str):
    """An action's form, unfolded (each form sits in its own ``<details>``)."""
    details = page.locator("details.aksi", has=page.locator(f"#aksi-{action}"))
    if await details.get_attribute("open") is None:
        await details.locator("summary").click()
    return page.locator(f"#aksi-{action}")


async def launch():
    from playwright.async_api import async_playwright

    playwright = await async_playwright().start()
    browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    return playwright, browser


async def test_sms_case_verified_disposed_answered_and_the_reply_joins_the_thread(
    app, db, make_staff, live_server, drain, shots, tmp_path
) -> None:
    rina = await make_staff(
        "rina", role="admin_instansi", opd=None, with_totp=True, full_name="Rina Wulandari"
    )
    budi = await make_staff("budi", role="opd", opd="PUPR", full_name="Budi Santoso")
    await send_sms(live_server, "modem1:2001", "Jalan rusak berlubang di Jl. Merdeka No. 10 Kediri")
    await drain()
    async with db.session() as session:
        tid = (await session.scalars(select(Case.tracking_id))).one()
    playwright, browser = await launch()
    try:
        context, page = await log_in(browser, live_server, rina)
        await page.get_by_role("link", name="Antrian verifikasi").first.click()
        await page.wait_for_url("**/konsol/antrian")
        row = page.locator("li.kasus", has_text=tid)
        text = await row.inner_text()
        assert "SMS" in text and "hari kerja" in text and "Jalan rusak berlubang" in text
        assert "Saran OPD: Dinas Pekerjaan Umum dan Penataan Ruang" in text
        await page.screenshot(path=shots("antrian"), full_page=True)
        await page.get_by_role("link", name=tid).click()
        await page.wait_for_url(f"**/konsol/kasus/{tid}")
        await page.screenshot(path=shots("kasus-admin"), full_page=True)
        verify = await open_form(page, "verify")
        await verify.get_by_label("Jenis laporan").select_option("pengaduan")
        await verify.get_by_label("Kategori").select_option(label="Jalan dan Jembatan")
        await verify.get_by_role("button", name="Verifikasi").click()
        await page.wait_for_url("**selesai=verify")
        dispose = await open_form(page, "dispose")
        await dispose.get_by_label("Perangkat daerah penanggung jawab").select_option("PUPR")
        await dispose.get_by_label("Dinas Perhubungan").check()
        await dispose.get_by_role("button", name="Disposisi ke OPD").click()
        await page.wait_for_url("**selesai=dispose")
        assert "Dinas Perhubungan" in await page.locator("dl.ringkas").first.inner_text()
        await context.close()
        await drain()  # the clocks follow (the live server runs no workers)

        context, page = await log_in(browser, live_server, budi, PHONE_SCREEN)
        await page.get_by_role("link", name="Kotak masuk").first.click()
        await page.wait_for_url("**/konsol/kotak-masuk")
        assert "(batas penyelesaian)" in await page.locator("li.kasus", has_text=tid).inner_text()
        await page.screenshot(path=shots("kotak-masuk"), full_page=True)
        await page.get_by_role("link", name=tid).click()
        respond = await open_form(page, "respond")
        await respond.get_by_label("Ini tanggapan akhir").check()
        await respond.get_by_label("Pesan untuk pelapor").fill(
            "Lubang jalan sudah ditambal oleh petugas pada hari ini."
        )
        photo = tmp_path / "jalan.png"
        photo.write_bytes(PNG_BYTES)
        await respond.get_by_label("Lampiran").set_input_files(str(photo))
        await page.screenshot(path=shots("kasus-opd"), full_page=True)
        await respond.get_by_role("button", name="Beri tanggapan").click()
        await page.wait_for_url("**selesai=respond")
        assert "jalan.png" in await page.content()

        await send_sms(live_server, "modem1:2002", f"#{tid} Terima kasih, jalannya sudah mulus")
        await page.reload()
        thread = page.locator("ol.percakapan").first
        assert "jalannya sudah mulus" in await thread.inner_text()
        assert "Pelapor" in await thread.inner_text()
        await context.close()
    finally:
        await browser.close()
        await playwright.stop()


async def test_apip_answers_a_referral_and_leadership_downloads_the_xlsx(
    app, client, admin_headers, make_staff, live_server, drain, shots, tmp_path
) -> None:
    iwan = await make_staff("iwan", role="apip", opd=None, full_name="Iwan Inspektur")
    tamu = await make_staff("pimpinan", role="viewer", opd=None, full_name="Bupati")
    tid = await open_sms_case(app, description="Pungutan liar saat mengurus KTP di kantor desa")
    for action in ("verify", "refer-apip"):
        answer = await client.post(f"/admin/cases/{tid}/{action}", json={}, headers=admin_headers)
        assert answer.status_code == 200, answer.text
    await drain()
    playwright, browser = await launch()
    try:
        context, page = await log_in(browser, live_server, iwan)
        await page.get_by_role("link", name="Rujukan APIP").first.click()
        await page.wait_for_url("**/konsol/rujukan")
        await page.screenshot(path=shots("rujukan"), full_page=True)
        await page.get_by_role("link", name=tid).click()
        respond = await open_form(page, "respond")
        await respond.get_by_label("Pesan untuk pelapor").fill(
            "Inspektorat telah memeriksa dan menjatuhkan sanksi kepada petugas."
        )
        await respond.get_by_label("Ini tanggapan akhir").check()
        await respond.get_by_role("button", name="Beri tanggapan").click()
        await page.wait_for_url("**selesai=respond")
        await context.close()

        context, page = await log_in(browser, live_server, tamu)
        await page.get_by_role("link", name="Laporan").first.click()
        await page.wait_for_url("**/konsol/laporan")
        await page.screenshot(path=shots("laporan"), full_page=True)
        async with page.expect_download() as download_info:
            await page.get_by_role("link", name="Excel (XLSX)").click()
        download = await download_info.value
        saved = tmp_path / download.suggested_filename
        await download.save_as(saved)
        assert saved.suffix == ".xlsx" and saved.read_bytes()[:2] == b"PK"
        await page.get_by_role("link", name="Peringkat OPD").first.click()
        await page.wait_for_url("**/konsol/laporan/peringkat")
        await page.screenshot(path=shots("peringkat"), full_page=True)
        await context.close()
    finally:
        await browser.close()
        await playwright.stop()
