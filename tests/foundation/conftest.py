"""Foundation test fixtures: a probe consumer, a settable clock, probe apps, fresh databases.

Here ``db`` is a bare ``Database`` on the migrated, empty database of each backend: no app,
no demo data (the foundation does not need them, and skipping them keeps these tests fast).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from shared.app import ServiceSpec, build_app
from shared.config import Settings
from shared.db import Database
from shared.events import WorkerContext, subscriptions

PG_ENV = "SIMPUL_TEST_DATABASE_URL"
PROBE = "probe"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url, pool_size=4, max_overflow=4)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def ctx(settings: Settings, db: Database) -> WorkerContext:
    return WorkerContext(settings=settings, db=db)


@pytest.fixture
def probe_subscription() -> Iterator[str]:
    """Subscribe a test consumer named ``probe`` to ``probe.*`` events for one test."""
    subscriptions.SUBSCRIPTIONS[PROBE] = ("probe.*",)
    subscriptions.consumers_for.cache_clear()
    try:
        yield PROBE
    finally:
        subscriptions.SUBSCRIPTIONS.pop(PROBE, None)
        subscriptions.consumers_for.cache_clear()


class Clock:
    """A frozen, settable ``utcnow`` for the consumer module (leases, backoff and deferrals)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    from shared.events import consumer
    from shared.models import utcnow

    # frozen an hour ahead, so whatever the test emits (at the real time) is already due
    fake = Clock(utcnow() + timedelta(hours=1))
    monkeypatch.setattr(consumer, "utcnow", fake)
    return fake


@pytest.fixture
def probe_app(settings: Settings) -> Callable[..., FastAPI]:
    """``probe_app(*routers, settings=...)``: a one-service app made by ``shared.app.build_app``."""

    def _build(*routers, settings: Settings = settings) -> FastAPI:
        return build_app(
            [ServiceSpec(name="probe", routers=list(routers))], settings, run_workers=False
        )

    return _build


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


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty (unmigrated) database of each backend, private to one test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests skipped: set {PG_ENV}")
    name = f"simpul_f_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(_pg_admin(base, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_pg_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
