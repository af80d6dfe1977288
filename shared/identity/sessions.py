"""Server-side sessions of staff logged in through a browser (the console, the board).

The cookie holds an opaque random id (32 bytes); the row holds its SHA-256, the account,
the stage of logging in, a CSRF token, the absolute expiry, the last time it was seen,
the address and the user agent. Every request reads its row: a session revoked (log out,
"log out everywhere", an account deactivated, a password reset) is refused on the next
request, by any process. The id is replaced whenever the session gains rights (a factor
checked, a password changed), so an id planted before login is worth nothing after it.

Timeouts: ``SIMPUL_SESSION_IDLE_MINUTES`` since last seen, ``SIMPUL_SESSION_ABSOLUTE_HOURS``
since logging in; a half-finished login (a code expected) lasts ``LOGIN_STEP_TTL``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import Settings
from shared.db import Database
from shared.identity.audit import Origin
from shared.identity.tokens import hash_secret
from shared.models.base import utcnow
from shared.models.identity import StaffSession, StaffUser

#: The session cookie: HttpOnly, SameSite=Lax, Secure when the public URL is https.
SESSION_COOKIE = "simpul_sesi"
#: Session stages (see ``StaffSession``): what a session at that stage may do.
FULL = "full"
TOTP = "totp"
PASSWORD = "password"
ENROL = "enrol"
STAGES = (FULL, TOTP, PASSWORD, ENROL)
#: How long a login may stay half-done (a code expected, a password to change).
LOGIN_STEP_TTL = timedelta(minutes=10)
#: ``last_seen_at`` is written at most this often (idle timeouts are counted in minutes).
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class LiveSession:
    """A session found valid for this request, with its account; ``stale_seen``: its
    last-seen time is due a write (:func:`record_seen`)."""

    row: StaffSession
    user: StaffUser
    stale_seen: bool = False

    @property
    def stage(self) -> str:
        return self.row.stage


def _expiry(stage: str, settings: Settings, now: datetime) -> datetime:
    if stage == FULL:
        return now + timedelta(hours=settings.session_absolute_hours)
    return now + LOGIN_STEP_TTL


async def open_session(
    session: AsyncSession, user: StaffUser, *, stage: str, origin: Origin, settings: Settings
) -> tuple[StaffSession, str]:
    """A new session; returns the row and the id for the cookie (never stored)."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    row = StaffSession(
        id_hash=hash_secret(raw),
        user_id=user.id,
        stage=stage,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=_expiry(stage, settings, now),
        address=origin.address,
        user_agent=origin.user_agent,
    )
    session.add(row)
    await session.flush()
    return row, raw


async def advance(
    session: AsyncSession, row: StaffSession, *, stage: str, settings: Settings
) -> str:
    """Move a session to ``stage`` under a new id and CSRF token; returns the new id."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    row.id_hash, row.csrf_token, row.stage = hash_secret(raw), secrets.token_urlsafe(32), stage
    row.last_seen_at = now
    if stage == FULL:
        row.created_at = now
    row.expires_at = _expiry(stage, settings, now)
    await session.flush()
    return raw


def _idle_limit(row: StaffSession, settings: Settings) -> datetime:
    return row.last_seen_at + timedelta(minutes=settings.session_idle_minutes)


async def find_session(
    session: AsyncSession, raw: str | None, settings: Settings
) -> LiveSession | None:
    """The live session behind a cookie value, or None: unknown, revoked, expired (idle or
    absolute), or its account deactivated."""
    if not raw or len(raw) > 100:
        return None
    found = (
        await session.execute(
            select(StaffSession, StaffUser)
            .join(StaffUser, StaffUser.id == StaffSession.user_id)
            .where(StaffSession.id_hash == hash_secret(raw))
        )
    ).first()
    if found is None:
        return None
    row, user = found
    now = utcnow()
    if row.revoked_at is not None or not user.active:
        return None
    if now >= row.expires_at or now >= _idle_limit(row, settings):
        return None
    return LiveSession(row=row, user=user, stale_seen=now - row.last_seen_at >= TOUCH_EVERY)


async def record_seen(db: Database, session_id: int) -> None:
    """Write a session's last-seen time in a transaction of its own (as
    ``tokens.record_use``: the request's own transaction stays read-only until it writes)."""
    async with db.session() as session:
        await session.execute(
            update(StaffSession)
            .where(StaffSession.id == session_id, StaffSession.revoked_at.is_(None))
            .values(last_seen_at=utcnow())
        )


async def revoke(session: AsyncSession, row: StaffSession, reason: str) -> None:
    if row.revoked_at is None:
        row.revoked_at, row.revoked_reason = utcnow(), reason
        await session.flush()


async def revoke_all(
    session: AsyncSession, user: StaffUser, reason: str, *, keep: StaffSession | None = None
) -> int:
    """End every session of an account (but ``keep``); returns how many were live."""
    stmt = (
        update(StaffSession)
        .where(StaffSession.user_id == user.id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )
    if keep is not None:
        stmt = stmt.where(StaffSession.id != keep.id)
    result = await session.execute(stmt)
    return result.rowcount or 0


async def active_sessions(
    session: AsyncSession, user_id: int, settings: Settings
) -> list[StaffSession]:
    """An account's sessions that are logged in and not expired, most recently seen first."""
    now = utcnow()
    rows = await session.scalars(
        select(StaffSession)
        .where(
            StaffSession.user_id == user_id,
            StaffSession.revoked_at.is_(None),
            StaffSession.stage == FULL,
            StaffSession.expires_at > now,
            StaffSession.last_seen_at > now - timedelta(minutes=settings.session_idle_minutes),
        )
        .order_by(StaffSession.last_seen_at.desc())
    )
    return list(rows.all())


async def session_by_id(
    session: AsyncSession, user_id: int, session_id: int
) -> StaffSession | None:
    row = await session.get(StaffSession, session_id)
    return row if row is not None and row.user_id == user_id else None
