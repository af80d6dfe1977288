"""A malformed address or an unknown page under /konsol is a page in Bahasa Indonesia,
never FastAPI's English JSON; the API's paths keep their JSON errors."""

from __future__ import annotations


async def test_malformed_and_unknown_console_addresses_are_pages(
    make_staff, log_in, browser
) -> None:
    await log_in(await make_staff("rina", role="admin_instansi", opd=None, with_totp=True))

    malformed = await browser.get("/konsol/admin/petugas/bukan-angka")
    assert malformed.status_code == 422
    assert malformed.headers["content-type"].startswith("text/html")
    assert "Isian tidak dapat dibaca" in malformed.text and "Traceback" not in malformed.text

    unknown = await browser.get("/konsol/tidak-ada-halaman-ini")
    assert unknown.status_code == 404
    assert "Halaman tidak ditemukan" in unknown.text
    assert "content-security-policy" in unknown.headers


async def test_api_paths_keep_their_json_errors(browser) -> None:
    missing = await browser.get("/admin/tidak-ada")
    assert missing.status_code in (401, 404)
    assert missing.headers["content-type"].startswith("application/json")
