"""The case page (``/konsol/kasus/{id}``) and its forms — one per action the officer may
take now — over the admin API's own functions: the readable case (a case one may not
read is the same "tidak ditemukan" page as a missing one), the one serializer, the
lifecycle, and the version check (a form decided on an older version is answered with
what changed and the current state, never applied over it).

A refused form changes nothing: the transaction is rolled back before the page is shown
again with the reason, in Bahasa Indonesia, and what the officer typed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError
from starlette.datastructures import FormData

from services.console.cases import forms, view
from services.console.deps import ConsolePage, ConsoleUser, CsrfChecked, page_render
from services.console.pages import unexplained_refusal
from services.routing.cases import assignment, attachments, freshness
from services.routing.cases.service import ACTIONS
from services.sla.calendar.service import current_calendar
from shared.cases.access import get_readable_case
from shared.cases.labels import ACTION_LABELS, event_label
from shared.deps import AppSettings, DbSession
from shared.errors import NotFound, SimpulError
from shared.lifecycle import TransitionRefused
from shared.models import Case

router = APIRouter(prefix="/konsol/kasus", tags=["console"], include_in_schema=False)


def not_found(request: Request, page: ConsolePage) -> Response:
    """The one answer for a case that is missing or not the officer's to read."""
    return page_render(
        request,
        page,
        "galat.html",
        {
            "heading": "Kasus tidak ditemukan",
            "message": "Tidak ada kasus dengan nomor itu yang dapat Anda buka.",
            "back_url": "/konsol/",
        },
        status_code=404,
    )


async def _readable(session: AsyncSession, page: ConsolePage, tracking_id: str) -> Case | None:
    try:
        return await get_readable_case(session, page.actor, tracking_id)
    except NotFound:
        return None


async def render_case(
    request: Request,
    page: ConsolePage,
    session: AsyncSession,
    settings: Any,
    case: Case,
    *,
    status_code: int = 200,
    error: str | None = None,
    stale: list[dict[str, Any]] | None = None,
    action: str | None = None,
    form: FormData | None = None,
) -> Response:
    calendar = await current_calendar(session, request.app.state.ctx)
    context = await view.case_page(session, case, page.actor, calendar, settings)
    drafts: dict[str, str] = {}
    chosen = request.query_params.get("templat")
    asked = request.query_params.get("aksi")
    if asked in context["templates"] and chosen and chosen.isdigit():
        for template in context["templates"][asked]:
            if template["id"] == int(chosen):
                drafts[asked] = template["text"]
    if action and form is not None:
        field, _required = view.TEXT_FIELD.get(action, ("message", False))
        typed = form.get(field)
        if isinstance(typed, str):
            drafts[action] = typed
    done = request.query_params.get("selesai")
    context.update(
        {
            "error": error,
            "error_action": action,
            "stale": [{**c, "label": event_label(c["type"])} for c in (stale or [])],
            "drafts": drafts,
            "done": ACTION_LABELS.get(done) if done else None,
        }
    )
    return page_render(request, page, "kasus.html", context, status_code=status_code)


@router.get("/{tracking_id}")
async def case_page(
    tracking_id: str, request: Request, page: ConsoleUser, session: DbSession, settings: AppSettings
) -> Response:
    case = await _readable(session, page, tracking_id)
    if case is None:
        return not_found(request, page)
    return await render_case(request, page, session, settings, case)


async def _refused(
    request: Request,
    page: ConsolePage,
    session: AsyncSession,
    settings: Any,
    tracking_id: str,
    *,
    message: str,
    status_code: int,
    action: str,
    stale: list[dict[str, Any]] | None = None,
) -> Response:
    """Undo whatever the refused action had begun, then show the current state and why."""
    await session.rollback()
    # The rollback expired the officer's session and account rows the page shows.
    await session.refresh(page.live.row)
    await session.refresh(page.live.user)
    case = await _readable(session, page, tracking_id)
    if case is None:
        return not_found(request, page)
    return await render_case(
        request,
        page,
        session,
        settings,
        case,
        status_code=status_code,
        error=message,
        stale=stale,
        action=action,
        form=page.form,
    )


