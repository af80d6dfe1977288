"""The citizen web form in a real browser (headless Chromium, no JavaScript of ours needed).

Skips with a visible reason when Debian's Chromium is not installed at /usr/bin/chromium.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
NAME = "Ni Luh Putu Sariasih"
PHONE = "0812-3456-7890"
DESCRIPTION = "Lampu penerangan jalan di Jl. Gajah Mada mati sejak seminggu, rawan kecelakaan."

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="browser test skipped: /usr/bin/chromium is not installed (apt install chromium)",
    ),
]


def test_citizen_files_a_complaint_and_lands_on_the_tracking_page(live_server: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page()
            page.goto(f"{live_server}/lapor")
            assert page.locator("html").get_attribute("lang") == "id"

            page.keyboard.press("Tab")  # keyboard users first meet the skip link
            assert page.locator(":focus").inner_text() == "Lewati ke konten utama"

            page.get_by_label("Apa yang ingin Anda laporkan?").fill(DESCRIPTION)
            page.get_by_label("Kategori", exact=True).select_option(index=1)
            page.get_by_label("Kecamatan", exact=True).select_option(index=1)
            page.get_by_label("Nama", exact=True).fill(NAME)
            page.get_by_label("Nomor HP", exact=True).fill(PHONE)
            page.get_by_label("Anonim: rahasiakan identitas saya").check()
            page.get_by_role("button", name="Kirim laporan").click()

            page.wait_for_url(re.compile(r"/lacak/[A-Z0-9]{8}\?baru=1$"))
            tracking_id = page.locator(".nomor-laporan").inner_text().strip()
            assert re.fullmatch(r"[A-Z0-9]{8}", tracking_id)
            assert tracking_id in page.url
            assert page.get_by_role("heading", name="Laporan Anda sudah kami terima").is_visible()
            html = page.content()
            for personal in (NAME, PHONE, "3456-7890", DESCRIPTION):
                assert personal not in html

            page.get_by_role("link", name="Besar").first.click()  # text-size control, no JS
            assert page.locator("html").get_attribute("class") == "teks-besar"
        finally:
            browser.close()
