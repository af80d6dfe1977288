"""The workflow on a case: verify, ask for data, forward, return, respond, reopen, close off.

Every action goes the same way: the lifecycle table (``shared.lifecycle``) says whether
the caller's role and the case's state allow it (403 / 409 with ``allowed_actions``),
the body is checked against reference data (422), the case is updated, a message is
written where the thread needs one, and ONE event is emitted — all in the caller's
transaction. Two people acting on one case at once are serialized by ``Case.version``
(optimistic lock): the second flush fails with ``StaleDataError`` → 409 ``concurrent_update``.

Ownership: an ``opd`` actor acts only on the cases disposed to its OPD; a copy holder
(tembusan) reads and may add internal notes, nothing else. APIP acts on cases referred
to it. Reporter notifications are the intake ``notify`` consumer's job: event data
carries what a message needs (``opd_name``, ``message``, ``final``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.routing.cases import repository, schemas
from shared.auth import Actor
from shared.calendar import calendar_from_settings
from shared.cases.access import STAFF_ROLES, owns_case
from shared.cases.events import (
    CaseEvent,
    DisposedPayload,
    EndedPayload,
    InfoRequestedPayload,
    NotePayload,
    OpdPayload,
    ReopenedPayload,
    ResponsePayload,
    VerifiedPayload,
)
from shared.cases.workflow import apply
from shared.config import Settings
from shared.errors import Forbidden, Unprocessable
from shared.events import emit
from shared.lifecycle import Action, Role, Status, TransitionRefused, allowed_actions, next_status
from shared.models import Case, CaseCopy, CaseMessage, Category, Opd, utcnow

#: The actions reachable over HTTP (``resolve`` is ``respond`` with ``final: true``;
#: ``provide-info`` and ``close`` come from the reporter / the system).
HTTP_ACTIONS = (
    "verify",
    "request-info",
    "dispose",
    "return",
    "respond",
    "reopen",
    "archive",
    "forward-national",
    "refer-apip",
    "note",
)
#: Not a lifecycle transition: an internal note (copy holders coordinate through these).
NOTE = "note"
NOTE_EVENT = CaseEvent.NOTE_ADDED


async def caller_actions(session: AsyncSession, case: Case, actor: Actor) -> list[str]:
    """What this caller may do on this case now (detail view, and every refusal)."""
    if actor.role not in STAFF_ROLES:
        return []
    if not await owns_case(session, actor, case):
        return [NOTE]  # a copy holder: read and coordinate
    lifecycle = allowed_actions(case.status, actor.role)
    actions = [a for a in HTTP_ACTIONS if a in lifecycle]
    if "resolve" in lifecycle and "respond" not in actions:
        actions.append("respond")
    return [*actions, NOTE]


async def _transition(
    session: AsyncSession, case: Case, actor: Actor, action: Action, reason: str | None = None
) -> Status:
    """The lifecycle's verdict, with the caller's own allowed list on refusal."""
    try:
        target = next_status(case.status, action, actor.role, reason)
    except TransitionRefused as refused:
        raise TransitionRefused(
            refused.message, code=refused.code, allowed=await caller_actions(session, case, actor)
        ) from None
    if not await owns_case(session, actor, case):
        raise Forbidden(
            f"only the OPD the case is disposed to may {action}; "
            "a copy (tembusan) may only add notes",
            code="not_case_owner",
            allowed_actions=await caller_actions(session, case, actor),
        )
    return target


def _message(
    session: AsyncSession, case: Case, actor: Actor, kind: str, body: str, *, final: bool = False
) -> CaseMessage:
    message = CaseMessage(
        case_id=case.id,
        kind=kind,
        body=body,
        author_type=actor.type,
        author_id=actor.id,
        author_name=actor.name,
        final=final,
        created_at=utcnow(),
    )
    session.add(message)
    return message


async def _opd_name(session: AsyncSession, code: str | None) -> str | None:
    if not code:
        return None
    opd = await session.get(Opd, code)
    return opd.name if opd else None


# -- the actions -------------------------------------------------------------------------------


async def verify(
    session: AsyncSession, case: Case, actor: Actor, body: schemas.VerifyBody, settings: Settings
) -> None:
    await _transition(session, case, actor, Action.VERIFY)
    changes: dict[str, Any] = {}
    if body.category is not None and body.category != case.category_code:
        category = await session.get(Category, body.category)
        if category is None or not category.active:
            raise Unprocessable(
                f"unknown category {body.category!r}", code="unknown_category", field="category"
            )
        changes["category"] = [case.category_code, category.code]
        case.category_code = category.code
        if body.sla_class is None:
            changes["sla_class"] = [case.sla_class, category.default_sla_class]
            case.sla_class = category.default_sla_class
    for field, column in (
        ("kind", "kind"),
        ("sla_class", "sla_class"),
        ("anonymous", "anonymous"),
        ("confidential", "confidential"),
    ):
        value = getattr(body, field)
        if value is not None and value != getattr(case, column):
            changes[field] = [getattr(case, column), value]
            setattr(case, column, value)
    if body.note:
        _message(session, case, actor, "internal_note", body.note)
    payload = VerifiedPayload(
        changes=changes,
        kind=case.kind,
        category=case.category_code,
        sla_class=case.sla_class,
        anonymous=case.anonymous,
        confidential=case.confidential,
    )
    await apply(session, case, Action.VERIFY, actor, reason=body.note, payload=payload)


async def request_info(
    session: AsyncSession,
    case: Case,
    actor: Actor,
    body: schemas.RequestInfoBody,
    settings: Settings,
) -> None:
    await _transition(session, case, actor, Action.REQUEST_INFO, body.message)
    reply = _message(session, case, actor, "reply", body.message)
    await session.flush()
    payload = InfoRequestedPayload(message=body.message, message_id=reply.id)
    await apply(session, case, Action.REQUEST_INFO, actor, reason=body.message, payload=payload)


async def dispose(
    session: AsyncSession, case: Case, actor: Actor, body: schemas.DisposeBody, settings: Settings
) -> None:
    await _transition(session, case, actor, Action.DISPOSE)
    opd = await repository.active_opd(session, body.opd)
    if opd is None:
        raise Unprocessable(
            f"unknown or inactive OPD {body.opd!r}", code="unknown_opd", field="opd"
        )
    copies: list[str] = []
    for code in dict.fromkeys(body.copies):
        if await repository.active_opd(session, code) is None:
            raise Unprocessable(
                f"unknown or inactive OPD {code!r}", code="unknown_opd", field="copies"
            )
        if code != opd.code:
            copies.append(code)
    sla_class = body.sla_class or case.sla_class
    if sla_class is None:
        raise Unprocessable(
            "the case has no SLA class: give sla_class",
            code="sla_class_required",
            field="sla_class",
        )
    existing = set(await repository.copies_of(session, case))
    for code in copies:
        if code not in existing:
            session.add(CaseCopy(case_id=case.id, opd_code=code, created_at=utcnow()))
    payload = DisposedPayload(
        opd=opd.code,
        opd_name=opd.name,
        copies=copies,
        sla_class=sla_class,
        previous_opd=case.opd_code,
        kind=case.kind,
        category=case.category_code,
    )
    case.opd_code, case.sla_class = opd.code, sla_class
    if body.note:
        _message(session, case, actor, "internal_note", body.note)
    await apply(session, case, Action.DISPOSE, actor, reason=body.note, payload=payload)


async def return_case(
    session: AsyncSession, case: Case, actor: Actor, body: schemas.ReasonBody, settings: Settings
) -> None:
    await _transition(session, case, actor, Action.RETURN, body.reason)
    opd_code = case.opd_code
    # Back to Admin Instansi's queue: the returning OPD no longer holds the case.
    case.opd_code = None
    _message(session, case, actor, "internal_note", f"Dikembalikan: {body.reason}")
    payload = OpdPayload(opd=opd_code, opd_name=await _opd_name(session, opd_code))
    await apply(session, case, Action.RETURN, actor, reason=body.reason, payload=payload)


async def respond(
    session: AsyncSession, case: Case, actor: Actor, body: schemas.RespondBody, settings: Settings
) -> None:
    action = Action.RESOLVE if body.final else Action.RESPOND
    target = await _transition(session, case, actor, action)
    reply = _message(session, case, actor, "reply", body.message, final=body.final)
    await session.flush()
    responder_opd = case.opd_code if actor.role != Role.ADMIN_INSTANSI else None
    payload = ResponsePayload(
        message=body.message,
        message_id=reply.id,
        final=body.final,
        status=str(target),
        opd=responder_opd,
        opd_name=await _opd_name(session, responder_opd),
    )
    await apply(session, case, action, actor, payload=payload)


async def reopen(
    session: AsyncSession, case: Case, actor: Actor, body: schemas.ReasonBody, settings: Settings
) -> None:
    await _transition(session, case, actor, Action.REOPEN, body.reason)
    resolved = case.resolved_at or case.closed_at or case.status_changed_at
    calendar = calendar_from_settings(settings)
    window = settings.reopen_window_working_days
    used = calendar.working_days_between(resolved, utcnow())
    if used > window:
        raise TransitionRefused(
            f"the reopen window of {window} working days after resolution has passed ({used} used)",
            code="reopen_window_passed",
            allowed=[a for a in await caller_actions(session, case, actor) if a != "reopen"],
        )
    payload = ReopenedPayload(
        resolved_at=case.resolved_at.isoformat() if case.resolved_at else None,
        status=case.status,
        opd=case.opd_code,
        opd_name=await _opd_name(session, case.opd_code),
    )
    await apply(session, case, Action.REOPEN, actor, reason=body.reason, payload=payload)


async def archive(
    session: AsyncSession, case: Case, actor: Actor, body: schemas.ReasonBody, settings: Settings
) -> None:
    await _transition(session, case, actor, Action.ARCHIVE, body.reason)
    payload = EndedPayload(reason=body.reason)
    await apply(session, case, Action.ARCHIVE, actor, reason=body.reason, payload=payload)


async def forward_national(
    session: AsyncSession, case: Case, actor: Actor, body: schemas.ReasonBody, settings: Settings
) -> None:
    await _transition(session, case, actor, Action.FORWARD_NATIONAL, body.reason)
    payload = EndedPayload(reason=body.reason)
    await apply(session, case, Action.FORWARD_NATIONAL, actor, reason=body.reason, payload=payload)


async def refer_apip(
    session: AsyncSession, case: Case, actor: Actor, body: schemas.ReferApipBody, settings: Settings
) -> None:
    """To the Inspektorat: the case's OPD becomes the APIP OPD, which is what lets APIP read it."""
    await _transition(session, case, actor, Action.REFER_APIP)
    apip = await repository.apip_opd(session)
    if apip is None:
        raise Unprocessable(
            "no active OPD of kind 'apip' (Inspektorat) is registered", code="no_apip_opd"
        )
    payload = OpdPayload(opd=apip.code, opd_name=apip.name, previous_opd=case.opd_code)
    case.opd_code = apip.code
    if body.note:
        _message(session, case, actor, "internal_note", body.note)
    await apply(session, case, Action.REFER_APIP, actor, reason=body.note, payload=payload)


