"""Staff accounts: create, edit, deactivate (never delete), passwords, two-factor, unlock.

Every change writes a security event in the same transaction. What ends access does so
at once: deactivating an account, resetting its password or its two-factor revokes its
sessions (and, on deactivation, its tokens) in the same commit, and every request checks
``active`` anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import Settings
from shared.errors import Conflict, NotFound, Unprocessable
from shared.identity import audit, passwords, sessions, tokens, totp
from shared.identity.audit import By, Origin, SecurityEventType
from shared.identity.roles import check_role_and_opd
from shared.models.base import utcnow
from shared.models.identity import RecoveryCode, StaffSession, StaffUser
from shared.models.reference import Opd
from shared.phones import try_normalize_phone

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
NOTIFY_CHANNELS = ("email", "whatsapp", "sms", "telegram")
#: Fields an admin may edit (``update_user``); role and OPD are checked together.
EDITABLE = (
    "full_name",
    "nip",
    "position",
    "role",
    "opd_code",
    "email",
    "phone",
    "telegram_chat_id",
    "notify_channel",
    "penanggung_jawab_opd",
)


def normalize_username(username: str) -> str:
    return username.strip().lower()


async def by_username(session: AsyncSession, username: str) -> StaffUser | None:
    return await session.scalar(
        select(StaffUser).where(StaffUser.username == normalize_username(username)[:64])
    )


async def check_opd(session: AsyncSession, opd_code: str | None) -> None:
    if opd_code and await session.scalar(select(Opd.code).where(Opd.code == opd_code)) is None:
        raise Unprocessable(f"unknown OPD {opd_code!r}", code="unknown_opd")


def _check_contact(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if out.get("phone"):
        phone = try_normalize_phone(out["phone"])
        if phone is None:
            raise Unprocessable(f"not a phone number: {out['phone']!r}", code="invalid_phone")
        out["phone"] = phone
    if out.get("email") and "@" not in out["email"]:
        raise Unprocessable(f"not an e-mail address: {out['email']!r}", code="invalid_email")
    channel = out.get("notify_channel")
    if channel and channel not in NOTIFY_CHANNELS:
        raise Unprocessable(
            f"notify_channel must be one of {', '.join(NOTIFY_CHANNELS)}", code="invalid_channel"
        )
    return out


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    full_name: str,
    role: str,
    opd_code: str | None = None,
    by: By | None = None,
    origin: Origin | None = None,
    demo: bool = False,
    **fields: Any,
) -> tuple[StaffUser, str]:
    """A new account with a temporary password (returned once: shown to whoever hands it over)."""
    username = normalize_username(username)
    if not USERNAME.match(username):
        raise Unprocessable(
            "username: 3-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
            code="invalid_username",
        )
    try:
        role = str(check_role_and_opd(role, opd_code))
    except ValueError as exc:
        raise Unprocessable(str(exc), code="invalid_role") from None
    await check_opd(session, opd_code)
    await check_opd(session, fields.get("penanggung_jawab_opd"))
    if await by_username(session, username) is not None:
        raise Conflict(f"username {username!r} is taken", code="username_taken")
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise Unprocessable(f"unknown field(s) {', '.join(sorted(unknown))}", code="unknown_field")
    temporary = passwords.temporary_password()
    user = StaffUser(
        username=username,
        full_name=full_name.strip() or username,
        role=role,
        opd_code=opd_code or None,
        password_hash=await passwords.hash_password(temporary),
        password_temporary=True,
        demo=demo,
        **_check_contact(fields),
    )
    session.add(user)
    await session.flush()
    audit.record(
        session,
        SecurityEventType.USER_CREATED,
        user=user,
        by=by,
        origin=origin,
        role=role,
        opd=opd_code,
    )
    return user, temporary


async def update_user(
    session: AsyncSession, user: StaffUser, changes: dict[str, Any], *, by: By | None = None,
    origin: Origin | None = None, settings: Settings | None = None,
) -> StaffUser:  # fmt: skip
    """Apply ``changes`` (a subset of :data:`EDITABLE`). A change of role or OPD ends the
    account's sessions and tokens: they were granted for the old one."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise Unprocessable(f"unknown field(s) {', '.join(sorted(unknown))}", code="unknown_field")
    changes = _check_contact(changes)
    role = changes.get("role", user.role)
    opd_code = changes.get("opd_code", user.opd_code)
    try:
        check_role_and_opd(role, opd_code)
    except ValueError as exc:
        raise Unprocessable(str(exc), code="invalid_role") from None
    await check_opd(session, opd_code)
    await check_opd(session, changes.get("penanggung_jawab_opd"))
    changed = {k: v for k, v in changes.items() if getattr(user, k) != v}
    if not changed:
        return user
    for key, value in changed.items():
        setattr(user, key, value)
    user.updated_at = utcnow()
    if "role" in changed or "opd_code" in changed:
        await sessions.revoke_all(session, user, "role_changed")
        await tokens.revoke_tokens_of(session, user, "role_changed")
    audit.record(
        session, SecurityEventType.USER_UPDATED, user=user, by=by, origin=origin,
        fields=sorted(changed),
    )  # fmt: skip
    await session.flush()
    return user


async def deactivate(
    session: AsyncSession, user: StaffUser, *, by: By | None = None, origin: Origin | None = None
) -> None:
    """Access ends now: sessions and tokens revoked; the account and its history stay."""
    if not user.active:
        return
    user.active, user.deactivated_at, user.updated_at = False, utcnow(), utcnow()
    ended = await sessions.revoke_all(session, user, "deactivated")
    revoked = await tokens.revoke_tokens_of(session, user, "deactivated")
    audit.record(
        session, SecurityEventType.USER_DEACTIVATED, user=user, by=by, origin=origin,
        sessions_ended=ended, tokens_revoked=revoked,
    )  # fmt: skip
    await session.flush()


