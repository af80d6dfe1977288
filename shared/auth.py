"""Credentials and the actors behind requests.

API keys (local apps) and ops bearer tokens are random 32-byte secrets shown once and
stored as SHA-256 hashes: with that much entropy a fast hash is safe, and lookup is one
indexed equality. An :class:`Actor` is who did something; every event records one.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.deps import DbSession
from shared.errors import Forbidden, Unauthorized
from shared.lifecycle import OPS_ROLES, Role
from shared.models import ClientApp, OpsToken

API_KEY_PREFIX = "smp_"
TOKEN_PREFIX = "smpo_"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: an ops user (role, maybe an OPD), a client app, the reporter, the system, LAPOR!."""

    type: str  # ops, client_app, reporter, system, lapor, provider
    id: str | None = None
    name: str | None = None
    role: Role = Role.SYSTEM
    opd_code: str | None = None

    @property
    def sees_identity(self) -> bool:
        """Only Admin Instansi may see an anonymous reporter's identity (DESIGN.md, anonim)."""
        return self.role == Role.ADMIN_INSTANSI


SYSTEM = Actor(type="system", id="simpul", name="Simpul", role=Role.SYSTEM)


async def create_client_app(session: AsyncSession, name: str) -> tuple[ClientApp, str]:
    """Register a local app; returns it and its API key (shown once, never stored)."""
    key = new_secret(API_KEY_PREFIX)
    app = ClientApp(name=name, key_prefix=key[:10], key_hash=hash_secret(key))
    session.add(app)
    await session.flush()
    return app, key


async def create_ops_token(
    session: AsyncSession, *, role: str, name: str, opd_code: str | None = None
) -> tuple[OpsToken, str]:
    """Issue an ops bearer token; ``opd`` tokens must name their OPD, others must not."""
    if role not in OPS_ROLES:
        choices = ", ".join(sorted(str(r) for r in OPS_ROLES))
        raise ValueError(f"unknown role {str(role)!r}; choose one of {choices}")
    role = Role(role)
    if role == Role.OPD and not opd_code:
        raise ValueError("an opd token must be bound to an OPD (--opd CODE)")
    if role != Role.OPD and opd_code and role != Role.ADMIN_INSTANSI:
        raise ValueError(f"role {role} is not bound to an OPD")
    token = new_secret(TOKEN_PREFIX)
    row = OpsToken(
        name=name,
        role=str(role),
        opd_code=opd_code,
        token_prefix=token[:10],
        token_hash=hash_secret(token),
    )
    session.add(row)
    await session.flush()
    return row, token


async def client_app_from_key(request: Request, session: DbSession) -> ClientApp:
    key = request.headers.get("x-api-key")
    if not key:
        raise Unauthorized("missing X-API-Key header", code="missing_api_key")
    app = await session.scalar(select(ClientApp).where(ClientApp.key_hash == hash_secret(key)))
    if app is None or not app.active:
        raise Unauthorized("invalid API key", code="invalid_api_key")
    return app


async def ops_actor(request: Request, session: DbSession) -> Actor:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "missing bearer token", code="missing_token", headers={"WWW-Authenticate": "Bearer"}
        )
    row = await session.scalar(
        select(OpsToken).where(OpsToken.token_hash == hash_secret(token.strip()))
    )
    if row is None or not row.active:
        raise Unauthorized(
            "invalid or revoked token", code="invalid_token", headers={"WWW-Authenticate": "Bearer"}
        )
    return Actor(
        type="ops", id=f"token:{row.id}", name=row.name, role=Role(row.role), opd_code=row.opd_code
    )


@dataclass(frozen=True, slots=True)
class ClientAppRef:
    """The calling app as a hot path knows it: enough to act for it and to re-check its key."""

    id: int
    name: str
    key_hash: str


#: How long a process trusts an API key it has looked up, for identifying the caller only:
#: writes re-check the key and the app's ``active`` flag in their own transaction.
API_KEY_CACHE_SECONDS = 30.0
_API_KEY_CACHE_MAX = 1024
_api_key_cache: dict[str, tuple[float, ClientAppRef]] = {}


async def cached_client_app(request: Request) -> ClientAppRef:
    """The app behind ``X-API-Key``, from a small per-process cache (no database round trip
    for a busy app's every request). Only for endpoints whose write re-verifies the key in
    its transaction (the grouped push API does), so a revoked key is refused at once."""
    key = request.headers.get("x-api-key")
    if not key:
        raise Unauthorized("missing X-API-Key header", code="missing_api_key")
    key_hash = hash_secret(key)
    now = time.monotonic()
    hit = _api_key_cache.get(key_hash)
    if hit is not None and hit[0] > now:
        return hit[1]
    async with request.app.state.db.sessionmaker() as session:
        app = await session.scalar(select(ClientApp).where(ClientApp.key_hash == key_hash))
    if app is None or not app.active:
        _api_key_cache.pop(key_hash, None)
        raise Unauthorized("invalid API key", code="invalid_api_key")
    ref = ClientAppRef(id=app.id, name=app.name, key_hash=key_hash)
    if len(_api_key_cache) >= _API_KEY_CACHE_MAX:
        _api_key_cache.clear()  # a flood of distinct valid keys is rare; start over
    _api_key_cache[key_hash] = (now + API_KEY_CACHE_SECONDS, ref)
    return ref


CurrentClientApp = Annotated[ClientApp, Depends(client_app_from_key)]
CurrentActor = Annotated[Actor, Depends(ops_actor)]


def require_roles(*roles: Role | str):  # noqa: ANN201 - a FastAPI dependency factory
    """A dependency that admits only ``roles`` (403 with the reason otherwise)."""
    allowed = frozenset(Role(r) for r in roles)

    async def _check(actor: CurrentActor) -> Actor:
        if actor.role not in allowed:
            raise Forbidden(
                f"role {actor.role} may not do this; needs one of {sorted(str(r) for r in allowed)}",
                code="role_not_allowed",
            )
        return actor

    return Depends(_check)
