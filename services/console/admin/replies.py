"""``/konsol/admin/templat``: reply templates — canned text for the case page's forms —
over ``services/routing/replies``: create, edit (with the version the officer saw), retire
and bring back. Never deleted; a retired template is no longer offered."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.admin.forms import Refused, attempt, chosen, not_found, text, validated
from services.console.deps import ConsolePage, ConsoleUser, CsrfChecked, page_render
from services.console.deps import require_console_roles as roles
from services.routing.replies import service
from services.routing.replies.endpoints import WRITER_ROLES
from services.routing.replies.schemas import TemplateIn, TemplatePatch
from shared.cases.labels import ACTION_LABELS
from shared.deps import DbSession

router = APIRouter(
    prefix="/konsol/admin/templat",
    tags=["console"],
    include_in_schema=False,
    dependencies=[roles(*WRITER_ROLES)],
)
LABELS = {"title": "Judul", "body": "Isi", "actions": "Tindakan", "version": "Versi"}
DONE = {"baru": "Templat disimpan.", "ubah": "Perubahan disimpan.",
        "pensiun": "Templat tidak lagi ditawarkan.", "aktif": "Templat ditawarkan lagi."}  # fmt: skip


def _context(**extra: Any) -> dict[str, Any]:
    return {
        "placeholders": service.PLACEHOLDERS,
        "actions": {a: ACTION_LABELS.get(a, a) for a in service.TEMPLATE_ACTIONS},
        **extra,
    }


def _form_body(form: Any) -> dict[str, Any]:
    return {
        "title": text(form, "judul"),
        "body": text(form, "isi"),
        "actions": chosen(form, "aksi"),
    }


async def _list_page(
    request: Request, page: ConsolePage, session: AsyncSession, *, error: str | None = None,
    status_code: int = 200,
) -> Response:  # fmt: skip
    rows = await service.list_templates(session, include_inactive=True)
    done = DONE.get(request.query_params.get("selesai", ""))
    return page_render(
        request, page, "admin_templat.html",
        _context(templates=[service.as_dict(r) for r in rows], form=page.form if error else None,
                 error=error, done=done),
        status_code=status_code,
    )  # fmt: skip


async def _edit_page(
    request: Request, page: ConsolePage, session: AsyncSession, template_id: int, *,
    error: str | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    try:
        row = await attempt(session, service.get_template(session, template_id))
    except Refused as refused:
        return not_found(request, page, refused.message, "/konsol/admin/templat")
    return page_render(
        request, page, "admin_templat_ubah.html",
        _context(template=service.as_dict(row), form=page.form if error else None, error=error),
        status_code=status_code,
    )  # fmt: skip


@router.get("")
async def templates(request: Request, page: ConsoleUser, session: DbSession) -> Response:
    return await _list_page(request, page, session)


@router.post("")
async def create_template(request: Request, page: CsrfChecked, session: DbSession) -> Response:
    try:
        body = validated(TemplateIn, _form_body(page.form), LABELS)
        await attempt(session, service.create_template(
            session, page.actor, title=body.title, body=body.body, actions=body.actions
        ))  # fmt: skip
    except Refused as refused:
        return await _list_page(
            request, page, session, error=refused.message, status_code=refused.status_code
        )
    return RedirectResponse("/konsol/admin/templat?selesai=baru", status_code=303)


@router.get("/{template_id}")
async def edit_template(
    template_id: int, request: Request, page: ConsoleUser, session: DbSession
) -> Response:
    return await _edit_page(request, page, session, template_id)


async def _update(
    request: Request, page: ConsolePage, session: AsyncSession, template_id: int,
    data: dict[str, Any], done: str,
) -> Response:  # fmt: skip
    try:
        body = validated(TemplatePatch, data, LABELS)
        changes = body.model_dump(exclude_unset=True)
        version = changes.pop("version", None)
        await attempt(session, service.update_template(
            session, page.actor, template_id, changes=changes, expected_version=version
        ))  # fmt: skip
    except Refused as refused:
        return await _edit_page(
            request, page, session, template_id, error=refused.message,
            status_code=refused.status_code,
        )  # fmt: skip
    return RedirectResponse(f"/konsol/admin/templat?selesai={done}", status_code=303)


@router.post("/{template_id}")
async def update_template(
    template_id: int, request: Request, page: CsrfChecked, session: DbSession
) -> Response:
    data = {**_form_body(page.form), "version": text(page.form, "versi")}
    return await _update(request, page, session, template_id, data, "ubah")


#: The two buttons: retire (no longer offered) and offer again.
STATES = {"pensiun": False, "aktif": True}


@router.post("/{template_id}/{state}")
async def retire_or_restore(
    template_id: int, state: str, request: Request, page: CsrfChecked, session: DbSession
) -> Response:
    if state not in STATES:
        return not_found(request, page, "Tindakan tidak dikenal.", "/konsol/admin/templat")
    data = {"active": STATES[state], "version": text(page.form, "versi")}
    return await _update(request, page, session, template_id, data, state)
