"""``/admin/users``: staff accounts (Admin Instansi: the pemda's officers; operator:
technical accounts), the security audit trail, and API tokens.

Create, edit, deactivate (never delete), reactivate, reset the password (a temporary one,
in the answer once), reset two-factor, unlock, end sessions; each account shows its last
login and active sessions. Every change is a security event (``/admin/security-events``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from services.routing.staff import repository, schemas, service
from shared.auth import Actor, require_roles
from shared.deps import AppSettings, DbSession
from shared.errors import NotFound
from shared.identity import sessions, tokens
from shared.identity.audit import Origin
from shared.lifecycle import Role

router = APIRouter(tags=["staff accounts"])
#: Who manages accounts (each only those ``roles.MANAGES`` gives it); the console admits the same.
MANAGER_ROLES = (Role.ADMIN_INSTANSI, Role.OPERATOR)
Manager = require_roles(*MANAGER_ROLES)


@router.get(
    "/admin/users", response_model=dict[str, list[schemas.UserOut]], summary="List accounts"
)
async def list_users(
    session: DbSession,
    settings: AppSettings,
    role: str | None = None,
    opd: str | None = None,
    active: bool | None = None,
    q: str | None = Query(default=None, max_length=100),
    actor: Actor = Manager,
) -> dict[str, Any]:
    found = await repository.list_users(session, actor, role=role, opd=opd, active=active, q=q)
    return {"items": await service.with_counts(session, found, settings)}


@router.post(
    "/admin/users", status_code=201, response_model=schemas.UserWithPassword,
    summary="Create an account (its temporary password is in the answer, once)",
)  # fmt: skip
async def create_user(
    body: schemas.UserCreate, request: Request, session: DbSession, actor: Actor = Manager
) -> dict[str, Any]:
    user, temporary = await service.create(session, actor, body.model_dump(), Origin.of(request))
    return {**service.as_dict(user, 0), "temporary_password": temporary}


@router.get(
    "/admin/users/{user_id}",
    response_model=schemas.UserDetail,
    summary="One account, with its sessions",
)
async def get_user(
    user_id: int, session: DbSession, settings: AppSettings, actor: Actor = Manager
) -> dict[str, Any]:
    user = await service.get_managed(session, actor, user_id)
    live = await sessions.active_sessions(session, user.id, settings)
    return {
        **service.as_dict(user, len(live)),
        "sessions": [{k: getattr(s, k) for k in schemas.SessionOut.model_fields} for s in live],
    }


@router.patch("/admin/users/{user_id}", response_model=schemas.UserOut, summary="Edit an account")
async def update_user(
    user_id: int, body: schemas.UserUpdate, request: Request, session: DbSession,
    settings: AppSettings, actor: Actor = Manager,
) -> dict[str, Any]:  # fmt: skip
    changes = body.model_dump(exclude_unset=True)
    user = await service.update(session, actor, user_id, changes, Origin.of(request))
    return (await service.with_counts(session, [user], settings))[0]


def _account_action(name: str, action: service.AccountAction) -> None:
    """Register ``POST /admin/users/{user_id}/<name>`` for one of ``ACCOUNT_ACTIONS``."""

    async def endpoint(
        user_id: int, request: Request, session: DbSession, settings: AppSettings,
        actor: Actor = Manager,
    ) -> dict[str, Any]:  # fmt: skip
        user, temporary = await service.act(session, actor, user_id, name, Origin.of(request))
        if action.ends_sessions:
            answer = service.as_dict(user, 0)
        else:
            answer = (await service.with_counts(session, [user], settings))[0]
        return {**answer, "temporary_password": temporary} if action.gives_password else answer

    endpoint.__name__ = f"{name.replace('-', '_')}_user"
    router.post(
        f"/admin/users/{{user_id}}/{name}",
        response_model=schemas.UserWithPassword if action.gives_password else schemas.UserOut,
        summary=action.summary,
    )(endpoint)


for _name, _action in service.ACCOUNT_ACTIONS.items():
    _account_action(_name, _action)


@router.post("/admin/users/{user_id}/end-sessions", summary="End every session of the account")
async def end_sessions(
    user_id: int, request: Request, session: DbSession, actor: Actor = Manager
) -> dict[str, int]:
    return {
        "sessions_ended": await service.end_sessions(session, actor, user_id, Origin.of(request))
    }


@router.get(
    "/admin/security-events", response_model=dict[str, list[schemas.SecurityEventOut]],
    summary="The security audit trail (logins, failures, lock-outs, password and two-factor changes, accounts and credentials managed)",
)  # fmt: skip
async def security_events(
    session: DbSession,
    user_id: int | None = None,
    type: str | None = Query(default=None, max_length=40),
    limit: int = Query(default=100, ge=1, le=repository.MAX_PAGE),
    actor: Actor = Manager,
) -> dict[str, Any]:
    rows = await repository.security_events(
        session, actor, user_id=user_id, type_=type, limit=limit
    )
    return {
        "items": [{k: getattr(r, k) for k in schemas.SecurityEventOut.model_fields} for r in rows]
    }


@router.get(
    "/admin/tokens",
    response_model=dict[str, list[schemas.TokenOut]],
    summary="API tokens (never a secret)",
)
async def list_tokens(
    session: DbSession, include_revoked: bool = False, actor: Actor = Manager
) -> dict[str, Any]:
    return {
        "items": [
            {
                "id": t.id, "name": t.name, "role": t.role, "opd": t.opd_code, "owner": owner,
                "active": t.active, "created_at": t.created_at, "expires_at": t.expires_at,
                "last_used_at": t.last_used_at, "revoked_at": t.revoked_at,
            }
            for t, owner in await tokens.list_tokens(session, include_revoked=include_revoked)
        ]
    }  # fmt: skip


@router.post(
    "/admin/tokens/{token_id}/revoke", summary="Revoke an API token: refused from its next request"
)
async def revoke_token(token_id: int, session: DbSession, actor: Actor = Manager) -> dict[str, Any]:
    try:
        row = await tokens.revoke_token(session, str(token_id), by=service.by(actor))
    except tokens.CredentialError:
        raise NotFound("no such active token", code="token_not_found") from None
    return {"id": row.id, "name": row.name, "active": False}
