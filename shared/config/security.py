"""Staff accounts and sessions (``shared/identity``), intake's write batching, and the
per-key and per-sender rate limits: what guards the doors and how fast they open."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from shared.config.production import ProductionCheck
from shared.identity.roles import ADMIN_ROLES, parse_roles
from shared.lifecycle import Role


class SecuritySettings(BaseModel):
    """``SIMPUL_TOTP_*``, ``SIMPUL_SESSION_*``, ``SIMPUL_LOGIN_*``, ``SIMPUL_RATE_LIMIT_*``,
    ``SIMPUL_INTAKE_GROUP_*``."""

    # -- intake --------------------------------------------------------------------
    #: Write concurrent pushed complaints in one transaction (group commit); off: one each.
    intake_group_commit: bool = True
    intake_group_max: int = Field(default=200, ge=1)

    # -- staff accounts and sessions (shared/identity) ------------------------------------
    #: Roles that must log in with two-factor; admin_instansi and operator at least
    #: (production refuses less).
    totp_required_roles: str = "admin_instansi,operator"
    session_idle_minutes: int = Field(default=30, ge=1)
    session_absolute_hours: int = Field(default=12, ge=1)
    #: Failed logins in a row that lock an account, and for how long (also the window of
    #: the per-address limit).
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    login_address_max_failures: int = Field(default=20, ge=1)

    # -- limits --------------------------------------------------------------------
    rate_limit_per_key_per_min: int = Field(default=600, ge=1)
    rate_limit_per_sender_per_min: int = Field(default=20, ge=1)

    @field_validator("totp_required_roles")
    @classmethod
    def _known_roles(cls, value: str) -> str:
        parse_roles(value)
        return value

    @property
    def totp_required_role_set(self) -> frozenset[Role]:
        return parse_roles(self.totp_required_roles)


SECURITY_CHECKS: list[ProductionCheck] = [
    ProductionCheck(
        weak=lambda s: bool(ADMIN_ROLES - s.totp_required_role_set),
        message=lambda s: (
            "set SIMPUL_TOTP_REQUIRED_ROLES="
            + ",".join(sorted(str(r) for r in s.totp_required_role_set | ADMIN_ROLES))
            + ": production requires two-factor for the admin roles"
        ),
    ),
]
