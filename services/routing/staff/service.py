"""The rules of managing people: who may touch whose account, and what each change does.

Admin Instansi manages the pemda's officers (``admin_instansi``, ``opd``, ``apip``,
``viewer``); the operator manages technical accounts (``operator``) — ``roles.MANAGES``.
An account outside the caller's reach is answered like a missing one (404). One's own
account is changed in the console (password, two-factor, sessions), not here, so a
stolen API token cannot turn off its owner's second factor or lock everyone out.
Accounts are never deleted: deactivation ends their sessions and tokens at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.routing.staff import repository
from shared.auth import Actor
from shared.config import Settings
from shared.errors import Conflict, Forbidden, NotFound
from shared.identity import audit, sessions, users
from shared.identity.audit import By, Origin, SecurityEventType
from shared.identity.roles import MANAGES
from shared.lifecycle import Role
from shared.models.identity import StaffUser

#: API field → account column.
FIELDS = {"opd": "opd_code"}


def by(actor: Actor) -> By:
    return (actor.id, actor.name)


def _check_role_reach(actor: Actor, role: str | None) -> None:
    if role is None:
        return
    reach = MANAGES.get(Role(actor.role), frozenset())
    if role not in {str(r) for r in reach}:
        allowed = ", ".join(sorted(str(r) for r in reach)) or "none"
        raise Forbidden(
            f"role {actor.role} may not manage {role} accounts; it manages: {allowed}",
            code="role_not_managed",
        )


async def get_managed(session: AsyncSession, actor: Actor, user_id: int) -> StaffUser:
    user = await repository.manageable_user(session, actor, user_id)
    if user is None:
        raise NotFound("no such account", code="user_not_found")
    return user


def _not_self(actor: Actor, user: StaffUser, what: str) -> None:
    if actor.id == f"user:{user.id}":
        raise Conflict(
            f"you cannot {what} your own account here; use the console (/konsol)",
            code="own_account",
        )


def _columns(data: dict[str, Any]) -> dict[str, Any]:
    return {FIELDS.get(k, k): v for k, v in data.items()}


async def create(
    session: AsyncSession, actor: Actor, data: dict[str, Any], origin: Origin
) -> tuple[StaffUser, str]:
    _check_role_reach(actor, data.get("role"))
    fields = _columns(data)
    username, full_name, role = fields.pop("username"), fields.pop("full_name"), fields.pop("role")
    opd_code = fields.pop("opd_code", None)
    return await users.create_user(
        session, username=username, full_name=full_name, role=role, opd_code=opd_code,
        by=by(actor), origin=origin, **{k: v for k, v in fields.items() if v is not None},
    )  # fmt: skip


async def update(
    session: AsyncSession, actor: Actor, user_id: int, data: dict[str, Any], origin: Origin
) -> StaffUser:
    user = await get_managed(session, actor, user_id)
    _check_role_reach(actor, data.get("role"))
    changes = _columns(data)
    if ("role" in changes or "opd_code" in changes) and actor.id == f"user:{user.id}":
        _not_self(actor, user, "change the role of")
    if "role" in changes and changes["role"] != "opd" and "opd_code" not in changes:
        changes["opd_code"] = None if changes["role"] != "admin_instansi" else user.opd_code
    return await users.update_user(session, user, changes, by=by(actor), origin=origin)


@dataclass(frozen=True)
class AccountAction:
    """One action on another's account (``POST /admin/users/{id}/<name>``).

    ``change`` is the ``shared.identity.users`` function that does it (a temporary password
    is its result where ``gives_password``); ``not_own`` names it in the refusal to do it to
    one's own account here (None: allowed); ``ends_sessions``: the answer counts none."""

    change: Callable[..., Awaitable[Any]]
    summary: str
    not_own: str | None = None
    needs_active: bool = False
    gives_password: bool = False
    ends_sessions: bool = True


ACCOUNT_ACTIONS: dict[str, AccountAction] = {
    "deactivate": AccountAction(
        users.deactivate, "Deactivate: sessions and tokens end now", not_own="deactivate"
    ),
    "reactivate": AccountAction(
        users.reactivate, "Reactivate, with a new temporary password", gives_password=True
    ),
    "reset-password": AccountAction(
        users.reset_password,
        "A new temporary password (shown once); sessions end",
        not_own="reset the password of",
        needs_active=True,
        gives_password=True,
    ),
    "reset-2fa": AccountAction(
        users.reset_totp,
        "Turn two-factor off (set up again at next login); sessions end",
        not_own="reset two-factor of",
    ),
    "unlock": AccountAction(users.unlock, "Lift a lock-out", ends_sessions=False),
}


async def act(
    session: AsyncSession, actor: Actor, user_id: int, name: str, origin: Origin
) -> tuple[StaffUser, str | None]:
    """Do ``ACCOUNT_ACTIONS[name]`` to a managed account; the temporary password, if any."""
    action = ACCOUNT_ACTIONS[name]
    user = await get_managed(session, actor, user_id)
    if action.not_own is not None:
        _not_self(actor, user, action.not_own)
    if action.needs_active and not user.active:
        raise Conflict("the account is deactivated; reactivate it instead", code="inactive")
    result = await action.change(session, user, by=by(actor), origin=origin)
    return user, result if action.gives_password else None


async def end_sessions(session: AsyncSession, actor: Actor, user_id: int, origin: Origin) -> int:
    user = await get_managed(session, actor, user_id)
    ended = await sessions.revoke_all(session, user, "ended_by_admin")
    audit.record(
        session, SecurityEventType.SESSION_REVOKED, user=user, by=by(actor), origin=origin,
        sessions_ended=ended,
    )  # fmt: skip
    return ended


def as_dict(user: StaffUser, active_sessions: int) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "opd": user.opd_code,
        "nip": user.nip,
        "position": user.position,
        "email": user.email,
        "phone": user.phone,
        "telegram_chat_id": user.telegram_chat_id,
        "notify_channel": user.notify_channel,
        "penanggung_jawab_opd": user.penanggung_jawab_opd,
        "active": user.active,
        "two_factor": user.totp_enabled,
        "password_temporary": user.password_temporary,
        "locked_until": user.locked_until,
        "last_login_at": user.last_login_at,
        "created_at": user.created_at,
        "deactivated_at": user.deactivated_at,
        "active_sessions": active_sessions,
    }


async def with_counts(
    session: AsyncSession, found: list[StaffUser], settings: Settings
) -> list[dict[str, Any]]:
    counts = await repository.active_session_counts(session, [u.id for u in found], settings)
    return [as_dict(u, counts.get(u.id, 0)) for u in found]
