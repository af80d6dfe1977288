"""Console test helpers: accounts made directly, a browser-like client (cookies, https),
the CSRF token read from a page, a login that goes through every step."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from shared.identity import passwords, totp, users
from shared.identity.totp import current_step
from tests.sync.conftest import ServerThread

PASSWORD = "kuda-lari-di-sawah-hijau"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


@dataclass
class Staff:
    id: int
    username: str
    password: str
    totp_secret: str | None = None

    def code(self, offset: int = 0) -> str:
        assert self.totp_secret
        return totp.code_at(self.totp_secret, current_step() + offset)


@pytest.fixture
def make_staff(app) -> Callable[..., Awaitable[Staff]]:
    """``await make_staff("budi", role="opd", opd="PUPR", with_totp=True)``: an account with
    a known password (not temporary) and, if asked, two-factor already on."""

    async def _make(
        username: str,
        *,
        role: str = "opd",
        opd: str | None = "PUPR",
        password: str = PASSWORD,
        temporary: bool = False,
        with_totp: bool = False,
        full_name: str | None = None,
    ) -> Staff:
        async with app.state.db.session() as session:
            user, _ = await users.create_user(
                session, username=username, full_name=full_name or username.title(), role=role,
                opd_code=opd if role in ("opd", "admin_instansi") else None,
            )  # fmt: skip
            user.password_hash = await passwords.hash_password(password)
            user.password_temporary = temporary
            secret = None
            if with_totp:
                secret = totp.new_secret()
                user.totp_secret, user.totp_enabled_at = secret, user.created_at
            await session.flush()
            return Staff(id=user.id, username=user.username, password=password, totp_secret=secret)

    return _make


@pytest.fixture
async def browser(app) -> AsyncIterator[httpx.AsyncClient]:
    """A client that keeps cookies over https (the test settings' public URL is https, so
    the session cookie is ``Secure``)."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 5000)),
        base_url="https://testserver",
    ) as client:
        yield client


async def submit_login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    page = await client.get("/konsol/masuk")
    return await client.post(
        "/konsol/masuk",
        data={"csrf": csrf_of(page.text), "username": username, "password": password},
    )


@pytest.fixture
def log_in(browser) -> Callable[..., Awaitable[httpx.Response]]:
    """``await log_in(staff)``: password, then the code when two-factor is on; returns the
    last answer (a redirect into the console)."""

    async def _log_in(staff: Staff, client: httpx.AsyncClient | None = None) -> httpx.Response:
        c = client or browser
        answer = await submit_login(c, staff.username, staff.password)
        assert answer.status_code == 303, answer.text
        if answer.headers["location"] == "/konsol/masuk/kode":
            page = await c.get("/konsol/masuk/kode")
            answer = await c.post(
                "/konsol/masuk/kode", data={"csrf": csrf_of(page.text), "kode": staff.code()}
            )
            assert answer.status_code == 303, answer.text
        return answer

    return _log_in


@pytest.fixture
def live_server(app, settings) -> Iterator[str]:
    """The embedded app on a loopback port (for the browser tests), on ``app``'s database;
    a browser module overrides ``settings`` for plain http."""
    from services.embedded import create_app

    server = ServerThread(create_app(settings, run_workers=False)).start()
    try:
        yield server.base_url
    finally:
        server.stop()
