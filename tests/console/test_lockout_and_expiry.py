"""Lock-out per account and per address, unlock, session idle and absolute expiry (issue 16)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import func, select, update

from shared.models import utcnow
from shared.models.identity import SecurityEvent, StaffSession, StaffUser

from .conftest import PASSWORD, csrf_of, submit_login


async def _count(db, type_: str) -> int:
    async with db.session() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(SecurityEvent).where(SecurityEvent.type == type_)
            )
        )


async def test_repeated_failures_lock_the_account_even_for_the_right_password(
    app, db, browser, make_staff
):
    app.state.settings.login_max_failures = 3
    await make_staff("budi")
    for _ in range(3):
        assert (await submit_login(browser, "budi", "bukan-sandinya-ya")).status_code == 401
    assert await _count(db, "login.locked") == 1
    locked = await submit_login(browser, "budi", PASSWORD)
    assert (
        locked.status_code == 401 and "dikunci sementara" in locked.text
    )  # same message as a wrong one
    async with db.session() as session:
        user = await session.scalar(select(StaffUser).where(StaffUser.username == "budi"))
        reasons = (
            await session.scalars(
                select(SecurityEvent.detail).where(SecurityEvent.type == "login.failed")
            )
        ).all()
        # the cool-down ends it: pretend it is over
        await session.execute(
            update(StaffUser)
            .where(StaffUser.id == user.id)
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )
    assert [r["reason"] for r in reasons][-1] == "locked"
    assert (await submit_login(browser, "budi", PASSWORD)).status_code == 303


async def test_wrong_codes_count_towards_the_lock_out(app, db, browser, make_staff):
    app.state.settings.login_max_failures = 2
    await make_staff("rina", role="admin_instansi", opd=None, with_totp=True)
    answer = await submit_login(browser, "rina", PASSWORD)
    page = await browser.get(answer.headers["location"])
    first = await browser.post(
        "/konsol/masuk/kode", data={"csrf": csrf_of(page.text), "kode": "000000"}
    )
    assert first.status_code == 401
    second = await browser.post(
        "/konsol/masuk/kode", data={"csrf": csrf_of(page.text), "kode": "000001"}
    )
    assert second.status_code == 401  # locked: the half-done session is ended too
    assert (await browser.get("/konsol/masuk/kode")).status_code == 303
    assert await _count(db, "totp.failed") == 2 and await _count(db, "login.locked") == 1


async def test_an_admin_unlocks_a_locked_account(app, db, browser, make_staff, client, make_token):
    app.state.settings.login_max_failures = 1
    staff = await make_staff("budi")
    await submit_login(browser, "budi", "salah-sandinya-lagi")
    assert (await submit_login(browser, "budi", PASSWORD)).status_code == 401
    headers = {"Authorization": f"Bearer {await make_token('admin_instansi')}"}
    assert (
        await client.post(f"/admin/users/{staff.id}/unlock", headers=headers)
    ).status_code == 200
    assert (await submit_login(browser, "budi", PASSWORD)).status_code == 303
    assert await _count(db, "user.unlocked") == 1


async def test_too_many_failures_from_one_address_refuse_it_whatever_the_username(
    app, db, make_staff
):
    app.state.settings.login_address_max_failures = 3
    await make_staff("budi")
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as attacker:
        for name in ("a.satu", "b.dua", "c.tiga"):
            assert (await submit_login(attacker, name, "coba-coba-saja")).status_code == 401
        refused = await submit_login(attacker, "budi", PASSWORD)  # even the right password
        assert refused.status_code == 429 and "Terlalu banyak percobaan" in refused.text
    other = httpx.ASGITransport(app=app, client=("203.0.113.50", 4000))
    async with httpx.AsyncClient(transport=other, base_url="https://testserver") as officer:
        assert (
            await submit_login(officer, "budi", PASSWORD)
        ).status_code == 303  # others still can
    assert await _count(db, "login.throttled") == 1


async def test_an_idle_session_ends(app, db, browser, make_staff, log_in):
    await log_in(await make_staff("budi"))
    assert (await browser.get("/konsol/")).status_code == 200
    idle = timedelta(minutes=app.state.settings.session_idle_minutes, seconds=1)
    async with db.session() as session:
        await session.execute(update(StaffSession).values(last_seen_at=utcnow() - idle))
    answer = await browser.get("/konsol/sesi")
    assert (
        answer.status_code == 303
        and answer.headers["location"] == "/konsol/masuk?lanjut=/konsol/sesi"
    )


async def test_a_session_ends_at_its_absolute_expiry_however_active(
    app, db, browser, make_staff, log_in
):
    await log_in(await make_staff("budi"))
    async with db.session() as session:
        await session.execute(
            update(StaffSession).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert (await browser.get("/konsol/")).status_code == 303


async def test_a_session_ended_from_another_device_is_refused_on_its_next_request(
    app, browser, make_staff, log_in
):
    staff = await make_staff("budi")
    await log_in(staff)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://testserver"
    ) as other:
        await log_in(staff, other)
        listing = await browser.get("/konsol/sesi")
        other_id = listing.text.split('action="/konsol/sesi/')[1].split("/akhiri")[0]
        ended = await browser.post(
            f"/konsol/sesi/{other_id}/akhiri", data={"csrf": csrf_of(listing.text)}
        )
        assert ended.status_code == 303
        assert (await other.get("/konsol/")).status_code == 303
    assert (await browser.get("/konsol/")).status_code == 200
