"""One Alembic history (STYLE.md, migrations): a single head, up and down and up again on both
databases, models identical to what the migrations build, and ``simpul migrate`` idempotent."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from shared.db import Database
from shared.migrate import alembic_config, compared, downgrade, heads, upgrade
from shared.models import Base

FOUNDATION_TABLES = {
    "cases",
    "reporters",
    "case_copies",
    "case_messages",
    "attachments",
    "events",
    "event_deliveries",
    "outbound_messages",
    "opds",
    "categories",
    "kecamatan",
    "desa",
    "client_apps",
    "ops_tokens",
}


def test_the_history_has_a_single_head_and_one_line():
    assert len(heads()) == 1
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revisions = list(script.walk_revisions())
    assert [r.revision for r in revisions if r.down_revision is None] == ["0001"]
    assert all(not r.is_merge_point for r in revisions)


async def _state(url: str) -> tuple[set[str], list[str], list]:
    """Tables, the alembic revision, and the differences between the models and the schema."""
    db = Database(url, pool_size=1, max_overflow=0)
    try:
        async with db.engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            version = []
            if "alembic_version" in tables:
                version = list(
                    (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars()
                )
            diffs = await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(
                        c, opts={"compare_type": True, "include_object": compared}
                    ),
                    Base.metadata,
                )
            )
    finally:
        await db.dispose()
    return tables - {"alembic_version"}, version, diffs


def test_upgrade_downgrade_upgrade_and_models_match_migrations(empty_database_url):
    url = empty_database_url
    upgrade(url)
    tables, version, diffs = asyncio.run(_state(url))
    assert version == list(heads())
    assert FOUNDATION_TABLES <= tables
    assert tables == set(Base.metadata.tables)
    assert diffs == [], "models and migrations disagree:\n" + "\n".join(map(str, diffs))

    downgrade(url, "base")
    tables, version, _ = asyncio.run(_state(url))
    assert tables == set() and version == []

    upgrade(url)
    tables, version, diffs = asyncio.run(_state(url))
    assert version == list(heads())
    assert tables == set(Base.metadata.tables)
    assert diffs == []