async def reactivate(
    session: AsyncSession, user: StaffUser, *, by: By | None = None, origin: Origin | None = None
) -> str:
    """Active again, with a new temporary password (the old one may have been shared)."""
    if user.active:
        raise Conflict("the account is active", code="already_active")
    user.active, user.deactivated_at = True, None
    temporary = await _set_temporary_password(user)
    audit.record(session, SecurityEventType.USER_REACTIVATED, user=user, by=by, origin=origin)
    await session.flush()
    return temporary


async def _set_temporary_password(user: StaffUser) -> str:
    temporary = passwords.temporary_password()
    user.password_hash = await passwords.hash_password(temporary)
    user.password_temporary, user.updated_at = True, utcnow()
    user.failed_logins, user.locked_until = 0, None
    user.demo = False  # no longer the published password
    return temporary


async def reset_password(
    session: AsyncSession, user: StaffUser, *, by: By | None = None, origin: Origin | None = None
) -> str:
    """A new temporary password (returned once); the account's sessions end."""
    temporary = await _set_temporary_password(user)
    ended = await sessions.revoke_all(session, user, "password_reset")
    audit.record(
        session, SecurityEventType.PASSWORD_RESET, user=user, by=by, origin=origin,
        sessions_ended=ended,
    )  # fmt: skip
    await session.flush()
    return temporary


async def change_password(
    session: AsyncSession,
    user: StaffUser,
    *,
    current: str,
    new: str,
    keep: StaffSession | None = None,
    origin: Origin | None = None,
) -> list[str]:
    """Change one's own password; returns the reasons it was refused (empty: changed).
    The account's other sessions end (whoever knew the old password is logged out)."""
    if not await passwords.verify_password(current, user.password_hash):
        return ["Kata sandi saat ini salah."]
    reasons = passwords.problems(new, username=user.username, full_name=user.full_name)
    if not reasons and await passwords.verify_password(new, user.password_hash):
        reasons.append("Kata sandi baru harus berbeda dari kata sandi saat ini.")
    if reasons:
        return reasons
    user.password_hash = await passwords.hash_password(new)
    user.password_temporary, user.demo = False, False
    user.password_changed_at = user.updated_at = utcnow()
    ended = await sessions.revoke_all(session, user, "password_changed", keep=keep)
    audit.record(
        session, SecurityEventType.PASSWORD_CHANGED, user=user, origin=origin, sessions_ended=ended
    )
    await session.flush()
    return []


async def unlock(
    session: AsyncSession, user: StaffUser, *, by: By | None = None, origin: Origin | None = None
) -> None:
    user.failed_logins, user.locked_until = 0, None
    audit.record(session, SecurityEventType.USER_UNLOCKED, user=user, by=by, origin=origin)
    await session.flush()


# -- two-factor --------------------------------------------------------------------------


def totp_required(user: StaffUser, settings: Settings) -> bool:
    return user.role in settings.totp_required_role_set


async def start_enrolment(session: AsyncSession, user: StaffUser) -> str:
    """A pending secret (kept across page loads until confirmed by a valid code)."""
    if user.totp_pending_secret is None:
        user.totp_pending_secret = totp.new_secret()
        await session.flush()
    return user.totp_pending_secret


@dataclass(frozen=True)
class Enrolled:
    recovery_codes: list[str]


async def confirm_enrolment(
    session: AsyncSession, user: StaffUser, code: str, *, origin: Origin | None = None
) -> Enrolled | None:
    """Turn the pending secret on if ``code`` is valid for it; returns the recovery codes
    (shown once) or None."""
    secret = user.totp_pending_secret
    if secret is None:
        return None
    step = totp.matching_step(secret, code, last_step=None)
    if step is None:
        return None
    user.totp_secret, user.totp_pending_secret = secret, None
    user.totp_enabled_at, user.totp_last_step = utcnow(), step
    codes = await _new_recovery_codes(session, user)
    audit.record(session, SecurityEventType.TOTP_ENROLLED, user=user, origin=origin)
    await session.flush()
    return Enrolled(recovery_codes=codes)


async def _new_recovery_codes(session: AsyncSession, user: StaffUser) -> list[str]:
    await session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    codes = totp.new_recovery_codes()
    session.add_all(
        RecoveryCode(user_id=user.id, code_hash=totp.recovery_code_hash(c)) for c in codes
    )
    return codes


async def reset_totp(
    session: AsyncSession, user: StaffUser, *, by: By | None = None, origin: Origin | None = None
) -> None:
    """Two-factor off (phone lost): the next login enrols again where it is required; the
    account's sessions end and unused recovery codes are void."""
    user.totp_secret = user.totp_enabled_at = user.totp_pending_secret = None
    user.totp_last_step = None
    await session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    ended = await sessions.revoke_all(session, user, "totp_reset")
    audit.record(
        session, SecurityEventType.TOTP_RESET, user=user, by=by, origin=origin, sessions_ended=ended
    )
    await session.flush()


async def unused_recovery_codes(session: AsyncSession, user: StaffUser) -> int:
    n = await session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
    return int(n or 0)


async def get_user(session: AsyncSession, user_id: int) -> StaffUser:
    user = await session.get(StaffUser, user_id)
    if user is None:
        raise NotFound("no such account", code="user_not_found")
    return user