STALE_MESSAGE = (
    "Kasus ini sudah berubah sejak Anda membukanya, jadi tindakan Anda tidak disimpan. "
    "Periksa perubahan di bawah dan keadaan terkini, lalu putuskan lagi."
)


@router.post("/{tracking_id}/aksi/{action}")
async def take_action(
    tracking_id: str,
    action: str,
    request: Request,
    page: CsrfChecked,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    case = await _readable(session, page, tracking_id)
    if case is None or action not in ACTIONS:
        return not_found(request, page)
    assert page.form is not None
    refuse = {"tracking_id": tracking_id, "action": action}
    try:
        body = await forms.action_body(action, page.form)
        await freshness.perform_if_fresh(
            session,
            case,
            page.actor,
            action,
            body,
            settings,
            expected_version=forms.int_field(page.form, "version"),
            seen_event_id=forms.int_field(page.form, "seen_event"),
        )
    except forms.FormRefused as refused:
        return await _refused(
            request, page, session, settings, **refuse,
            message=refused.message, status_code=refused.status_code,
        )  # fmt: skip
    except StaleDataError:
        return await _refused(
            request, page, session, settings, **refuse, message=STALE_MESSAGE, status_code=409
        )
    except TransitionRefused as refused:
        status = 403 if refused.code == "role_not_allowed" else 409
        return await _refused(
            request, page, session, settings, **refuse,
            message=forms.MESSAGES.get(refused.code) or unexplained_refusal(refused.code),
            status_code=status,
        )  # fmt: skip
    except SimpulError as error:
        if error.code == "stale_case":
            return await _refused(
                request, page, session, settings, **refuse,
                message=STALE_MESSAGE, status_code=409, stale=error.details.get("changes"),
            )  # fmt: skip
        return await _refused(
            request, page, session, settings, **refuse,
            message=forms.refusal_text(error), status_code=error.status_code,
        )  # fmt: skip
    return RedirectResponse(f"/konsol/kasus/{case.tracking_id}?selesai={action}", status_code=303)


@router.post("/{tracking_id}/distribusi")
async def assign(
    tracking_id: str, request: Request, page: CsrfChecked, session: DbSession, settings: AppSettings
) -> Response:
    case = await _readable(session, page, tracking_id)
    if case is None:
        return not_found(request, page)
    assert page.form is not None
    refuse = {"tracking_id": tracking_id, "action": "assign"}
    try:
        await freshness.ensure_fresh(
            session, case, page.actor, forms.int_field(page.form, "version"),
            seen_event_id=forms.int_field(page.form, "seen_event"),
        )  # fmt: skip
        await assignment.assign(session, case, page.actor, forms.text_field(page.form, "assignee"))
    except StaleDataError:
        return await _refused(
            request, page, session, settings, **refuse, message=STALE_MESSAGE, status_code=409
        )
    except SimpulError as error:
        stale = error.code == "stale_case"
        return await _refused(
            request, page, session, settings, **refuse,
            message=STALE_MESSAGE if stale else forms.refusal_text(error),
            status_code=error.status_code, stale=error.details.get("changes") if stale else None,
        )  # fmt: skip
    return RedirectResponse(f"/konsol/kasus/{case.tracking_id}?selesai=assign", status_code=303)


@router.get("/{tracking_id}/lampiran/{attachment_id}")
async def attachment(
    tracking_id: str,
    attachment_id: int,
    request: Request,
    page: ConsoleUser,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    case = await _readable(session, page, tracking_id)
    if case is None:
        return not_found(request, page)
    try:
        row, path = await attachments.stored_file(session, case, attachment_id, settings)
    except NotFound:
        return not_found(request, page)
    return FileResponse(
        path,
        media_type=row.content_type,
        filename=row.filename,
        content_disposition_type="inline",
        headers=attachments.SERVE_HEADERS,
    )
