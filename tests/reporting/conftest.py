"""Fixtures for reporting tests: a live server and headless Chromium for page tests."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.sync.conftest import ServerThread

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture
def live_server(app, settings) -> Iterator[str]:
    """The embedded app served by uvicorn on a free loopback port, on the test's database
    (its own app instance: the server thread has its own event loop and connections)."""
    from services.embedded import create_app

    server = ServerThread(create_app(settings, run_workers=False)).start()
    try:
        yield server.base_url
    finally:
        server.stop()


@pytest.fixture
async def browser() -> AsyncIterator:
    if not shutil.which("chromium") and not shutil.os.path.exists(CHROMIUM):
        pytest.skip(
            "headless browser tests skipped: Debian's chromium is not installed (apt-get install -y chromium)"
        )
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()
