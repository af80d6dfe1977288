"""Credentials (CONTRACT.md, Ops and Intake): API keys and ops tokens are shown once and
stored only as hashes; revoked or inactive ones are refused; roles are enforced with a reason."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy import select, text, update

from shared.auth import (
    API_KEY_PREFIX,
    TOKEN_PREFIX,
    CurrentActor,
    CurrentClientApp,
    create_client_app,
    create_ops_token,
    require_roles,
)
from shared.models import ClientApp, Opd, OpsToken


def _router() -> APIRouter:
    router = APIRouter(prefix="/probe")

    @router.get("/me")
    async def me(actor: CurrentActor) -> dict:
        return {"role": str(actor.role), "opd": actor.opd_code, "name": actor.name}

    @router.get("/app")
    async def app_(client_app: CurrentClientApp) -> dict:
        return {"name": client_app.name}

    @router.get("/admin-only", dependencies=[require_roles("admin_instansi", "operator")])
    async def admin_only() -> dict:
        return {"ok": True}

    return router


@pytest.fixture
async def pupr(db) -> str:
    async with db.session() as session:
        session.add(Opd(code="PUPR", name="Dinas Pekerjaan Umum dan Penataan Ruang", kind="dinas"))
    return "PUPR"


@pytest.fixture
async def probe(probe_app):
    app = probe_app(_router())
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            yield client


async def _all_text_in_tables(db, *tables: str) -> str:
    """Every value of every row of ``tables`` as one string (to look for a leaked secret)."""
    chunks = []
    async with db.session() as session:
        for table in tables:
            for row in (await session.execute(text(f"SELECT * FROM {table}"))).all():
                chunks.extend(str(v) for v in row)
    return "\n".join(chunks)


async def test_api_keys_and_tokens_are_stored_hashed(db, pupr):
    async with db.session() as session:
        client_app, key = await create_client_app(session, "aplikasi-rsud")
        token_row, token = await create_ops_token(
            session, role="opd", name="Penghubung PUPR", opd_code="PUPR"
        )
    assert key.startswith(API_KEY_PREFIX) and len(key) > 40
    assert token.startswith(TOKEN_PREFIX) and len(token) > 40
    stored = await _all_text_in_tables(db, "client_apps", "ops_tokens")
    assert key not in stored and token not in stored
    assert key[len(API_KEY_PREFIX) :] not in stored and token[len(TOKEN_PREFIX) :] not in stored
    # only a short prefix (to tell keys apart in a list) is kept in clear
    assert len(client_app.key_prefix) <= 10 and len(token_row.token_prefix) <= 10


async def test_two_keys_never_repeat(db):
    async with db.session() as session:
        keys = {(await create_client_app(session, f"app-{i}"))[1] for i in range(20)}
    assert len(keys) == 20


async def test_a_valid_token_and_key_authenticate(db, probe, pupr):
    async with db.session() as session:
        _row, token = await create_ops_token(
            session, role="opd", name="Penghubung PUPR", opd_code="PUPR"
        )
        _app, key = await create_client_app(session, "aplikasi-rsud")
    me = await probe.get("/probe/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json() == {"role": "opd", "opd": "PUPR", "name": "Penghubung PUPR"}
    app_ = await probe.get("/probe/app", headers={"X-API-Key": key})
    assert app_.status_code == 200 and app_.json() == {"name": "aplikasi-rsud"}


async def test_missing_or_unknown_token_is_401(probe):
    for headers, code in [
        ({}, "missing_token"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "missing_token"),
        ({"Authorization": "Bearer "}, "missing_token"),
        ({"Authorization": "Bearer smpo_not-a-real-token"}, "invalid_token"),
    ]:
        response = await probe.get("/probe/me", headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["error"]["code"] == code
        assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_a_revoked_token_is_401(db, probe):
    async with db.session() as session:
        row, token = await create_ops_token(session, role="admin_instansi", name="Admin")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await probe.get("/probe/me", headers=headers)).status_code == 200
    async with db.session() as session:
        await session.execute(update(OpsToken).where(OpsToken.id == row.id).values(active=False))
    response = await probe.get("/probe/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


async def test_missing_or_unknown_api_key_is_401(probe):
    for headers in ({}, {"X-API-Key": ""}, {"X-API-Key": "smp_unknown"}):
        response = await probe.get("/probe/app", headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["error"]["code"] in {"missing_api_key", "invalid_api_key"}


async def test_an_inactive_client_app_is_401(db, probe):
    async with db.session() as session:
        client_app, key = await create_client_app(session, "aplikasi-lama")
        client_app.active = False
    response = await probe.get("/probe/app", headers={"X-API-Key": key})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


async def test_an_api_key_is_not_a_bearer_token_and_vice_versa(db, probe):
    async with db.session() as session:
        _row, token = await create_ops_token(session, role="admin_instansi", name="Admin")
        _app, key = await create_client_app(session, "aplikasi-rsud")
    assert (
        await probe.get("/probe/me", headers={"Authorization": f"Bearer {key}"})
    ).status_code == 401
    assert (await probe.get("/probe/app", headers={"X-API-Key": token})).status_code == 401


async def test_require_roles_answers_403_with_the_reason(db, probe):
    async with db.session() as session:
        _row, viewer = await create_ops_token(session, role="viewer", name="Pimpinan")
        _row, admin = await create_ops_token(session, role="admin_instansi", name="Admin")
    refused = await probe.get("/probe/admin-only", headers={"Authorization": f"Bearer {viewer}"})
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "role_not_allowed"
    assert "viewer" in error["message"] and "admin_instansi" in error["message"]
    allowed = await probe.get("/probe/admin-only", headers={"Authorization": f"Bearer {admin}"})
    assert allowed.status_code == 200
    # no token at all is 401, not 403
    assert (await probe.get("/probe/admin-only")).status_code == 401


async def test_an_opd_token_must_name_its_opd(db):
    async with db.session() as session:
        with pytest.raises(ValueError, match="--opd"):
            await create_ops_token(session, role="opd", name="Penghubung")


async def test_unknown_or_non_human_roles_are_refused(db):
    async with db.session() as session:
        for role in ("superuser", "reporter", "system", "lapor", ""):
            with pytest.raises(ValueError, match="unknown role"):
                await create_ops_token(session, role=role, name="x")
        assert (await session.scalars(select(OpsToken))).all() == []


async def test_a_read_only_role_cannot_be_bound_to_an_opd(db, pupr):
    async with db.session() as session:
        with pytest.raises(ValueError, match="not bound"):
            await create_ops_token(session, role="viewer", name="x", opd_code="PUPR")


async def test_client_app_names_are_unique(db):
    from sqlalchemy.exc import IntegrityError

    async with db.session() as session:
        await create_client_app(session, "aplikasi-rsud")
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            await create_client_app(session, "aplikasi-rsud")
    async with db.session() as session:
        assert len((await session.scalars(select(ClientApp))).all()) == 1
