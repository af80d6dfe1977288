"""Logging in with two-factor in a real browser (headless Chromium, no JavaScript of ours).

Skips with a visible reason when Debian's Chromium is not installed at /usr/bin/chromium.
``SIMPUL_UPDATE_SCREENSHOTS=1`` copies the screenshots into ``docs/console/``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DOCS = Path(__file__).parents[2] / "docs" / "console"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="browser test skipped: /usr/bin/chromium is not installed (apt install chromium)",
    ),
]


@pytest.fixture
def settings(settings):
    """The browser reaches the live server over plain http: no ``Secure`` cookies here."""
    return settings.model_copy(update={"public_base_url": "http://127.0.0.1"})


async def test_admin_logs_in_with_password_and_totp_in_a_browser(
    app, make_staff, live_server, tmp_path
) -> None:
    from playwright.async_api import async_playwright

    staff = await make_staff(
        "rina", role="admin_instansi", opd=None, with_totp=True, full_name="Rina Wulandari"
    )
    shots = []
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = await chromium.new_context(viewport={"width": 420, "height": 820})
            page = await context.new_page()
            await page.goto(f"{live_server}/konsol/")
            assert page.url.endswith("/konsol/masuk")  # not logged in: sent to the login page
            assert await page.locator("html").get_attribute("lang") == "id"
            await page.get_by_label("Nama pengguna").fill("rina")
            await page.get_by_label("Kata sandi").fill(PASSWORD)
            await page.get_by_role("button", name="Masuk").click()
            await page.wait_for_url("**/konsol/masuk/kode")
            shots.append(tmp_path / "masuk-kode.png")
            await page.screenshot(path=shots[-1], full_page=True)
            await page.get_by_label("Kode 6 angka dari aplikasi autentikator").fill(staff.code())
            await page.get_by_role("button", name="Lanjut").click()
            await page.wait_for_url("**/konsol/")
            assert "Selamat datang, Rina Wulandari" in await page.text_content("h1")
            shots.append(tmp_path / "beranda.png")
            await page.screenshot(path=shots[-1], full_page=True)
            cookies = {c["name"]: c for c in await context.cookies()}
            assert (
                cookies["simpul_sesi"]["httpOnly"] and cookies["simpul_sesi"]["sameSite"] == "Lax"
            )
            assert await page.evaluate("document.cookie") == ""
            await page.get_by_role("button", name="Keluar").click()
            await page.wait_for_url("**/konsol/masuk?keluar=1")
            await context.close()
        finally:
            await chromium.close()
    if os.environ.get("SIMPUL_UPDATE_SCREENSHOTS"):
        DOCS.mkdir(parents=True, exist_ok=True)
        for shot in shots:
            shutil.copyfile(shot, DOCS / shot.name)
