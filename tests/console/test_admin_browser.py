"""Admin Instansi, in a real browser (headless Chromium, no JavaScript of ours): creates an
officer — the temporary password shown once — and a reply template with placeholders.
Skips with a visible reason when Debian's Chromium is not installed."""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import select

from shared.models.identity import StaffUser
from shared.models.routing import ReplyTemplate

from .browsing import live_console, log_in, phone_page, shoot
from .test_login_browser import pytestmark as browser_marks

pytestmark = browser_marks


async def test_admin_creates_an_officer_and_a_reply_template(
    app, settings, make_staff, tmp_path
) -> None:
    admin = await make_staff("rina", role="admin_instansi", opd=None, with_totp=True)
    with live_console(settings) as base:
        async with phone_page() as page:
            await log_in(page, base, admin, "/konsol/admin/petugas")
            assert await page.text_content("h1") == "Akun petugas"
            await page.get_by_label("Nama pengguna", exact=True).fill("budi.pupr")
            await page.get_by_label("Nama lengkap").fill("Budi Santoso")
            await page.get_by_label("Peran", exact=True).select_option("opd")
            await page.get_by_label("OPD", exact=True).select_option("PUPR")
            await page.get_by_role("button", name="Buat akun").click()
            await page.wait_for_selector(".kunci code")
            temporary = await page.text_content(".kunci code")
            assert re.fullmatch(r"\S{8,}", temporary or "")
            await shoot(page, tmp_path, "admin-petugas-baru")
            await page.get_by_role("link", name="Petugas", exact=True).click()
            await page.wait_for_url("**/konsol/admin/petugas")
            assert temporary not in await page.content()  # shown once
            await shoot(page, tmp_path, "admin-petugas")

            await page.get_by_role("link", name="Templat balasan").click()
            await page.wait_for_url("**/konsol/admin/templat")
            await page.get_by_label("Judul").fill("Sedang ditinjau")
            await page.get_by_label("Isi", exact=True).fill(
                "Laporan {nomor} tentang {kategori} sedang ditinjau oleh {opd}."
            )
            await page.get_by_label("Beri tanggapan").check()
            await page.get_by_role("button", name="Simpan templat").click()
            await page.wait_for_url("**/konsol/admin/templat?selesai=baru")
            assert "Templat disimpan." in await page.content()
            await shoot(page, tmp_path, "admin-templat")
    async with app.state.db.session() as session:
        officer = await session.scalar(select(StaffUser).where(StaffUser.username == "budi.pupr"))
        template = await session.scalar(select(ReplyTemplate))
    assert (officer.role, officer.opd_code, officer.password_temporary) == ("opd", "PUPR", True)
    assert (template.title, template.actions) == ("Sedang ditinjau", "respond")


@pytest.mark.skipif(
    not os.environ.get("SIMPUL_UPDATE_SCREENSHOTS"),
    reason="screenshots of the other administration pages: only with SIMPUL_UPDATE_SCREENSHOTS=1",
)
async def test_screenshots_of_the_administration_pages(app, settings, make_staff, tmp_path):
    admin = await make_staff("rina", role="admin_instansi", opd=None, with_totp=True)
    async with app.state.db.session() as session:
        await client_app(session)
    with live_console(settings) as base:
        async with phone_page() as page:
            await log_in(page, base, admin, "/konsol/admin/aturan")
            await page.get_by_label("Nama aturan").fill("Jalan rusak ke PUPR")
            await page.get_by_label("Kata kunci (pisahkan dengan ;)").fill("jalan rusak; aspal")
            await page.get_by_label("OPD tujuan").select_option("PUPR")
            await page.get_by_role("button", name="Simpan aturan").click()
            await page.wait_for_url("**selesai=baru")
            await page.get_by_label("Teks laporan").fill("Jalan rusak di depan pasar Kediri")
            await page.get_by_role("button", name="Uji").click()
            await page.wait_for_url("**uji_teks=**")
            await shoot(page, tmp_path, "admin-aturan")
            for path, name in (
                ("/konsol/admin/hari-libur", "admin-hari-libur"),
                ("/konsol/admin/aplikasi", "admin-aplikasi"),
                ("/konsol/admin/kategori", "admin-kategori"),
            ):
                await page.goto(f"{base}{path}")
                await shoot(page, tmp_path, name)


async def client_app(session) -> None:
    from shared.identity import tokens

    await tokens.create_client_app(session, "Aplikasi Kabupaten")
