"""Operators' view of outbound messages: dead letters (refused, undeliverable, too many
attempts) with their reason, and their replay. Recipients and texts are not shown: they
are personal data, and the reason is what an operator acts on."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.intake.notify import repository as repo
from shared.auth import Actor, require_roles
from shared.deps import DbSession
from shared.errors import Conflict

router = APIRouter(prefix="/admin/outbound-messages", tags=["ops"])

Operator = Annotated[Actor, require_roles("operator", "admin_instansi")]


@router.get("", summary="Outbound messages (to reporters and officers), newest first")
async def list_outbound(
    session: DbSession,
    _actor: Operator,
    status: Annotated[str | None, Query(pattern="^(pending|sent|dead)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    rows = await repo.list_messages(session, status=status, limit=limit, offset=offset)
    return {
        "items": [
            {
                "id": m.id,
                "case_id": m.case_id,
                "audience": m.audience,
                "channel": m.channel,
                "template": m.template,
                "status": m.status,
                "attempts": m.attempts,
                "last_error": m.last_error,
                "created_at": m.created_at.isoformat(),
                "sent_at": m.sent_at.isoformat() if m.sent_at else None,
            }
            for m in rows
        ],
        "limit": limit,
        "offset": offset,
    }


@router.post("/{message_id}/retry", summary="Put a dead message back in the queue")
async def retry_outbound(message_id: int, session: DbSession, _actor: Operator) -> dict[str, Any]:
    if not await repo.retry_dead(session, message_id):
        raise Conflict("only a dead message can be retried", code="not_dead")
    return {"id": message_id, "status": "pending"}
