"""Credentials of machines and scripts: API bearer tokens and local apps' API keys.

Each is a random 32-byte secret shown once and stored as its SHA-256 hash (with that much
entropy a fast hash is safe, and a lookup is one indexed equality). A token is owned by
an account — it acts as that person, and dies when the account is deactivated — or by a
named integration. Tokens have a role (their scope), an optional expiry and a last-used
time; both kinds are listed by name and owner (never a secret) and revoked by name or id.

Every request looks its credential up in the database: nothing is cached, so a revoke
is refused on the very next request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import Database
from shared.identity import audit
from shared.identity.audit import By, SecurityEventType
from shared.identity.roles import check_role_and_opd
from shared.models.base import utcnow
from shared.models.identity import ClientApp, OpsToken, StaffUser

API_KEY_PREFIX = "smp_"
TOKEN_PREFIX = "smpo_"
#: ``last_used_at`` is written at most this often per token (not a write per request).
LAST_USED_PRECISION = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


#: How long a rotated-out API key keeps working unless the caller says otherwise (hours).
DEFAULT_ROTATION_GRACE_HOURS = 24


class CredentialError(ValueError):
    """A credential request that cannot be done (unknown name, ambiguous name, bad role)."""


# -- API tokens --------------------------------------------------------------------------------


async def create_ops_token(
    session: AsyncSession,
    *,
    role: str,
    name: str,
    opd_code: str | None = None,
    owner: StaffUser | None = None,
    expires_at: datetime | None = None,
    by: By | None = None,
) -> tuple[OpsToken, str]:
    """Issue an API token; ``opd`` tokens must name their OPD, others must not. A token
    owned by an account has that account's role and OPD."""
    if owner is not None:
        if not owner.active:
            raise CredentialError(f"account {owner.username!r} is deactivated")
        role, opd_code = owner.role, owner.opd_code
    role = str(check_role_and_opd(role, opd_code))
    token = new_secret(TOKEN_PREFIX)
    row = OpsToken(
        name=name,
        role=role,
        opd_code=opd_code,
        token_prefix=token[:10],
        token_hash=hash_secret(token),
        owner_user_id=owner.id if owner is not None else None,
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    audit.record(
        session,
        SecurityEventType.TOKEN_CREATED,
        user=owner,
        by=by,
        token_id=row.id,
        token_name=name,
        role=role,
        opd=opd_code,
    )
    return row, token


@dataclass(frozen=True, slots=True)
class BearerPrincipal:
    """Who a valid bearer token speaks for; ``stale_use``: its last-used time is due a write
    (:func:`record_use`)."""

    token: OpsToken
    owner: StaffUser | None
    stale_use: bool = False


async def authenticate_token(session: AsyncSession, token: str) -> BearerPrincipal | None:
    """The token's principal, or None when unknown, revoked, expired, or its owner is
    deactivated or no longer holds the token's role and OPD."""
    row = await session.scalar(select(OpsToken).where(OpsToken.token_hash == hash_secret(token)))
    now = utcnow()
    if row is None or not row.active or (row.expires_at is not None and row.expires_at <= now):
        return None
    owner = None
    if row.owner_user_id is not None:
        owner = await session.get(StaffUser, row.owner_user_id)
        if (
            owner is None
            or not owner.active
            or owner.role != row.role
            or owner.opd_code != row.opd_code
        ):
            return None
    stale = row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION
    return BearerPrincipal(token=row, owner=owner, stale_use=stale)


async def record_use(db: Database, token_id: int) -> None:
    """Write a token's last use in a transaction of its own, committed at once: not in the
    request's, which would then hold SQLite's write lock for the whole request (and a
    report filling its cache from another session would wait for it)."""
    async with db.session() as session:
        await session.execute(
            update(OpsToken).where(OpsToken.id == token_id).values(last_used_at=utcnow())
        )


async def list_tokens(session: AsyncSession, *, include_revoked: bool = False) -> list[tuple]:
    """``(token, owner username or None)`` rows, newest first."""
    stmt = (
        select(OpsToken, StaffUser.username)
        .outerjoin(StaffUser, StaffUser.id == OpsToken.owner_user_id)
        .order_by(OpsToken.id.desc())
    )
    if not include_revoked:
        stmt = stmt.where(OpsToken.active.is_(True))
    return [(tok, username) for tok, username in (await session.execute(stmt)).all()]


async def _one_by_name_or_id(
    session: AsyncSession, model: type[OpsToken] | type[ClientApp], name_or_id: str, what: str
) -> Any:
    conditions = [model.name == name_or_id]
    if name_or_id.isdigit():
        conditions.append(model.id == int(name_or_id))
    rows = list(
        (await session.scalars(select(model).where(or_(*conditions), model.active.is_(True)))).all()
    )
    by_id = [r for r in rows if str(r.id) == name_or_id]
    if by_id:
        return by_id[0]
    if not rows:
        raise CredentialError(f"no active {what} named or numbered {name_or_id!r}")
    if len(rows) > 1:
        ids = ", ".join(str(r.id) for r in rows)
        raise CredentialError(
            f"{len(rows)} active {what}s are named {name_or_id!r}: give an id ({ids})"
        )
    return rows[0]


async def revoke_token(session: AsyncSession, name_or_id: str, *, by: By | None = None) -> OpsToken:
    row = await _one_by_name_or_id(session, OpsToken, name_or_id, "token")
    row.active, row.revoked_at = False, utcnow()
    audit.record(
        session,
        SecurityEventType.TOKEN_REVOKED,
        user=(await session.get(StaffUser, row.owner_user_id)) if row.owner_user_id else None,
        by=by,
        token_id=row.id,
        token_name=row.name,
    )
    await session.flush()
    return row


async def revoke_tokens_of(session: AsyncSession, user: StaffUser, reason: str) -> int:
    """Revoke every token an account owns (it is deactivated); returns how many."""
    result = await session.execute(
        update(OpsToken)
        .where(OpsToken.owner_user_id == user.id, OpsToken.active.is_(True))
        .values(active=False, revoked_at=utcnow())
    )
    return result.rowcount or 0


# -- local apps' API keys -------------------------------------------------------------------


async def create_client_app(
    session: AsyncSession, name: str, *, by: By | None = None
) -> tuple[ClientApp, str]:
    """Register a local app; returns it and its API key (shown once, never stored)."""
    key = new_secret(API_KEY_PREFIX)
    app = ClientApp(name=name, key_prefix=key[:10], key_hash=hash_secret(key))
    session.add(app)
    await session.flush()
    audit.record(session, SecurityEventType.CLIENT_CREATED, by=by, client_id=app.id, client=name)
    return app, key


async def client_app_by_key(session: AsyncSession, key: str) -> ClientApp | None:
    """The active app whose current key, or previous key still in its grace period, is ``key``."""
    key_hash = hash_secret(key)
    app = await session.scalar(select(ClientApp).where(ClientApp.key_hash == key_hash))
    if app is None:
        app = await session.scalar(
            select(ClientApp).where(
                ClientApp.previous_key_hash == key_hash,
                ClientApp.previous_key_expires_at > utcnow(),
            )
        )
    return app if app is not None and app.active else None


async def list_client_apps(
    session: AsyncSession, *, include_revoked: bool = False
) -> list[ClientApp]:
    stmt = select(ClientApp).order_by(ClientApp.id)
    if not include_revoked:
        stmt = stmt.where(ClientApp.active.is_(True))
    return list((await session.scalars(stmt)).all())


async def revoke_client_app(
    session: AsyncSession, name_or_id: str, *, by: By | None = None
) -> ClientApp:
    app = await _one_by_name_or_id(session, ClientApp, name_or_id, "client")
    app.active, app.revoked_at = False, utcnow()
    app.previous_key_hash = app.previous_key_expires_at = None
    audit.record(
        session, SecurityEventType.CLIENT_REVOKED, by=by, client_id=app.id, client=app.name
    )
    await session.flush()
    return app


async def rotate_client_key(
    session: AsyncSession, name_or_id: str, *, grace: timedelta, by: By | None = None
) -> tuple[ClientApp, str]:
    """A new key for the app; the current one stays valid for ``grace`` (zero: not at all)."""
    if grace < timedelta(0):
        raise CredentialError("the grace period cannot be negative")
    app = await _one_by_name_or_id(session, ClientApp, name_or_id, "client")
    key = new_secret(API_KEY_PREFIX)
    now = utcnow()
    if grace > timedelta(0):
        app.previous_key_hash, app.previous_key_expires_at = app.key_hash, now + grace
    else:
        app.previous_key_hash = app.previous_key_expires_at = None
    app.key_hash, app.key_prefix, app.rotated_at = hash_secret(key), key[:10], now
    audit.record(
        session,
        SecurityEventType.CLIENT_ROTATED,
        by=by,
        client_id=app.id,
        client=app.name,
        grace_s=int(grace.total_seconds()),
    )
    await session.flush()
    return app, key
