"""Logging in to the console (issue 16): password, two-factor, forced password change,
enrolment, no account enumeration, CSRF, log out (everywhere)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shared.identity import totp
from shared.models.identity import SecurityEvent, StaffSession, StaffUser

from .conftest import PASSWORD, csrf_of, submit_login


async def _events(db, username: str) -> list[str]:
    async with db.session() as session:
        rows = await session.scalars(
            select(SecurityEvent.type)
            .where(SecurityEvent.username == username)
            .order_by(SecurityEvent.id)
        )
        return list(rows.all())


async def test_password_login_without_two_factor_reaches_the_console(app, db, browser, make_staff):
    staff = await make_staff("budi", role="opd", opd="PUPR")
    answer = await submit_login(browser, "Budi", PASSWORD)  # usernames are case-insensitive
    assert answer.status_code == 303 and answer.headers["location"] == "/konsol/"
    cookie = answer.headers["set-cookie"]
    assert "simpul_sesi=" in cookie and "HttpOnly" in cookie and "Secure" in cookie
    assert "samesite=lax" in cookie.lower()
    home = await browser.get("/konsol/")
    assert home.status_code == 200 and "Budi" in home.text and "/admin/board" in home.text
    assert "Content-Security-Policy" in home.headers and home.headers["cache-control"] == "no-store"
    assert await _events(db, staff.username) == ["user.created", "login.succeeded"]


async def test_admin_logs_in_with_totp_and_a_code_is_good_once(
    app, db, browser, make_staff, log_in
):
    staff = await make_staff("rina", role="admin_instansi", opd=None, with_totp=True)
    answer = await submit_login(browser, "rina", PASSWORD)
    assert answer.headers["location"] == "/konsol/masuk/kode"
    # half logged in: the console is not open yet
    assert (await browser.get("/konsol/")).headers["location"] == "/konsol/masuk/kode"
    page = await browser.get("/konsol/masuk/kode")
    code = staff.code()
    done = await browser.post("/konsol/masuk/kode", data={"csrf": csrf_of(page.text), "kode": code})
    assert done.status_code == 303 and done.headers["location"] == "/konsol/"
    assert (await browser.get("/konsol/")).status_code == 200
    # the same code again, on a second login: refused (replay)
    await browser.post(
        "/konsol/keluar", data={"csrf": csrf_of((await browser.get("/konsol/")).text)}
    )
    again = await submit_login(browser, "rina", PASSWORD)
    page = await browser.get(again.headers["location"])
    replay = await browser.post(
        "/konsol/masuk/kode", data={"csrf": csrf_of(page.text), "kode": code}
    )
    assert replay.status_code == 401 and "sudah dipakai" in replay.text
    assert (await browser.get("/konsol/")).status_code == 303
    events = await _events(db, "rina")
    assert events[-2:] == ["login.succeeded", "login.failed"] or "totp.failed" in events


async def test_unknown_user_and_wrong_password_get_the_same_answer(app, db, browser, make_staff):
    await make_staff("budi")
    unknown = await submit_login(browser, "tidak.ada", PASSWORD)
    wrong = await submit_login(browser, "budi", "salah-sekali-sandinya")
    assert unknown.status_code == wrong.status_code == 401

    def strip(html: str) -> str:
        return html.replace('value="tidak.ada"', "").replace('value="budi"', "")

    assert strip(unknown.text).split("csrf")[0] == strip(wrong.text).split("csrf")[0]
    assert "Nama pengguna atau kata sandi salah" in wrong.text
    assert "simpul_sesi" not in wrong.headers.get("set-cookie", "")
    async with db.session() as session:
        reasons = (
            await session.scalars(
                select(SecurityEvent.detail).where(SecurityEvent.type == "login.failed")
            )
        ).all()
    assert sorted(r["reason"] for r in reasons) == ["unknown_user", "wrong_password"]


async def test_temporary_password_forces_a_change_with_reasons_in_indonesian(
    app, db, browser, make_staff
):
    await make_staff("sari", temporary=True)
    answer = await submit_login(browser, "sari", PASSWORD)
    assert answer.headers["location"] == "/konsol/sandi"
    assert (await browser.get("/konsol/")).headers["location"] == "/konsol/sandi"
    page = await browser.get("/konsol/sandi")
    token = csrf_of(page.text)
    short = await browser.post(
        "/konsol/sandi",
        data={"csrf": token, "lama": PASSWORD, "baru": "pendek", "ulangi": "pendek"},
    )
    assert short.status_code == 422 and "terlalu pendek" in short.text
    common = await browser.post(
        "/konsol/sandi",
        data={"csrf": token, "lama": PASSWORD, "baru": "indonesia123", "ulangi": "indonesia123"},
    )
    assert common.status_code == 422 and "terlalu umum" in common.text
    new = "pagi-cerah-di-tanah-laut"
    ok = await browser.post(
        "/konsol/sandi", data={"csrf": token, "lama": PASSWORD, "baru": new, "ulangi": new}
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/konsol/"
    assert (await browser.get("/konsol/")).status_code == 200
    async with db.session() as session:
        user = await session.scalar(select(StaffUser).where(StaffUser.username == "sari"))
        assert not user.password_temporary
    assert "password.changed" in await _events(db, "sari")


async def test_admin_without_two_factor_must_enrol_with_qr_key_and_recovery_codes(
    app, db, browser, make_staff
):
    await make_staff("ops", role="operator", opd=None)
    answer = await submit_login(browser, "ops", PASSWORD)
    assert answer.headers["location"] == "/konsol/dua-faktor"
    page = await browser.get("/konsol/dua-faktor")
    assert "<svg" in page.text and "Kode QR" in page.text
    async with db.session() as session:
        secret = (
            await session.scalar(select(StaffUser).where(StaffUser.username == "ops"))
        ).totp_pending_secret
    assert totp.grouped(secret) in page.text  # the key as text, for typing by hand
    wrong = await browser.post(
        "/konsol/dua-faktor", data={"csrf": csrf_of(page.text), "kode": "000000"}
    )
    assert wrong.status_code == 422
    done = await browser.post(
        "/konsol/dua-faktor",
        data={"csrf": csrf_of(page.text), "kode": totp.code_at(secret, totp.current_step())},
    )
    assert done.status_code == 200 and "hanya ditampilkan sekali" in done.text
    codes = [c for c in done.text.split("<code>")[1:]]
    assert len(codes) == totp.RECOVERY_CODES
    assert (await browser.get("/konsol/")).status_code == 200
    assert "totp.enrolled" in await _events(db, "ops")


async def test_recovery_code_logs_in_once(app, db, browser, make_staff):
    staff = await make_staff("ops", role="operator", opd=None)
    await submit_login(browser, "ops", PASSWORD)
    page = await browser.get("/konsol/dua-faktor")
    async with db.session() as session:
        secret = (
            await session.scalar(select(StaffUser).where(StaffUser.username == "ops"))
        ).totp_pending_secret
    done = await browser.post(
        "/konsol/dua-faktor",
        data={"csrf": csrf_of(page.text), "kode": totp.code_at(secret, totp.current_step())},
    )
    recovery = done.text.split("<code>")[1].split("</code>")[0]
    browser.cookies.clear()
    for attempt in (200, 401):
        answer = await submit_login(browser, staff.username, PASSWORD)
        page = await browser.get(answer.headers["location"])
        used = await browser.post(
            "/konsol/masuk/kode", data={"csrf": csrf_of(page.text), "kode": recovery.lower()}
        )
        assert used.status_code == (303 if attempt == 200 else 401)
        browser.cookies.clear()
    assert "totp.recovery_code_used" in await _events(db, "ops")


@pytest.mark.parametrize("token", [None, "", "palsu"])
async def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(
    app, db, browser, make_staff, log_in, token
):
    staff = await make_staff("budi")
    await log_in(staff)
    data = {} if token is None else {"csrf": token}
    refused = await browser.post("/konsol/keluar-semua", data=data)
    assert refused.status_code == 403 and "tidak sah" in refused.text
    assert (await browser.get("/konsol/")).status_code == 200  # still logged in
    login_refused = await browser.post(
        "/konsol/masuk", data={**data, "username": "budi", "password": PASSWORD}
    )
    assert login_refused.status_code == 403
    async with db.session() as session:
        assert (await session.scalars(select(StaffSession.revoked_at))).all() == [None]


async def test_log_out_and_log_out_everywhere(app, db, make_staff, log_in, browser):
    import httpx

    staff = await make_staff("budi")
    await log_in(staff)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://testserver"
    ) as phone:
        await log_in(staff, phone)
        assert (await phone.get("/konsol/")).status_code == 200
        listing = await browser.get("/konsol/sesi")
        assert listing.text.count("Sesi ini") == 1 and listing.text.count(">Akhiri</button>") == 1
        out = await browser.post("/konsol/keluar-semua", data={"csrf": csrf_of(listing.text)})
        assert out.status_code == 303
        assert (await phone.get("/konsol/")).status_code == 303
        assert (await browser.get("/konsol/")).status_code == 303
    await log_in(staff)
    home = await browser.get("/konsol/")
    assert (
        await browser.post("/konsol/keluar", data={"csrf": csrf_of(home.text)})
    ).status_code == 303
    assert (await browser.get("/konsol/")).headers["location"].startswith("/konsol/masuk")
    assert {"logout", "logout.everywhere"} <= set(await _events(db, "budi"))


async def test_login_redirects_back_to_a_local_page_only(app, browser, make_staff):
    await make_staff("budi")
    for asked, expected in (("/admin/board", "/admin/board"), ("//evil.example", "/konsol/")):
        browser.cookies.clear()
        page = await browser.get("/konsol/masuk", params={"lanjut": asked})
        answer = await browser.post(
            "/konsol/masuk",
            data={
                "csrf": csrf_of(page.text),
                "username": "budi",
                "password": PASSWORD,
                "lanjut": asked,
            },
        )
        assert answer.headers["location"] == expected
