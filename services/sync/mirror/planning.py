"""Planning: which SP4N-LAPOR! operations a case event needs, and what a case looks like to
LAPOR! (its create payload, the reporter's terms scrubbed from every text).

Apart from :mod:`operations` because it only reads: it decides *what* to send, derived from
the lifecycle table (``STATUS_EVENTS``), and never calls LAPOR!.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.sync.lapor import CaseForLapor
from services.sync.mirror import privacy
from services.sync.mirror import repository as repo
from shared.cases.events import CaseEvent, ResponsePayload, payload_of
from shared.cases.labels import LAPOR_STATUS_TEXTS as STATUS_TEXTS
from shared.lifecycle import RESPOND_TARGETS, TRANSITIONS, Action, Status
from shared.models import Case, Event, Reporter
from shared.redaction import identity_terms

#: Sync-only event asking the consumer to bring one case in step (ops, reconciliation).
RESYNC_EVENT = "lapor.resync_requested"


#: Lifecycle events that only move the status: the Simpul status they lead to — the
#: lifecycle table's targets, less the response and the forward (their own operations).
STATUS_EVENTS: dict[str, str] = {
    t.event: str(t.target)
    for t in TRANSITIONS.values()
    if t.target is not None and t.action not in (Action.RESOLVE, Action.FORWARD_NATIONAL)
}
#: Responses: a follow-up with the reply text, moving the national status.
RESPONSE_EVENTS: dict[str, str] = {
    CaseEvent.RESPONDED: str(RESPOND_TARGETS[Status.DISPOSED]),
    CaseEvent.RESOLVED: str(TRANSITIONS[Action.RESOLVE].target),
}


@dataclass(frozen=True)
class PlannedOp:
    kind: str  # create | privacy | status | followup | reject
    simpul_status: str | None = None
    text: str | None = None
    target_institution_id: int | None = None


async def plan(session: Any, event: Event) -> list[PlannedOp]:
    """The operations an event needs (without the create a later op may need first); a
    change of anonim/rahasia goes first (``mirror/privacy.py``)."""
    planned = await _plan_event(session, event)
    if privacy.privacy_changed(event.data):
        planned.insert(0, PlannedOp("privacy"))
    return planned


async def _plan_event(session: Any, event: Event) -> list[PlannedOp]:
    if event.type == RESYNC_EVENT:
        return [PlannedOp("create"), PlannedOp("privacy"), PlannedOp("status", text=None)]
    payload = payload_of(event)
    if event.type == CaseEvent.RECEIVED:
        return [PlannedOp("create")]
    if event.type in STATUS_EVENTS:
        status = STATUS_EVENTS[event.type]
        text = STATUS_TEXTS[status]
        detail = getattr(payload, "message", None) or event.reason
        if status in ("awaiting_info", "archived") and detail:
            text = f"{text} {detail}".strip()
        return [PlannedOp("status", simpul_status=status, text=text)]
    if event.type in RESPONSE_EVENTS:
        status = payload.status or RESPONSE_EVENTS[event.type]
        text = await reply_text(session, event) or STATUS_TEXTS.get(
            status, STATUS_TEXTS["in_progress"]
        )
        return [PlannedOp("followup", simpul_status=status, text=text)]
    if event.type == CaseEvent.FORWARDED_NATIONAL:
        target = payload.lapor_institution_id  # None: the profile's national admins
        return [
            PlannedOp("reject", text=event.reason or "Bukan wewenang", target_institution_id=target)
        ]
    return []


async def reply_text(session: Any, event: Event) -> str | None:
    """The reply a response event carries: its ``message_id`` (preferred), its ``message``,
    or else the case's latest reply written before the event."""
    payload: ResponsePayload = payload_of(event)
    if payload.message_id:
        message = await repo.message_by_id(session, payload.message_id)
        if message is not None:
            return message.body
    if payload.message and payload.message.strip():
        return payload.message
    message = await repo.latest_reply(session, event.case_id, event.occurred_at)
    return message.body if message is not None else None


def private_terms(case: Case, reporter: Reporter | None) -> list[str]:
    """The reporter's identifying values, scrubbed from everything sent to LAPOR!."""
    return identity_terms(reporter, with_name=bool(case.anonymous))


def case_for_lapor(
    case: Case, reporter: Reporter | None, attachment_ids: list[int]
) -> CaseForLapor:
    return CaseForLapor(
        tracking_id=case.tracking_id,
        title=case.title or "",
        description=case.description,
        kind=case.kind,
        category_code=case.category_code,
        anonymous=bool(case.anonymous),
        confidential=bool(case.confidential),
        occurred_at=case.occurred_at,
        attachment_ids=tuple(attachment_ids),
        reporter_name=privacy.reporter_name_for_lapor(case, reporter),
        private_terms=tuple(private_terms(case, reporter)),
    )
