"""The operator, in a real browser: sees a dead letter on the operations page and replays
it. Skips with a visible reason when Debian's Chromium is not installed."""

from __future__ import annotations

from .browsing import live_console, log_in, phone_page, shoot
from .test_login_browser import pytestmark as browser_marks
from .test_operasi_pages import _status, dead_letter

pytestmark = browser_marks


async def test_operator_replays_a_dead_letter(app, settings, make_staff, tmp_path) -> None:
    operator = await make_staff("oki", role="operator", opd=None, with_totp=True)
    delivery_id = await dead_letter(app, "SP4N-LAPOR! tidak menjawab (batas waktu)")
    with live_console(settings) as base:
        async with phone_page() as page:
            await log_in(page, base, operator, "/konsol/operasi")
            assert "ada kiriman gagal" in await page.content()
            await shoot(page, tmp_path, "operasi")
            await page.get_by_role("link", name="1 kiriman").click()
            await page.wait_for_url("**/konsol/operasi/surat-mati")
            assert "tidak menjawab" in await page.content()
            await shoot(page, tmp_path, "operasi-kiriman-gagal")
            await page.get_by_role("button", name=f"Kirim ulang kiriman {delivery_id}").click()
            await page.wait_for_url("**selesai=kirim-ulang")
            assert "masuk lagi ke antrean" in await page.content()
    assert await _status(app, delivery_id) == "pending"