async def add_note(
    session: AsyncSession, case: Case, actor: Actor, body: schemas.NoteBody, settings: Settings
) -> None:
    """An internal note: any staff role that can read the case (owners and copy holders)."""
    if actor.role not in STAFF_ROLES:
        raise Forbidden(
            f"role {actor.role} may not add notes", code="role_not_allowed", allowed_actions=[]
        )
    _message(session, case, actor, "internal_note", body.note)
    await emit(
        session,
        NOTE_EVENT,
        actor,
        case_id=case.id,
        data=NotePayload(note=body.note, opd=actor.opd_code).model_dump(exclude_unset=True),
    )


ActionFn = Callable[[AsyncSession, Case, Actor, Any, Settings], Awaitable[None]]
ACTIONS: dict[str, tuple[type[BaseModel], ActionFn]] = {
    "verify": (schemas.VerifyBody, verify),
    "request-info": (schemas.RequestInfoBody, request_info),
    "dispose": (schemas.DisposeBody, dispose),
    "return": (schemas.ReasonBody, return_case),
    "respond": (schemas.RespondBody, respond),
    "reopen": (schemas.ReasonBody, reopen),
    "archive": (schemas.ReasonBody, archive),
    "forward-national": (schemas.ReasonBody, forward_national),
    "refer-apip": (schemas.ReferApipBody, refer_apip),
    NOTE: (schemas.NoteBody, add_note),
}


async def perform(
    session: AsyncSession,
    case: Case,
    actor: Actor,
    action: str,
    body: BaseModel,
    settings: Settings,
) -> None:
    """Run one action on a case the caller can read; flushes (the request commits)."""
    _schema, fn = ACTIONS[action]
    await fn(session, case, actor, body, settings)
    await session.flush()
