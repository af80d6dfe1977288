"""Test fixtures: every database test runs on SQLite and, when configured, on PostgreSQL.

- SQLite: the schema is migrated once into a template file; each test gets a fresh copy.
- PostgreSQL (``SIMPUL_TEST_DATABASE_URL``): each test session creates its own database
  (so parallel runs never collide), migrates it once, and empties it before each test.
  Under ``CI=true`` a missing or unreachable PostgreSQL fails the run instead of skipping.

Use ``app`` / ``client`` for API tests, ``db`` for direct database work, ``drain`` to run
the app's event consumers until nothing is due, and the token fixtures for auth.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from shared.config import Settings
from shared.db import Database
from shared.migrate import upgrade

PG_ENV = "SIMPUL_TEST_DATABASE_URL"
IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_sessionstart(session: pytest.Session) -> None:
    if IN_CI and not os.environ.get(PG_ENV):
        pytest.exit(
            f"CI=true but {PG_ENV} is not set: PostgreSQL tests are required in CI", returncode=3
        )


# -- database URLs ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


async def _pg_admin(url: str, statement: str) -> None:
    import asyncpg

    u = make_url(url)
    conn = await asyncpg.connect(
        user=u.username or "postgres",
        password=u.password,
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        database=u.database or "postgres",
    )
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_url() -> str:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(
            f"PostgreSQL tests skipped: set {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        )
    name = f"simpul_t_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        asyncio.run(_pg_admin(base, f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        message = f"PostgreSQL at {PG_ENV} unreachable: {type(exc).__name__}: {exc}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    asyncio.run(_pg_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _empty_pg(url: str) -> None:
    """Empty every table in one round trip. DELETE beats TRUNCATE by 10x on tables holding a
    handful of rows; ``session_replication_role = replica`` (test-only, superuser) suspends the
    never-delete triggers and foreign-key checks for this one connection."""
    import asyncpg

    u = make_url(url)
    conn = await asyncpg.connect(
        user=u.username or "postgres",
        password=u.password,
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        database=u.database,
    )
    try:
        tables = [
            r[0]
            for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'"
            )
        ]
        await conn.execute(
            "SET session_replication_role = replica; "
            + " ".join(f'DELETE FROM "{t}";' for t in tables)
        )
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of each backend."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "simpul.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_url")
    asyncio.run(_empty_pg(url))
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        env="test",
        database_url=database_url,
        data_dir=str(tmp_path / "data"),
        public_base_url="https://pengaduan.example.go.id",
        run_workers=False,
        log_level="WARNING",
    )


# -- app and database ------------------------------------------------------------------------------


@pytest.fixture
async def db(app) -> Database:
    return app.state.db


@pytest.fixture
async def app(settings: Settings):
    """The embedded app (all services) on a seeded database, lifespan running, no background workers."""
    from services.embedded import create_app
    from shared.seed import seed_reference_data

    application = create_app(settings, run_workers=False)
    async with application.router.lifespan_context(application):
        async with application.state.db.session() as session:
            await seed_reference_data(session)
        yield application


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c


@pytest.fixture
def drain(app) -> Callable[..., Awaitable[int]]:
    """``await drain()`` runs every consumer of the app until nothing is due; returns how many ran."""

    async def _drain(*names: str, rounds: int = 20) -> int:
        ctx = app.state.ctx
        consumers = [
            c for s in app.state.specs for c in s.consumers if not names or c.name in names
        ]
        total = 0
        for _ in range(rounds):
            n = 0
            for consumer in consumers:
                n += await consumer.run_once(ctx)
            total += n
            if n == 0:
                break
        return total

    return _drain


# -- credentials -------------------------------------------------------------------------------------


@pytest.fixture
def make_token(app) -> Callable[..., Awaitable[str]]:
    from shared.auth import create_ops_token

    async def _make(role: str, opd: str | None = None, name: str | None = None) -> str:
        async with app.state.db.session() as session:
            _row, token = await create_ops_token(
                session, role=role, opd_code=opd, name=name or f"{role}-{opd or 'all'}"
            )
        return token

    return _make


@pytest.fixture
async def admin_headers(make_token) -> dict[str, str]:
    return {"Authorization": f"Bearer {await make_token('admin_instansi')}"}


@pytest.fixture
async def api_key(app) -> str:
    from shared.auth import create_client_app

    async with app.state.db.session() as session:
        _app, key = await create_client_app(session, f"app-{uuid.uuid4().hex[:6]}")
    return key


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest for tests (each hash names its own parameters, so
    verification is unchanged); production's cost is the library's default."""
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    from shared.identity import passwords

    monkeypatch.setattr(
        passwords,
        "HASHER",
        PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),)),
    )
    passwords._dummy_hash.cache_clear()


@pytest.fixture
def staff_cookie(app) -> Callable[..., Awaitable[dict[str, str]]]:
    """``await staff_cookie("opd", opd="PUPR", name="Budi")``: a new account with a live,
    fully logged-in console session; returns the cookie to send (as a browser would)."""
    from shared.identity import sessions, users
    from shared.identity.audit import Origin

    async def _make(role: str, opd: str | None = None, name: str | None = None) -> dict[str, str]:
        async with app.state.db.session() as session:
            user, _ = await users.create_user(
                session,
                username=f"{role.replace('_', '.')}-{uuid.uuid4().hex[:6]}",
                full_name=name or role,
                role=role,
                opd_code=opd,
            )
            user.password_temporary = False
            _row, raw = await sessions.open_session(
                session, user, stage=sessions.FULL, origin=Origin(), settings=app.state.settings
            )
        return {sessions.SESSION_COOKIE: raw}

    return _make


@pytest.fixture
def smtp_server():
    """A local SMTP server (aiosmtpd): ``inbox, port``; point settings at it with
    ``tests.mailserver.use_smtp``."""
    from tests import mailserver

    with mailserver.running() as server:
        yield server
