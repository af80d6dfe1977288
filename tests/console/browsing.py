"""What the administration and operator browser tests share: a live console on the test
database (plain http, so no ``Secure`` cookie), one headless Chromium, a login through the
real pages, and the screenshots kept for ``docs/console/`` (``SIMPUL_UPDATE_SCREENSHOTS=1``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from tests.sync.conftest import ServerThread

from .conftest import Staff
from .test_login_browser import CHROMIUM, CHROMIUM_ARGS, DOCS


@contextmanager
def live_console(settings: Any) -> Iterator[str]:
    """The embedded app served on a loopback port (no workers); its base URL."""
    from services.embedded import create_app

    plain = settings.model_copy(update={"public_base_url": "http://127.0.0.1"})
    server = ServerThread(create_app(plain, run_workers=False)).start()
    try:
        yield server.base_url
    finally:
        server.stop()


@asynccontextmanager
async def phone_page() -> AsyncIterator[Any]:
    """A page in headless Chromium with a phone's viewport."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = await chromium.new_context(viewport={"width": 420, "height": 820})
            yield await context.new_page()
            await context.close()
        finally:
            await chromium.close()


async def log_in(page: Any, base_url: str, staff: Staff, then: str) -> None:
    """Log in through the pages (password, then the code), then open ``then``."""
    await page.goto(f"{base_url}/konsol/masuk")
    await page.get_by_label("Nama pengguna").fill(staff.username)
    await page.get_by_label("Kata sandi").fill(staff.password)
    await page.get_by_role("button", name="Masuk").click()
    if staff.totp_secret:
        await page.wait_for_url("**/konsol/masuk/kode**")
        await page.get_by_label("Kode 6 angka dari aplikasi autentikator").fill(staff.code())
        await page.get_by_role("button", name="Lanjut").click()
    await page.wait_for_url("**/konsol/")
    await page.goto(f"{base_url}{then}")


async def shoot(page: Any, folder: Path, name: str) -> None:
    """A full-page screenshot into ``docs/console/``, only when asked (they cost seconds)."""
    if not os.environ.get("SIMPUL_UPDATE_SCREENSHOTS"):
        return
    shot = folder / f"{name}.png"
    await page.screenshot(path=shot, full_page=True)
    DOCS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, DOCS / shot.name)
