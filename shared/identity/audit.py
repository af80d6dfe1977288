"""The security audit trail: one :class:`SecurityEvent` row per login, failure, lock-out,
password or two-factor change, session or credential revoked, account managed.

Rows are written in the transaction of the change they describe (a refused login's row
commits with its failure count). Never a password, a code, a token or a session id in
``detail``: only names, ids, reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.identity import SecurityEvent, StaffUser


class SecurityEventType(StrEnum):
    LOGIN_SUCCEEDED = "login.succeeded"
    LOGIN_FAILED = "login.failed"
    LOGIN_LOCKED = "login.locked"
    LOGIN_THROTTLED = "login.throttled"
    TOTP_FAILED = "totp.failed"
    RECOVERY_CODE_USED = "totp.recovery_code_used"
    LOGOUT = "logout"
    LOGOUT_EVERYWHERE = "logout.everywhere"
    SESSION_REVOKED = "session.revoked"
    PASSWORD_CHANGED = "password.changed"
    PASSWORD_RESET = "password.reset"
    TOTP_ENROLLED = "totp.enrolled"
    TOTP_RESET = "totp.reset"
    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"
    USER_DEACTIVATED = "user.deactivated"
    USER_REACTIVATED = "user.reactivated"
    USER_UNLOCKED = "user.unlocked"
    TOKEN_CREATED = "token.created"
    TOKEN_REVOKED = "token.revoked"
    TOKEN_REFUSED = "token.refused"
    CLIENT_CREATED = "client.created"
    CLIENT_REVOKED = "client.revoked"
    CLIENT_ROTATED = "client.rotated"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a request came from, as the audit trail keeps it."""

    address: str | None = None
    user_agent: str | None = None

    @classmethod
    def of(cls, request: Any) -> Origin:
        client = getattr(request, "client", None)
        return cls(
            address=(client.host if client else None),
            user_agent=(request.headers.get("user-agent") or "")[:300] or None,
        )


#: Who did something to an account, when not the account itself: ``(id, name)``.
By = tuple[str | None, str | None]
CLI: By = ("cli", "simpul CLI")


def record(
    session: AsyncSession,
    type_: SecurityEventType,
    *,
    user: StaffUser | None = None,
    username: str | None = None,
    by: By | None = None,
    origin: Origin | None = None,
    **detail: Any,
) -> SecurityEvent:
    row = SecurityEvent(
        type=str(type_),
        user_id=user.id if user is not None else None,
        username=(user.username if user is not None else (username or None)),
        actor_id=by[0] if by else None,
        actor_name=by[1] if by else None,
        address=origin.address if origin else None,
        user_agent=origin.user_agent if origin else None,
        detail={k: v for k, v in detail.items() if v is not None},
    )
    if row.username:
        row.username = row.username[:64]
    session.add(row)
    return row
