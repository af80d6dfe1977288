"""Machine credentials (issue 16): tokens issued before the accounts migration keep
working; tokens expire and are revoked at once; a rotated API key keeps working for its
grace period only, on every path that checks keys (the grouped push API too)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text, update

from services.embedded import create_app
from shared.auth import hash_secret
from shared.config import Settings
from shared.identity import tokens
from shared.migrate import alembic_config, upgrade
from shared.models import ClientApp, OpsToken, utcnow

OLD_TOKEN = "smpo_" + "x" * 43
OLD_KEY = "smp_" + "y" * 43
#: The revision just before the accounts migration (0011), whatever lands before it.
BEFORE_ACCOUNTS = (
    ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision("0011").down_revision
)


def test_tokens_and_keys_issued_before_the_accounts_migration_keep_working(
    empty_database_url, tmp_path
):
    url = empty_database_url
    upgrade(url, BEFORE_ACCOUNTS)

    async def issue_the_old_way() -> None:
        from shared.db import Database

        db = Database(url)
        try:
            async with db.session() as session:
                await session.execute(
                    text(
                        "INSERT INTO ops_tokens (name, role, opd_code, token_prefix, token_hash, active, created_at)"
                        " VALUES ('lama', 'admin_instansi', NULL, :p, :h, true, CURRENT_TIMESTAMP)"
                    ),
                    {"p": OLD_TOKEN[:10], "h": hash_secret(OLD_TOKEN)},
                )
                await session.execute(
                    text(
                        "INSERT INTO client_apps (name, key_prefix, key_hash, active, created_at)"
                        " VALUES ('aplikasi-lama', :p, :h, true, CURRENT_TIMESTAMP)"
                    ),
                    {"p": OLD_KEY[:10], "h": hash_secret(OLD_KEY)},
                )
        finally:
            await db.dispose()

    asyncio.run(issue_the_old_way())
    upgrade(url)

    async def use_them() -> None:
        settings = Settings(
            _env_file=None, env="test", database_url=url, data_dir=str(tmp_path / "data"),
            run_workers=False, log_level="WARNING",
        )  # fmt: skip
        app = create_app(settings, run_workers=False)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://t"
            ) as client:
                cases = await client.get(
                    "/admin/cases", headers={"Authorization": f"Bearer {OLD_TOKEN}"}
                )
                assert cases.status_code == 200, cases.text
                mine = await client.get(
                    "/api/v1/complaints/ACDEFGHJ", headers={"X-API-Key": OLD_KEY}
                )
                assert mine.status_code == 404  # authenticated; no such case
                async with app.state.db.session() as session:
                    [(owner, last_used)] = (
                        await session.execute(
                            text("SELECT owner_user_id, last_used_at FROM ops_tokens")
                        )
                    ).all()
                assert owner is None and last_used is not None  # a named integration's token

    asyncio.run(use_them())


async def test_an_expired_token_is_refused(client, app):
    async with app.state.db.session() as session:
        row, token = await tokens.create_ops_token(session, role="viewer", name="sementara")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/admin/cases", headers=headers)).status_code == 200
    async with app.state.db.session() as session:
        await session.execute(
            update(OpsToken)
            .where(OpsToken.id == row.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert (await client.get("/admin/cases", headers=headers)).status_code == 401


async def _push(client: httpx.AsyncClient, key: str) -> int:
    answer = await client.post(
        "/api/v1/complaints",
        json={"description": "Jalan rusak di depan pasar, mohon diperbaiki."},
        headers={"X-API-Key": key},
    )
    return answer.status_code


@pytest.mark.parametrize("group_commit", [True, False])
async def test_a_rotated_key_works_for_its_grace_period_only(
    client, app, group_commit, monkeypatch
):
    app.state.settings.intake_group_commit = group_commit
    async with app.state.db.session() as session:
        created, old = await tokens.create_client_app(session, "aplikasi-rsud")
    async with app.state.db.session() as session:
        _app, new = await tokens.rotate_client_key(
            session, "aplikasi-rsud", grace=timedelta(hours=1)
        )
    assert await _push(client, new) == 201
    assert await _push(client, old) == 201  # still in its grace period
    async with app.state.db.session() as session:
        await session.execute(
            update(ClientApp)
            .where(ClientApp.id == created.id)
            .values(previous_key_expires_at=utcnow() - timedelta(seconds=1))
        )
    assert await _push(client, old) == 401
    assert await _push(client, new) == 201
    async with app.state.db.session() as session:
        await tokens.revoke_client_app(session, str(created.id))
    assert await _push(client, new) == 401  # revoked: refused on the next request
