"""The bench database: a fresh ``simpul_bench`` on the server of ``SIMPUL_BENCH_DATABASE_URL``,
migrated and seeded, plus raw asyncpg access for bulk loads (COPY)."""

from __future__ import annotations

import asyncio
import os

import asyncpg
from sqlalchemy.engine import make_url

DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
#: ``SIMPUL_BENCH_DB`` lets two bench runs share a server without dropping each other's data.
BENCH_DB = os.environ.get("SIMPUL_BENCH_DB", "simpul_bench")


class NoDatabase(RuntimeError):
    """No PostgreSQL server answers at the configured URL."""


def server_url() -> str:
    return os.environ.get("SIMPUL_BENCH_DATABASE_URL", DEFAULT_SERVER_URL)


def bench_url(db_name: str = BENCH_DB) -> str:
    """``postgresql://...`` of the bench database (SQLAlchemy form, no driver)."""
    url = make_url(server_url()).set(drivername="postgresql", database=db_name)
    return url.render_as_string(hide_password=False)


def _dsn(database: str) -> str:
    return (
        make_url(server_url())
        .set(drivername="postgresql", database=database)
        .render_as_string(hide_password=False)
    )


async def connect(database: str = BENCH_DB) -> asyncpg.Connection:
    return await asyncpg.connect(_dsn(database))


async def recreate() -> None:
    """Drop and create ``simpul_bench`` (connecting to the server's ``postgres`` database)."""
    try:
        conn = await asyncio.wait_for(asyncpg.connect(_dsn("postgres")), 10)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        raise NoDatabase(f"{type(exc).__name__}: {exc}") from exc
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    finally:
        await conn.close()


def migrate_and_seed(url: str | None = None) -> dict[str, str]:
    """Schema at head, demo reference data, one client app; returns env for servers. On the
    bench database, or at ``url`` (the embedded mode's SQLite file)."""
    from shared.migrate import upgrade

    url = url or bench_url()
    upgrade(url)

    async def seed() -> str:
        from shared.auth import create_client_app
        from shared.db import Database
        from shared.seed import seed_reference_data

        db = Database(url)
        try:
            async with db.session() as session:
                await seed_reference_data(session)
                _, key = await create_client_app(session, "bench")
            return key
        finally:
            await db.dispose()

    return {"api_key": asyncio.run(seed()), "url": url}
