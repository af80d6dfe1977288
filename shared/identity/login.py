"""Logging in: the password step, the second-factor step, and what comes next.

The steps, each a stage of the session (``sessions``):

1. username + password (:func:`check_password`). Unknown username, wrong password,
   deactivated or locked account: one answer, :data:`FAILED` — nothing tells which
   (no account enumeration), and an unknown username costs the same hashing time.
2. the TOTP code or a recovery code, if the account has two-factor on
   (:func:`check_second_factor`). A code is good once.
3. then, before anything else: a temporary password must be changed (``password``),
   and two-factor set up where the role requires it (``enrol``); then ``full``.

Failures (of either factor) count against the account — ``SIMPUL_LOGIN_MAX_FAILURES``
in a row lock it for ``SIMPUL_LOGIN_LOCKOUT_MINUTES`` (Admin Instansi can unlock it
sooner) — and against the address: ``SIMPUL_LOGIN_ADDRESS_MAX_FAILURES`` within that
window refuse further attempts from it (:data:`THROTTLED`). Each outcome is a security
event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import Settings
from shared.identity import audit, passwords, sessions, throttle, totp, users
from shared.identity.audit import Origin, SecurityEventType
from shared.models.base import utcnow
from shared.models.identity import RecoveryCode, StaffUser

FAILED = "failed"
THROTTLED = "throttled"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a login step decided: ``failed``, ``throttled``, or the session's next stage."""

    result: str
    user: StaffUser | None = None

    @property
    def ok(self) -> bool:
        return self.result not in (FAILED, THROTTLED)


def stage_after_factors(user: StaffUser, settings: Settings) -> str:
    """Where a session goes once its factors are checked."""
    if user.password_temporary:
        return sessions.PASSWORD
    if users.totp_required(user, settings) and not user.totp_enabled:
        return sessions.ENROL
    return sessions.FULL


def is_locked(user: StaffUser) -> bool:
    return user.locked_until is not None and user.locked_until > utcnow()


async def _fail(
    session: AsyncSession,
    settings: Settings,
    user: StaffUser | None,
    typed: str,
    origin: Origin,
    *,
    reason: str,
    event: SecurityEventType = SecurityEventType.LOGIN_FAILED,
) -> Outcome:
    await throttle.record_failure(session, typed, origin.address)
    if user is not None and not is_locked(user) and user.active:
        user.failed_logins += 1
        if user.failed_logins >= settings.login_max_failures:
            user.locked_until = utcnow() + timedelta(minutes=settings.login_lockout_minutes)
            audit.record(
                session, SecurityEventType.LOGIN_LOCKED, user=user, origin=origin,
                failures=user.failed_logins, minutes=settings.login_lockout_minutes,
            )  # fmt: skip
    audit.record(session, event, user=user, username=typed, origin=origin, reason=reason)
    await session.flush()
    return Outcome(FAILED, user)


async def check_password(
    session: AsyncSession, settings: Settings, username: str, password: str, origin: Origin
) -> Outcome:
    """Step 1. On success the outcome's ``result`` is the next stage (``totp`` or later)."""
    typed = users.normalize_username(username)[:64]
    if await throttle.address_blocked(session, origin.address, settings):
        audit.record(session, SecurityEventType.LOGIN_THROTTLED, username=typed, origin=origin)
        return Outcome(THROTTLED)
    user = await users.by_username(session, typed) if typed else None
    usable = user is not None and user.active
    matches = await passwords.verify_password(password, user.password_hash if usable else None)
    if user is None:
        return await _fail(session, settings, None, typed, origin, reason="unknown_user")
    if not user.active:
        return await _fail(session, settings, user, typed, origin, reason="inactive")
    if is_locked(user):
        return await _fail(session, settings, user, typed, origin, reason="locked")
    if not matches:
        return await _fail(session, settings, user, typed, origin, reason="wrong_password")
    if user.totp_enabled:
        return Outcome(sessions.TOTP, user)
    return await _succeeded(session, settings, user, origin, factors="password")


async def _succeeded(
    session: AsyncSession, settings: Settings, user: StaffUser, origin: Origin, *, factors: str
) -> Outcome:
    user.failed_logins, user.locked_until = 0, None
    user.last_login_at = utcnow()
    nxt = stage_after_factors(user, settings)
    audit.record(
        session,
        SecurityEventType.LOGIN_SUCCEEDED,
        user=user,
        origin=origin,
        factors=factors,
        next=nxt,
    )
    await session.flush()
    return Outcome(nxt, user)


async def _accept_totp(session: AsyncSession, user: StaffUser, code: str) -> bool:
    if user.totp_secret is None:
        return False
    step = totp.matching_step(user.totp_secret, code, last_step=user.totp_last_step)
    if step is None:
        return False
    # Conditional: of two requests racing with one code, one wins.
    won = await session.execute(
        update(StaffUser)
        .where(
            StaffUser.id == user.id,
            or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if not won.rowcount:
        return False
    user.totp_last_step = step
    return True


async def _accept_recovery_code(session: AsyncSession, user: StaffUser, code: str) -> bool:
    if not totp.looks_like_recovery_code(code):
        return False
    row = await session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == totp.recovery_code_hash(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if row is None:
        return False
    won = await session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(won.rowcount)


async def check_second_factor(
    session: AsyncSession, settings: Settings, user: StaffUser, code: str, origin: Origin
) -> Outcome:
    """Step 2: a TOTP code (once only) or an unused recovery code."""
    if await throttle.address_blocked(session, origin.address, settings):
        audit.record(session, SecurityEventType.LOGIN_THROTTLED, user=user, origin=origin)
        return Outcome(THROTTLED)
    if not user.active or is_locked(user):
        return await _fail(
            session, settings, user, user.username, origin, reason="locked",
            event=SecurityEventType.TOTP_FAILED,
        )  # fmt: skip
    if await _accept_totp(session, user, code):
        return await _succeeded(session, settings, user, origin, factors="password+totp")
    if await _accept_recovery_code(session, user, code):
        audit.record(session, SecurityEventType.RECOVERY_CODE_USED, user=user, origin=origin)
        return await _succeeded(session, settings, user, origin, factors="password+recovery_code")
    return await _fail(
        session, settings, user, user.username, origin, reason="wrong_code",
        event=SecurityEventType.TOTP_FAILED,
    )  # fmt: skip
