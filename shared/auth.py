"""The actors behind requests, and the FastAPI dependencies that find them.

Who the staff are and how they prove it is ``shared/identity``; here a valid credential
becomes the request's :class:`Actor`: a person (``user:<id>`` and their full name) for a
browser session or a token an account owns, an integration (``token:<id>`` and its name)
for a token without one. Every event records an actor; role and OPD checks read it
(``shared/cases/access.py``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shared.deps import DbSession
from shared.errors import Forbidden, Unauthorized
from shared.identity import sessions, tokens
from shared.identity.sessions import SESSION_COOKIE, LiveSession
from shared.identity.tokens import (
    API_KEY_PREFIX,
    TOKEN_PREFIX,
    BearerPrincipal,
    create_client_app,
    create_ops_token,
    hash_secret,
    new_secret,
)
from shared.lifecycle import Role
from shared.models.identity import ClientApp, StaffUser

__all__ = [
    "API_KEY_PREFIX",
    "SESSION_COOKIE",
    "SYSTEM",
    "TOKEN_PREFIX",
    "Actor",
    "ClientAppRef",
    "CurrentActor",
    "CurrentClientApp",
    "actor_for_user",
    "create_client_app",
    "create_ops_token",
    "hash_secret",
    "new_secret",
    "require_roles",
    "staff_session",
]


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


def actor_for_user(user: StaffUser) -> Actor:
    """The person behind a session or an owned token: what events record."""
    return Actor(
        type="ops",
        id=f"user:{user.id}",
        name=user.full_name,
        role=Role(user.role),
        opd_code=user.opd_code,
    )


def actor_for_token(principal: BearerPrincipal) -> Actor:
    if principal.owner is not None:
        return actor_for_user(principal.owner)
    row = principal.token
    return Actor(
        type="ops", id=f"token:{row.id}", name=row.name, role=Role(row.role), opd_code=row.opd_code
    )


async def client_app_from_key(request: Request, session: DbSession) -> ClientApp:
    key = request.headers.get("x-api-key")
    if not key:
        raise Unauthorized("missing X-API-Key header", code="missing_api_key")
    app = await tokens.client_app_by_key(session, key)
    if app is None:
        raise Unauthorized("invalid API key", code="invalid_api_key")
    return app


async def ops_actor(request: Request, session: DbSession) -> Actor:
    """The actor of ``Authorization: Bearer <token>``; 401 when missing, unknown, revoked,
    expired, or owned by a deactivated account. Looked up on every request (no cache)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "missing bearer token", code="missing_token", headers={"WWW-Authenticate": "Bearer"}
        )
    principal = await tokens.authenticate_token(session, token.strip())
    if principal is None:
        raise Unauthorized(
            "invalid or revoked token", code="invalid_token", headers={"WWW-Authenticate": "Bearer"}
        )
    if principal.stale_use:
        await tokens.record_use(request.app.state.db, principal.token.id)
    return actor_for_token(principal)


async def staff_session(request: Request, session: AsyncSession) -> LiveSession | None:
    """The browser's live staff session (any stage), or None. Pages decide what a stage
    may see: the board and the console's pages need ``full``."""
    live = await sessions.find_session(
        session, request.cookies.get(SESSION_COOKIE), request.app.state.settings
    )
    if live is not None and live.stale_seen:
        await sessions.record_seen(request.app.state.db, live.row.id)
    return live


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
        app = await tokens.client_app_by_key(session, key)
    if app is None:
        _api_key_cache.pop(key_hash, None)
        raise Unauthorized("invalid API key", code="invalid_api_key")
    ref = ClientAppRef(id=app.id, name=app.name, key_hash=key_hash)
    if len(_api_key_cache) >= _API_KEY_CACHE_MAX:
        _api_key_cache.clear()  # a flood of distinct valid keys is rare; start over
    _api_key_cache[key_hash] = (now + API_KEY_CACHE_SECONDS, ref)
    return ref


CurrentClientApp = Annotated[ClientApp, Depends(client_app_from_key)]
CurrentActor = Annotated[Actor, Depends(ops_actor)]


def require_roles(*roles: Role | str):
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
