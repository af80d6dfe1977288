"""Database engine and sessions (SQLAlchemy 2, async end to end).

Why async: intake must batch many concurrent requests into few durable commits (group
commit) and the sync worker keeps many LAPOR! calls in flight; both want one event loop,
not a thread per request. SQLite (embedded) runs on aiosqlite with WAL, foreign keys and a
busy timeout; PostgreSQL (production) runs on asyncpg with a connection pool.

One commit point per unit of work: the request's session dependency (``DbSession``) or a
job's own ``session_scope`` commits; services and repositories only flush.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 15_000


def async_url(url: str) -> URL:
    """Turn any SQLAlchemy URL the operator gives into its async-driver form."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+asyncpg")
    raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")


def _prepare_sqlite_file(url: URL) -> None:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def create_engine(
    url: str, *, pool_size: int = 10, max_overflow: int = 10, echo: bool = False
) -> AsyncEngine:
    """An engine tuned for the backend: SQLite pragmas on connect, a pool for PostgreSQL."""
    aurl = async_url(url)
    if aurl.get_backend_name() == "sqlite":
        _prepare_sqlite_file(aurl)
        engine = create_async_engine(
            aurl, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "savepoint")
        def _sqlite_begin_before_savepoint(conn, _name):
            # The driver starts a transaction only at the first INSERT/UPDATE/DELETE, so a
            # SAVEPOINT issued first would itself become the transaction and its RELEASE would
            # commit early. Begin the real transaction first (a write follows at once, so the
            # write lock is taken with the busy timeout, as for any DML).
            driver = conn.connection.dbapi_connection
            if not getattr(
                driver, "_connection", driver
            ).in_transaction:  # aiosqlite under the adapter
                conn.exec_driver_sql("BEGIN")

        return engine
    return create_async_engine(
        aurl,
        echo=echo,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={"server_settings": {"application_name": f"simpul-{os.getpid()}"}},
    )


@asynccontextmanager
async def unit_of_work(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session of ``factory`` that commits when the block ends and rolls back on any error
    (a job's, a request's or a side part's unit of work)."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


#: The side pool's connections (:meth:`Database.side_session`): the parts of one report
#: rebuild, which its lock keeps to one at a time per database.
SIDE_POOL_SIZE = 2


class Database:
    """The process's engine and session factory; one per app, closed in its lifespan."""

    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int = 10) -> None:
        self.url = url
        self.engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self._side_engine: AsyncEngine | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session that commits on success and rolls back on error (a job's unit of work)."""
        async with unit_of_work(self.sessionmaker) as session:
            yield session

    @asynccontextmanager
    async def side_session(self) -> AsyncIterator[AsyncSession]:
        """A session on a small pool of its own (:data:`SIDE_POOL_SIZE` connections, made on
        first use), for work that already holds a connection of the main pool and must never
        wait for another: the report cache's rebuild tallies a year in parts side by side
        while holding its lock, and requests queued for that lock may hold every other
        connection of the main pool. Commits on success, as :meth:`session`."""
        if self._side_engine is None:
            self._side_engine = create_engine(self.url, pool_size=SIDE_POOL_SIZE, max_overflow=0)
        side = async_sessionmaker(self._side_engine, expire_on_commit=False)
        async with unit_of_work(side) as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._side_engine is not None:
            await self._side_engine.dispose()
            self._side_engine = None
