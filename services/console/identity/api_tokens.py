"""``/konsol/token``: one's own API tokens (for scripts that call the admin API as
oneself): create one (shown once), see last use, revoke."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from services.console.deps import ConsoleUser, CsrfChecked, PageRefused, page_render
from shared.deps import DbSession
from shared.identity import tokens
from shared.models.base import utcnow
from shared.models.identity import OpsToken

router = APIRouter(prefix="/konsol", tags=["console"], include_in_schema=False)
#: Longest validity one may give one's own token (days).
MAX_DAYS = 365


async def _own_tokens(session: DbSession, user_id: int) -> list[OpsToken]:
    rows = await session.scalars(
        select(OpsToken)
        .where(OpsToken.owner_user_id == user_id, OpsToken.active.is_(True))
        .order_by(OpsToken.id.desc())
    )
    return list(rows.all())


@router.get("/token")
async def my_tokens(request: Request, page: ConsoleUser, session: DbSession) -> Response:
    return page_render(
        request, page, "token.html",
        {"tokens": await _own_tokens(session, page.user.id), "new_token": None, "error": None},
    )  # fmt: skip


@router.post("/token")
async def create_token(request: Request, page: CsrfChecked, session: DbSession) -> Response:
    assert page.form is not None
    name = str(page.form.get("nama") or "").strip()[:120]
    days_text = str(page.form.get("hari") or "90").strip()
    error = None
    if not name:
        error = "Beri nama token (misalnya nama skrip yang memakainya)."
    elif not days_text.isdigit() or not 1 <= int(days_text) <= MAX_DAYS:
        error = f"Masa berlaku harus 1 sampai {MAX_DAYS} hari."
    new_token = None
    if error is None:
        by = (page.actor.id, page.actor.name)
        _row, new_token = await tokens.create_ops_token(
            session, role=page.user.role, name=name, opd_code=page.user.opd_code, owner=page.user,
            expires_at=utcnow() + timedelta(days=int(days_text)), by=by,
        )  # fmt: skip
    return page_render(
        request, page, "token.html",
        {"tokens": await _own_tokens(session, page.user.id), "new_token": new_token, "error": error},
        status_code=422 if error else 201,
    )  # fmt: skip


@router.post("/token/{token_id}/cabut")
async def revoke_token(token_id: int, page: CsrfChecked, session: DbSession) -> Response:
    if token_id not in {t.id for t in await _own_tokens(session, page.user.id)}:
        raise PageRefused(404, "Tidak ditemukan", "Token itu tidak ada atau sudah dicabut.")
    await tokens.revoke_token(session, str(token_id), by=(page.actor.id, page.actor.name))
    return RedirectResponse("/konsol/token", status_code=303)
