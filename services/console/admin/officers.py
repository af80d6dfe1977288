"""``/konsol/admin/petugas``: officers' accounts, over ``services/routing/staff`` — the
same reach (Admin Instansi the pemda's officers, the operator technical accounts), the
same rules (never deleted; one's own account only from the Akun menu), the same audit.

A temporary password (new account, reset, reactivation) is shown once, on the page that
answers the form — never in a link, never again.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.admin.forms import Refused, attempt, not_found, text, validated
from services.console.deps import ConsolePage, ConsoleUser, CsrfChecked, page_render
from services.console.deps import require_console_roles as roles
from services.routing.staff import repository, schemas, service
from services.routing.staff.endpoints import MANAGER_ROLES
from shared.config import Settings
from shared.deps import AppSettings, DbSession
from shared.identity import sessions
from shared.identity.audit import Origin
from shared.identity.roles import MANAGES
from shared.lifecycle import Role
from shared.models import Opd

router = APIRouter(
    prefix="/konsol/admin/petugas",
    tags=["console"],
    include_in_schema=False,
    dependencies=[roles(*MANAGER_ROLES)],
)
#: Form field → API field, and how each is named on the page.
FIELDS = {
    "nama_pengguna": "username",
    "nama": "full_name",
    "peran": "role",
    "opd": "opd",
    "nip": "nip",
    "jabatan": "position",
    "surel": "email",
    "telepon": "phone",
}
LABELS = {
    "username": "Nama pengguna",
    "full_name": "Nama lengkap",
    "role": "Peran",
    "opd": "OPD",
    "nip": "NIP",
    "position": "Jabatan",
    "email": "Surel",
    "phone": "Telepon",
}
#: The buttons of an account's page: URL word → the API's action (``ACCOUNT_ACTIONS``), or
#: None for "end every session" (``service.end_sessions``).
ACTIONS = {
    "reset-sandi": "reset-password",
    "aktifkan": "reactivate",
    "reset-dua-faktor": "reset-2fa",
    "buka-kunci": "unlock",
    "nonaktifkan": "deactivate",
    "akhiri-sesi": None,
}
DONE = {
    "reset-sandi": "Kata sandi sementara baru dibuat; semua sesi akun ini diakhiri.",
    "aktifkan": "Akun diaktifkan kembali dengan kata sandi sementara baru.",
    "reset-dua-faktor": "Verifikasi dua langkah dimatikan; akun menyiapkannya lagi saat masuk.",
    "buka-kunci": "Kunci akun dibuka.",
    "nonaktifkan": "Akun dinonaktifkan; sesi dan tokennya berakhir sekarang.",
    "akhiri-sesi": "Semua sesi akun ini diakhiri.",
    "ubah": "Perubahan disimpan.",
}


def _managed_roles(page: ConsolePage) -> list[str]:
    order = [str(r) for r in Role]
    reach = {str(r) for r in MANAGES.get(Role(page.actor.role), frozenset())}
    return [r for r in order if r in reach]


async def _opds(session: AsyncSession) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(Opd.code, Opd.name).where(Opd.active.is_(True)).order_by(Opd.name)
    )
    return [(code, name) for code, name in rows.all()]


def _form_data(form: Any, fields: dict[str, str]) -> dict[str, Any]:
    return {api: text(form, name) for name, api in fields.items()}


async def _list_page(
    request: Request, page: ConsolePage, session: AsyncSession, settings: Settings, *,
    error: str | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    q = request.query_params
    role, opd = q.get("peran") or None, q.get("opd") or None
    active = {"ya": True, "tidak": False}.get(q.get("aktif", ""))
    found = await repository.list_users(
        session, page.actor, role=role, opd=opd, active=active, q=(q.get("q") or "")[:100] or None
    )
    return page_render(
        request, page, "admin_petugas.html",
        {
            "users": await service.with_counts(session, found, settings),
            "roles": _managed_roles(page), "opds": await _opds(session), "filters": q,
            "form": page.form, "error": error,
        },
        status_code=status_code,
    )  # fmt: skip


async def _detail_page(
    request: Request, page: ConsolePage, session: AsyncSession, settings: Settings,
    user_id: int, *, status_code: int = 200, **context: Any,
) -> Response:  # fmt: skip
    try:
        user = await attempt(session, service.get_managed(session, page.actor, user_id))
    except Refused as refused:
        return not_found(request, page, refused.message, "/konsol/admin/petugas")
    live = await sessions.active_sessions(session, user.id, settings)
    return page_render(
        request, page, "admin_petugas_detail.html",
        {
            "account": service.as_dict(user, len(live)), "live_sessions": live,
            "roles": _managed_roles(page), "opds": await _opds(session),
            "own": page.actor.id == f"user:{user.id}", **context,
        },
        status_code=status_code,
    )  # fmt: skip


@router.get("")
async def officers(
    request: Request, page: ConsoleUser, session: DbSession, settings: AppSettings
) -> Response:
    return await _list_page(request, page, session, settings)


@router.post("")
async def create_officer(
    request: Request, page: CsrfChecked, session: DbSession, settings: AppSettings
) -> Response:
    data = {k: v for k, v in _form_data(page.form, FIELDS).items() if v is not None}
    try:
        body = validated(schemas.UserCreate, data, LABELS)
        user, temporary = await attempt(
            session, service.create(session, page.actor, body.model_dump(), Origin.of(request))
        )
    except Refused as refused:
        return await _list_page(
            request, page, session, settings, error=refused.message,
            status_code=refused.status_code,
        )  # fmt: skip
    return await _detail_page(
        request, page, session, settings, user.id, status_code=201,
        temporary_password=temporary, done="Akun dibuat.",
    )  # fmt: skip


@router.get("/{user_id}")
async def officer(
    user_id: int, request: Request, page: ConsoleUser, session: DbSession, settings: AppSettings
) -> Response:
    done = DONE.get(request.query_params.get("selesai", ""))
    return await _detail_page(request, page, session, settings, user_id, done=done)


@router.post("/{user_id}")
async def update_officer(
    user_id: int, request: Request, page: CsrfChecked, session: DbSession, settings: AppSettings
) -> Response:
    fields = {k: v for k, v in FIELDS.items() if v != "username"}
    data = _form_data(page.form, fields)
    try:
        if data.get("full_name") is None:
            raise Refused("Nama lengkap: wajib diisi.")
        current = service.as_dict(await attempt(
            session, service.get_managed(session, page.actor, user_id)
        ), 0)  # fmt: skip
        # Role and OPD are sent only when they change (they end the account's sessions).
        changes = {k: v for k, v in data.items() if k not in ("role", "opd") or v != current[k]}
        if "opd" in changes and "role" not in changes:
            changes["role"] = current["role"]
        body = validated(schemas.UserUpdate, changes, LABELS)
        await attempt(session, service.update(
            session, page.actor, user_id, body.model_dump(exclude_unset=True), Origin.of(request)
        ))  # fmt: skip
    except Refused as refused:
        return await _detail_page(
            request, page, session, settings, user_id, status_code=refused.status_code,
            error=refused.message,
        )  # fmt: skip
    return RedirectResponse(f"/konsol/admin/petugas/{user_id}?selesai=ubah", status_code=303)


@router.post("/{user_id}/{action}")
async def account_action(
    user_id: int, action: str, request: Request, page: CsrfChecked, session: DbSession,
    settings: AppSettings,
) -> Response:  # fmt: skip
    if action not in ACTIONS:
        return await _detail_page(
            request, page, session, settings, user_id, status_code=404,
            error="Tindakan tidak dikenal.",
        )  # fmt: skip
    name, origin = ACTIONS[action], Origin.of(request)
    try:
        if name is None:
            await attempt(session, service.end_sessions(session, page.actor, user_id, origin))
            temporary = None
        else:
            _user, temporary = await attempt(
                session, service.act(session, page.actor, user_id, name, origin)
            )
    except Refused as refused:
        return await _detail_page(
            request, page, session, settings, user_id, status_code=refused.status_code,
            error=refused.message,
        )  # fmt: skip
    if temporary:
        return await _detail_page(
            request, page, session, settings, user_id, temporary_password=temporary,
            done=DONE[action],
        )  # fmt: skip
    return RedirectResponse(f"/konsol/admin/petugas/{user_id}?selesai={action}", status_code=303)
