"""Alembic, driven from code: ``simpul migrate``, ``make run`` and the tests use the same history."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: Indexes only one backend has, made by a migration and not declared on the models:
#: PostgreSQL's full-text GIN index (SQLite has no ``to_tsvector``; autogenerate cannot
#: compare expression indexes). Autogenerate leaves them out of its comparison.
BACKEND_ONLY_INDEXES = frozenset({"ix_cases_text_search"})


def compared(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's ``include_object``: everything but :data:`BACKEND_ONLY_INDEXES`."""
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
