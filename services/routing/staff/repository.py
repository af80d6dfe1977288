"""Every query of the staff accounts API, starting from the accounts a caller manages."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Actor
from shared.config import Settings
from shared.identity.roles import MANAGES
from shared.lifecycle import Role
from shared.models.base import utcnow
from shared.models.identity import SecurityEvent, StaffSession, StaffUser

#: Most rows a list answers.
MAX_PAGE = 500


def manageable_users(actor: Actor) -> Select[tuple[StaffUser]]:
    """The accounts ``actor`` manages: Admin Instansi the pemda's officers, the operator the
    technical accounts. (A future ``pemda`` column narrows it here, once.)"""
    roles = MANAGES.get(Role(actor.role), frozenset())
    return select(StaffUser).where(StaffUser.role.in_(sorted(str(r) for r in roles)))


async def list_users(
    session: AsyncSession, actor: Actor, *, role: str | None, opd: str | None,
    active: bool | None, q: str | None,
) -> list[StaffUser]:  # fmt: skip
    stmt = manageable_users(actor).order_by(StaffUser.username).limit(MAX_PAGE)
    if role:
        stmt = stmt.where(StaffUser.role == role)
    if opd:
        stmt = stmt.where(StaffUser.opd_code == opd)
    if active is not None:
        stmt = stmt.where(StaffUser.active.is_(active))
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            or_(func.lower(StaffUser.full_name).like(like), StaffUser.username.like(like))
        )
    return list((await session.scalars(stmt)).all())


async def manageable_user(session: AsyncSession, actor: Actor, user_id: int) -> StaffUser | None:
    return await session.scalar(manageable_users(actor).where(StaffUser.id == user_id))


def _live_sessions(settings: Settings) -> list:
    now = utcnow()
    return [
        StaffSession.revoked_at.is_(None),
        StaffSession.stage == "full",
        StaffSession.expires_at > now,
        StaffSession.last_seen_at > now - timedelta(minutes=settings.session_idle_minutes),
    ]


async def active_session_counts(
    session: AsyncSession, user_ids: list[int], settings: Settings
) -> dict[int, int]:
    if not user_ids:
        return {}
    rows = await session.execute(
        select(StaffSession.user_id, func.count())
        .where(StaffSession.user_id.in_(user_ids), *_live_sessions(settings))
        .group_by(StaffSession.user_id)
    )
    return {uid: int(n) for uid, n in rows.all()}


async def security_events(
    session: AsyncSession, actor: Actor, *, user_id: int | None, type_: str | None, limit: int
) -> list[SecurityEvent]:
    """Security events about accounts ``actor`` manages (and, for Admin Instansi, refused
    logins of unknown usernames: the pemda's login page is theirs to watch)."""
    managed = manageable_users(actor).with_only_columns(StaffUser.id)
    scope = SecurityEvent.user_id.in_(managed)
    if Role(actor.role) == Role.ADMIN_INSTANSI:
        scope = or_(scope, SecurityEvent.user_id.is_(None))
    stmt = (
        select(SecurityEvent)
        .where(scope)
        .order_by(SecurityEvent.id.desc())
        .limit(min(limit, MAX_PAGE))
    )
    if user_id is not None:
        stmt = stmt.where(SecurityEvent.user_id == user_id)
    if type_:
        stmt = stmt.where(SecurityEvent.type == type_)
    return list((await session.scalars(stmt)).all())
