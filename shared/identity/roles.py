"""Roles of staff accounts and tokens: which need an OPD, which must use two-factor,
who manages whose account. Tables, read by the services; the case-level checks (who may
read or act on a case) stay in ``shared/cases/access.py`` and ``shared/lifecycle.py``."""

from __future__ import annotations

from shared.lifecycle import OPS_ROLES, Role

#: Roles bound to exactly one OPD (pejabat penghubung and Admin UPP).
OPD_BOUND = frozenset({Role.OPD})
#: Roles that may optionally name an OPD (an Admin Instansi seated in one).
OPD_OPTIONAL = frozenset({Role.ADMIN_INSTANSI})
#: Two-factor is always required for these (issue 16); ``SIMPUL_TOTP_REQUIRED_ROLES`` may
#: add others, never remove these in production (``shared/config/security.py``).
ADMIN_ROLES = frozenset({Role.ADMIN_INSTANSI, Role.OPERATOR})
#: Whose accounts each role manages: Admin Instansi the pemda's officers, the operator
#: the technical accounts.
MANAGES: dict[Role, frozenset[Role]] = {
    Role.ADMIN_INSTANSI: frozenset({Role.ADMIN_INSTANSI, Role.OPD, Role.APIP, Role.VIEWER}),
    Role.OPERATOR: frozenset({Role.OPERATOR}),
}
#: Who registers local apps and manages their API keys in the console (``simpul client``
#: is the host's own): the pemda's admins and the technical team that connects the apps.
CLIENT_APP_MANAGERS = frozenset({Role.ADMIN_INSTANSI, Role.OPERATOR})


def check_role_and_opd(role: str, opd_code: str | None) -> Role:
    """The role, if ``role`` and ``opd_code`` go together; ``ValueError`` with the reason."""
    if role not in OPS_ROLES:
        choices = ", ".join(sorted(str(r) for r in OPS_ROLES))
        raise ValueError(f"unknown role {str(role)!r}; choose one of {choices}")
    role = Role(role)
    if role in OPD_BOUND and not opd_code:
        raise ValueError(f"role {role} must be bound to an OPD (--opd CODE)")
    if opd_code and role not in OPD_BOUND | OPD_OPTIONAL:
        raise ValueError(f"role {role} is not bound to an OPD")
    return role


def parse_roles(value: str) -> frozenset[Role]:
    """``"admin_instansi, operator"`` → the roles; ``ValueError`` naming an unknown one."""
    names = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [n for n in names if n not in OPS_ROLES]
    if unknown:
        raise ValueError(f"unknown role(s) {', '.join(unknown)}")
    return frozenset(Role(n) for n in names)
