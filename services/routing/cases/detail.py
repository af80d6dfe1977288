"""Reading one case for a caller: the detail view and the audit trail.

Both go through ``shared.cases.access`` (the readable statement and the one serializer);
what is added here — timeline, thread, copies, clocks, mirror — never carries identity
for a caller who may not see it: event data and reporter-authored metadata are stripped
(``strip_identity``), and a response that does show an identity is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.routing.cases import repository
from services.routing.cases.service import NOTE_EVENT, caller_actions
from shared.auth import Actor
from shared.cases.access import (
    HIDDEN_REPORTER,
    IDENTITY_VIEWED,
    STAFF_ROLES,
    audit_identity_read,
    carries_identity,
    case_view,
    has_identity,
    identity_visible,
    owns_case,
    strip_identity,
)
from shared.cases.events import CaseEvent
from shared.models import Case, Event
from shared.models.sla import SlaClock


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _actor(event: Event, *, full: bool, show_reporter: bool) -> dict[str, Any]:
    if event.actor_type == "reporter" and not show_reporter:
        return {"type": "reporter", "name": HIDDEN_REPORTER, "role": event.actor_role}
    actor = {"type": event.actor_type, "name": event.actor_name, "role": event.actor_role}
    if full:
        actor["id"] = event.actor_id
    return actor


#: Events whose reason / ``note`` is an internal note (hidden from viewer and operator).
INTERNAL_NOTE_EVENTS = frozenset(
    {CaseEvent.VERIFIED, CaseEvent.DISPOSED, CaseEvent.REFERRED_APIP, NOTE_EVENT}
)


def _event(event: Event, viewer: Actor, *, show_identity: bool, full: bool) -> dict[str, Any]:
    data = event.data if viewer.sees_identity else strip_identity(event.data or {})
    reason = event.reason
    if viewer.role not in STAFF_ROLES and event.type in INTERNAL_NOTE_EVENTS:
        data = {k: v for k, v in data.items() if k != "note"}
        reason = None
    return {
        "id": event.id,
        "type": event.type,
        "occurred_at": _iso(event.occurred_at),
        "actor": _actor(event, full=full, show_reporter=show_identity),
        "reason": reason,
        "data": data,
    }


CLOCK_FIELDS = (
    "kind",
    "generation",
    "opd_code",
    "sla_class",
    "working_days",
    "warning_days",
    "state",
    "started_at",
    "paused_at",
    "deadline_at",
    "warning_at",
    "warned_at",
    "breached_at",
    "stopped_at",
)


async def clocks_of(session: AsyncSession, case: Case) -> list[dict[str, Any]]:
    """The case's SLA clocks (deadline, warning, state), oldest first."""
    rows = await session.scalars(
        select(SlaClock).where(SlaClock.case_id == case.id).order_by(SlaClock.id)
    )
    return [{f: _iso(getattr(row, f)) for f in CLOCK_FIELDS} for row in rows.all()]


async def _mirror(session: AsyncSession, case: Case) -> dict[str, Any]:
    """The LAPOR! mirror as the case page shows it; ``to_confirm`` is "perlu konfirmasi"
    (``/admin/sync/cases/{id}`` says what to look up)."""
    mirror = await repository.mirror_of(session, case)
    state, status_name = mirror if mirror is not None else ("not_mirrored", None)
    return {
        "lapor_complaint_id": case.lapor_complaint_id,
        "lapor_status_code": case.lapor_status_code,
        "lapor_status_name": status_name,
        "state": state,
        "needs_confirmation": state == "to_confirm",
    }


async def case_detail(session: AsyncSession, case: Case, actor: Actor) -> dict[str, Any]:
    """The case as ``actor`` may see it; audits the read when it shows an identity."""
    owner = await owns_case(session, actor, case)
    reporter = await repository.reporter_of(session, case)
    show_identity = identity_visible(case, actor, owner=owner)
    events = [e for e in await repository.events_of(session, case) if e.type != IDENTITY_VIEWED]
    messages = await repository.messages_of(session, case, internal=actor.role in STAFF_ROLES)
    view = case_view(
        case,
        reporter,
        actor,
        owner=owner,
        suggestion={"opd": case.suggested_opd_code, "reason": case.suggestion_reason},
        copies=await repository.copies_of(session, case),
        timeline=[_event(e, actor, show_identity=show_identity, full=False) for e in events],
        messages=[
            {
                "id": m.id,
                "kind": m.kind,
                "body": m.body,
                "final": m.final,
                "created_at": _iso(m.created_at),
                "author": (
                    {"type": m.author_type, "name": m.author_name}
                    if m.author_type != "reporter" or show_identity
                    else {"type": "reporter", "name": HIDDEN_REPORTER}
                ),
            }
            for m in messages
        ],
        attachments=[
            {
                "id": a.id,
                "filename": a.filename,
                "content_type": a.content_type,
                "size_bytes": a.size_bytes,
                "url": a.url,
                "created_at": _iso(a.created_at),
            }
            for a in await repository.attachments_of(session, case)
        ],
        clocks=await clocks_of(session, case),
        mirror=await _mirror(session, case),
        allowed_actions=await caller_actions(session, case, actor),
    )
    if has_identity(view["reporter"]):
        await audit_identity_read(session, case, actor, where="case_detail")
    return view


async def case_audit(session: AsyncSession, case: Case, actor: Actor) -> dict[str, Any]:
    """Every event of the case — who, when, what, why — identity-bearing data only for admins."""
    events = await repository.events_of(session, case)
    items = [_event(e, actor, show_identity=actor.sees_identity, full=True) for e in events]
    if actor.sees_identity and any(carries_identity(e.data or {}) for e in events):
        await audit_identity_read(session, case, actor, where="case_audit")
    return {"tracking_id": case.tracking_id, "events": items}
