"""``/konsol/admin/aplikasi``: local apps and their API keys, with the functions
``simpul client create|list|rotate|revoke`` uses (``shared/identity/tokens``): a key is
shown once, on the page answering the form; rotation keeps the old key working for a
grace period; revocation refuses the app's next request. Every step is a security event."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.admin.forms import MESSAGES, Refused, attempt, text
from services.console.deps import ConsolePage, ConsoleUser, CsrfChecked, page_render
from services.console.deps import require_console_roles as roles
from services.routing.staff.service import by
from shared.deps import DbSession
from shared.identity import tokens
from shared.identity.roles import CLIENT_APP_MANAGERS
from shared.models.base import utcnow
from shared.models.identity import ClientApp

router = APIRouter(
    prefix="/konsol/admin/aplikasi",
    tags=["console"],
    include_in_schema=False,
    dependencies=[roles(*CLIENT_APP_MANAGERS)],
)
#: The longest grace a rotation may give the old key (hours): a week.
MAX_GRACE_HOURS = 7 * 24
NAME_MAX = 120


async def _page(
    request: Request, page: ConsolePage, session: AsyncSession, *, new_key: str | None = None,
    key_for: str | None = None, error: str | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    done = {"cabut": "Kunci aplikasi dicabut; permintaan berikutnya ditolak."}
    return page_render(
        request, page, "admin_aplikasi.html",
        {"apps": await tokens.list_client_apps(session, include_revoked=True), "now": utcnow(),
         "new_key": new_key, "key_for": key_for, "error": error,
         "default_grace": tokens.DEFAULT_ROTATION_GRACE_HOURS, "max_grace": MAX_GRACE_HOURS,
         "done": done.get(request.query_params.get("selesai", ""))},
        status_code=status_code,
    )  # fmt: skip


@router.get("")
async def apps(request: Request, page: ConsoleUser, session: DbSession) -> Response:
    return await _page(request, page, session)


@router.post("")
async def create_app(request: Request, page: CsrfChecked, session: DbSession) -> Response:
    name = text(page.form, "nama")
    try:
        if not name or len(name) > NAME_MAX:
            raise Refused(f"Nama aplikasi: wajib diisi, paling banyak {NAME_MAX} karakter.")
        if await session.scalar(select(ClientApp.id).where(ClientApp.name == name)):
            raise Refused(MESSAGES["client_name_taken"], 409)
        _app, key = await attempt(
            session, tokens.create_client_app(session, name, by=by(page.actor))
        )
    except Refused as refused:
        return await _page(
            request, page, session, error=refused.message, status_code=refused.status_code
        )
    return await _page(request, page, session, new_key=key, key_for=name, status_code=201)


@router.post("/{app_id}/putar")
async def rotate_key(
    app_id: int, request: Request, page: CsrfChecked, session: DbSession
) -> Response:
    hours = text(page.form, "masa_tenggang") or str(tokens.DEFAULT_ROTATION_GRACE_HOURS)
    try:
        if not hours.isdigit() or int(hours) > MAX_GRACE_HOURS:
            raise Refused(f"Masa tenggang: 0 sampai {MAX_GRACE_HOURS} jam.")
        app, key = await attempt(session, tokens.rotate_client_key(
            session, str(app_id), grace=timedelta(hours=int(hours)), by=by(page.actor)
        ))  # fmt: skip
    except Refused as refused:
        return await _page(
            request, page, session, error=refused.message, status_code=refused.status_code
        )
    return await _page(request, page, session, new_key=key, key_for=app.name)


@router.post("/{app_id}/cabut")
async def revoke_app(
    app_id: int, request: Request, page: CsrfChecked, session: DbSession
) -> Response:
    try:
        await attempt(session, tokens.revoke_client_app(session, str(app_id), by=by(page.actor)))
    except Refused as refused:
        return await _page(
            request, page, session, error=refused.message, status_code=refused.status_code
        )
    return RedirectResponse("/konsol/admin/aplikasi?selesai=cabut", status_code=303)
