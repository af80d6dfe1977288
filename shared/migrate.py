"""Alembic, driven from code: ``simpul migrate``, ``make run`` and the tests use the same history."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: Indexes only one backend has, made by a migration and not declared on the models:
#: PostgreSQL's full-text search: the stored vector of a case's text and its GIN index
#: (SQLite has no ``to_tsvector``, so the models do not declare them; migration 0020).
#: Autogenerate leaves them out of its comparison.
BACKEND_ONLY_INDEXES = frozenset({"ix_cases_search_vector"})
BACKEND_ONLY_COLUMNS = frozenset({("cases", "search_vector")})


def compared(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's ``include_object``: everything but the backend-only columns and indexes."""
    if type_ == "column":
        table = getattr(getattr(obj, "table", None), "name", None)
        return (table, name) not in BACKEND_ONLY_COLUMNS
    return not (type_ == "index" and name in BACKEND_ONLY_INDEXES)


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    cfg.attributes["database_url"] = database_url
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def heads() -> tuple[str, ...]:
    return tuple(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def schema_problem(database_url: str) -> str | None:
    """Why a command cannot use the database at ``database_url`` (one line saying what to
    do), or None. Never creates anything: a missing SQLite file stays missing."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database)
        if not path.is_file():
            return (
                f"no Simpul database at {path.resolve()}: run `simpul migrate` (and "
                "`simpul seed-demo`) first, or set SIMPUL_DATABASE_URL"
            )
    try:
        migrated = asyncio.run(_has_alembic_table(database_url))
    except Exception as exc:  # noqa: BLE001 - any failure is said in one line
        return (
            f"cannot reach the database ({type(exc).__name__}); check SIMPUL_DATABASE_URL "
            f"({url.render_as_string(hide_password=True)})"
        )
    if not migrated:
        return "the database has no Simpul schema: run `simpul migrate` first"
    return None


async def _has_alembic_table(database_url: str) -> bool:
    from sqlalchemy import inspect
    from sqlalchemy.ext.asyncio import create_async_engine

    from shared.db import async_url

    engine = create_async_engine(async_url(database_url))
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(lambda sync: inspect(sync).has_table("alembic_version"))
    finally:
        await engine.dispose()
