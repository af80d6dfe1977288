"""The outbound mirror: each ``case.*`` event becomes the SP4N-LAPOR! operations it needs,
each sent at most once in effect although LAPOR!'s create and follow-up are not idempotent.

How exactly-once is kept (``contracts/lapor-api.md``, "Dedup before sending"):

1. The intent is recorded first: a ``lapor_outbound_ops`` row per (event, kind), and it is
   marked ``sent`` and committed BEFORE the call.
2. An op found ``sent`` or ``uncertain`` (a crash, a timeout, a 5xx after the request went
   out) is never simply resent. A create is never sent again on a guess: where the national
   search is trusted (``SIMPUL_LAPOR_SEARCH=true``) it searches by the ``#simpul-<ID>`` tag
   and resends only when the search answers "none"; otherwise — and whenever the search
   itself fails for good — the case's mirror goes to ``to_confirm`` ("perlu konfirmasi")
   and waits for an operator (:mod:`services.sync.confirmation`). A follow-up first
   re-reads the case's follow-ups and matches the text, a reject re-reads the case's
   disposition; only if nothing is there is it sent again.
3. Transient trouble (429, 503, maintenance, connection refused, breaker open) raises
   :class:`Defer` (no attempt burnt); a refusal (4xx) marks the op ``dead`` with the answer's
   body and dead-letters the delivery at once (:class:`PermanentFailure`).

Inbound changes are written as ``lapor.*`` events (or by the ``lapor`` actor), and the
handler ignores events whose actor is ``lapor``, so nothing is mirrored back.

Round trips: the handler works in the delivery's own session and commits it right before
every national call (:func:`_commit_before_call`), so the reads, the intent and the
``sent`` mark share one transaction, no connection or lock is held while LAPOR! answers,
and the call's result commits with the next op's intent or with the delivery's "done".
Outcomes of a failed call (``uncertain``, ``pending`` again, ``dead``) are written in
sessions of their own, since the delivery's session is rolled back when the handler raises.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import structlog

from services.sync.confirmation import repository as confirm_repo
from services.sync.lapor import (
    CaseForLapor,
    LaporClient,
    LaporFile,
    LaporProtocolError,
    LaporTerminalError,
    LaporTransientError,
    LaporUnavailable,
    LaporUncertainOutcome,
    mapping,
)
from services.sync.mirror import privacy
from services.sync.mirror import repository as repo
from services.sync.mirror.metrics import ALERTS, OPS
from services.sync.mirror.tuning import SyncTuning, tuning_of
from shared.auth import SYSTEM, Actor
from shared.cases.events import CaseEvent, ResponsePayload, payload_of
from shared.cases.labels import LAPOR_STATUS_TEXTS as STATUS_TEXTS
from shared.events import Defer, WorkerContext, emit
from shared.lifecycle import RESPOND_TARGETS, TRANSITIONS, Action, Role, Status
from shared.models import Case, Event, Reporter, utcnow
from shared.redaction import identity_terms

log = structlog.get_logger("simpul.sync.mirror")
T = TypeVar("T")

#: Who inbound changes are attributed to; the mirror never sends their events back.
LAPOR_ACTOR = Actor(type="lapor", id="sp4n-lapor", name="SP4N-LAPOR!", role=Role.LAPOR)
#: Sync-only event asking the consumer to bring one case in step (ops, reconciliation).
RESYNC_EVENT = "lapor.resync_requested"
#: A create's outcome is unknown and no trusted search can settle it: an operator must.
UNCONFIRMED_EVENT = "lapor.create_unconfirmed"
#: Mirror states in which the consumer waits for an operator instead of sending.
WAITING_STATES = ("held", "to_confirm")

#: How long a create waits for the case's provider media to be fetched and stored, so the
#: national case carries the photos; and how often it looks again meanwhile.
MEDIA_WAIT = timedelta(minutes=15)
MEDIA_RECHECK_S = 5.0

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


class PermanentFailure(Exception):
    """LAPOR! refused an operation (4xx): retrying the same request will not help."""


@dataclass(frozen=True)
class PlannedOp:
    kind: str  # create | privacy | status | followup | reject
    simpul_status: str | None = None
    text: str | None = None
    target_institution_id: int | None = None


def client_of(ctx: WorkerContext) -> LaporClient:
    client = ctx.resources.get("lapor")
    if client is None:
        raise RuntimeError("no LAPOR! client in ctx.resources['lapor'] (sync startup hook not run)")
    return client


# -- planning ----------------------------------------------------------------------------
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


# -- the handler ----------------------------------------------------------------------------
async def mirror_event(session: Any, event: Event, ctx: WorkerContext) -> None:
    """The ``sync`` consumer's handler, in ``session`` (the delivery's unit of work), which
    it commits before each national call (see the module's docstring)."""
    if event.case_id is None or event.actor_type == "lapor":
        return
    if not ctx.settings.lapor_sync_enabled:
        return
    tuning = tuning_of(ctx)
    context = await repo.sync_context(session, event.case_id)
    if context.paused:
        raise Defer(tuning.defer(tuning.pause_recheck_s), "mirror paused")
    planned = await plan(session, event)
    if not planned:
        return
    if context.mirror is None:
        context.mirror = await repo.insert_mirror(session, event.case_id)
    if context.mirror.state in WAITING_STATES:
        reason = context.mirror.held_reason
        raise Defer(tuning.defer(tuning.held_recheck_s), f"mirror {context.mirror.state}: {reason}")
    if planned[0].kind != "create":
        planned.insert(0, PlannedOp("create"))  # a no-op once the national case exists
    try:
        for index, op in enumerate(planned):
            if index:  # the previous op's outcome is durable before the next one can fail
                await session.commit()
                context = await repo.sync_context(session, event.case_id)
            await run_op(session, ctx, event, op, context)
    except (LaporTransientError, LaporUnavailable) as exc:  # on a read before a send
        raise Defer(
            tuning.transient_backoff(1, getattr(exc, "retry_after", None)), error_text(exc)
        ) from exc
    await repo.mark_event_synced(session, event.case_id, event.id)


def error_text(exc: Exception) -> str:
    """What operators read about a failed call: an answer in no known shape comes with its
    body (identities scrubbed), to send to the national team."""
    if isinstance(exc, LaporProtocolError):
        return f"{exc} — answer: {exc.redacted_body}"
    return str(exc)


async def _commit_before_call(session: Any) -> None:
    """Make everything written so far (the intent above all) durable before a national
    call, and give the connection back to the pool while LAPOR! answers."""
    await session.commit()


async def run_op(
    session: Any, ctx: WorkerContext, event: Event, planned: PlannedOp, context: repo.SyncContext
) -> None:
    """One planned op: record its intent, then send it (or find it already done)."""
    case_id = event.case_id
    case, reporter, mirror = context.case, context.reporter, context.mirror
    assert mirror is not None  # made by mirror_event
    kind = planned.kind
    status_code = None
    if kind == "status" and planned.simpul_status is None:  # re-sync: the current status
        planned = PlannedOp("status", simpul_status=case.status, text=STATUS_TEXTS.get(case.status))
        if case.status == "forwarded_national":
            planned = PlannedOp("reject", text="Bukan wewenang")
            kind = "reject"
    if planned.simpul_status is not None:
        status_code = mapping.national_code_for(planned.simpul_status)
    content = None
    if planned.text:
        content = mapping.scrub_private(planned.text, private_terms(case, reporter)).strip()
    op = await repo.get_or_create_op(
        session,
        case_id=case_id,
        event_id=event.id,
        kind=kind,
        status_code=status_code,
        content=content,
    )
    if op.status == "done":
        return
    if kind == "create":
        await _create(session, ctx, op, context)
        return
    if mirror.lapor_complaint_id is None:
        raise RuntimeError(f"case {case_id} has no national id after its create")
    if kind == "privacy":
        await _privacy(session, ctx, op, mirror, case, event)
    elif kind in ("status", "followup"):
        if kind == "status" and (status_code is None or op.content is None):
            await _finish(session, op.id, "done", outcome="skipped")
            return
        await _followup(session, ctx, op, mirror, case, skip_if_same=(kind == "status"))
    elif kind == "reject":
        await _reject(session, ctx, op, mirror, planned)


async def _finish(
    session: Any, op_id: int, status: str, *, outcome: str, kind: str = "", **values: Any
) -> None:
    await repo.update_op(session, op_id, status=status, last_error=None, **values)
    OPS.labels(kind or "op", outcome).inc()


async def _send(ctx: WorkerContext, session: Any, op: Any, call: Callable[[], Awaitable[T]]) -> T:
    """Mark the intent ``sent`` and commit it, then call; translate the outcome."""
    tuning: SyncTuning = tuning_of(ctx)
    await repo.mark_op_sent(session, op.id)
    await _commit_before_call(session)
    attempts = op.attempts + 1
    try:
        return await call()
    except LaporUncertainOutcome as exc:
        async with ctx.db.session() as s:
            await repo.update_op(s, op.id, status="uncertain", last_error=str(exc)[:2000])
        OPS.labels(op.kind, "uncertain").inc()
        log.warning("lapor_outcome_uncertain", kind=op.kind, case_id=op.case_id, op_id=op.id)
        raise Defer(
            tuning.defer(tuning.uncertain_recheck_s), f"uncertain {op.kind}: look before resending"
        ) from exc
    except (LaporTransientError, LaporUnavailable) as exc:
        error = error_text(exc)
        async with ctx.db.session() as s:  # nothing took effect: safe to send again
            await repo.update_op(s, op.id, status="pending", last_error=error[:2000])
        OPS.labels(op.kind, "transient").inc()
        raise Defer(
            tuning.transient_backoff(attempts, getattr(exc, "retry_after", None)), error
        ) from exc
    except LaporTerminalError as exc:
        body = exc.body if isinstance(exc.body, (dict, list)) else {"text": str(exc.body)}
        async with ctx.db.session() as s:
            await repo.update_op(
                s, op.id, status="dead", last_error=str(exc)[:2000], response_body=body
            )
        OPS.labels(op.kind, "dead").inc()
        log.warning(
            "lapor_refused", kind=op.kind, case_id=op.case_id, op_id=op.id, status=exc.status_code
        )
        raise PermanentFailure(f"SP4N-LAPOR! refused {op.kind}: {exc}") from exc


async def _create(session: Any, ctx: WorkerContext, op: Any, context: repo.SyncContext) -> None:
    client = client_of(ctx)
    case, mirror = context.case, context.mirror
    assert mirror is not None  # made by mirror_event
    if mirror.lapor_complaint_id is not None:
        await _finish(
            session,
            op.id,
            "done",
            outcome="exists",
            kind="create",
            lapor_complaint_id=mirror.lapor_complaint_id,
        )
        return
    if op.status in repo.IN_FLIGHT or context.create_attempted:
        # Sent before: did it commit? Never send again on a guess.
        if not client.profile.search:
            await _commit_before_call(session)  # no lock held while another session writes
            await _to_confirm(ctx, op, "create sent before, outcome unknown; search is off")
            raise Defer(tuning_of(ctx).defer(tuning_of(ctx).held_recheck_s), "perlu konfirmasi")
        await _commit_before_call(session)
        try:
            found = await client.find_by_tag(case.tracking_id)
        except LaporTerminalError as exc:  # e.g. no search here after all: cannot tell
            await _to_confirm(ctx, op, f"the tag search failed: {exc}")
            raise Defer(tuning_of(ctx).defer(tuning_of(ctx).held_recheck_s), str(exc)) from exc
        if found is not None:
            await _record_created(
                session, op, case.id, found.complaint_id, found.status_code, outcome="found_by_tag"
            )
            return
    if context.has_pending_media and case.received_at > utcnow() - MEDIA_WAIT:
        # The reporter's photos are being fetched (services.intake.media): create the
        # national case with them, but never wait on them longer than MEDIA_WAIT.
        raise Defer(MEDIA_RECHECK_S, "waiting for the case's media to be fetched")
    doc_ids = (
        (op.response_body or {}).get("attachment_ids")
        if isinstance(op.response_body, dict)
        else None
    )
    if doc_ids is None:
        doc_ids = []
        if context.has_stored_attachments:
            attachments = await repo.stored_attachments(session, case.id)
            doc_ids = await _upload(session, ctx, op, attachments)
    payload = case_for_lapor(case, context.reporter, doc_ids)
    try:
        complaint_id = await _send(ctx, session, op, lambda: client.create_complaint(payload))
    except Defer as exc:
        if isinstance(exc.__cause__, LaporUncertainOutcome) and not client.profile.search:
            await _to_confirm(ctx, op, str(exc.__cause__))
        raise
    await _record_created(
        session, op, case.id, complaint_id, mapping.STATUS_BELUM_TERVERIFIKASI, outcome="done"
    )


async def _to_confirm(ctx: WorkerContext, op: Any, reason: str) -> None:
    """ "Perlu konfirmasi": hold the case's mirror for an operator, who looks the case up on
    the national site (title, tag, time sent) and confirms it (its own session: the
    delivery's is rolled back by the ``Defer`` that follows)."""
    async with ctx.db.session() as s:
        moved = await confirm_repo.mark_to_confirm(s, op.case_id, reason[:500])
        if moved:
            await emit(
                s,
                UNCONFIRMED_EVENT,
                SYSTEM,
                case_id=op.case_id,
                reason=reason[:500],
                data={"op_id": op.id, "attempts": op.attempts + 1},
            )
    if moved:
        ALERTS.labels("create_unconfirmed").inc()
        log.error("lapor_create_unconfirmed", case_id=op.case_id, op_id=op.id, reason=reason[:200])


async def _record_created(
    session: Any, op: Any, case_id: int, complaint_id: int, status_code: int, *, outcome: str
) -> None:
    await repo.update_op(
        session, op.id, status="done", lapor_complaint_id=complaint_id, last_error=None
    )
    await repo.record_national_id(session, case_id, complaint_id, status_code)
    OPS.labels("create", outcome).inc()
    log.info("lapor_created", case_id=case_id, complaint_id=complaint_id, outcome=outcome)


async def _upload(session: Any, ctx: WorkerContext, op: Any, attachments: list[Any]) -> list[int]:
    """Upload stored files first (an orphan upload after a failure is harmless)."""
    files = []
    root = Path(ctx.settings.data_dir) / "attachments"
    for attachment in attachments:
        path = root / attachment.storage_key
        try:
            content = path.read_bytes()
        except OSError:
            log.warning("attachment_missing", case_id=op.case_id, attachment_id=attachment.id)
            continue
        files.append(
            LaporFile(
                attachment.filename, content, attachment.content_type or "application/octet-stream"
            )
        )
    if not files:
        return []
    tuning = tuning_of(ctx)
    await _commit_before_call(session)
    try:
        doc_ids = await client_of(ctx).upload_files(files)
    except (LaporTransientError, LaporUnavailable, LaporUncertainOutcome) as exc:
        raise Defer(
            tuning.transient_backoff(op.attempts + 1, getattr(exc, "retry_after", None)),
            error_text(exc),
        ) from exc
    await repo.update_op(session, op.id, response_body={"attachment_ids": doc_ids})
    return doc_ids


async def _followup(
    session: Any, ctx: WorkerContext, op: Any, mirror: Any, case: Case, *, skip_if_same: bool
) -> None:
    client = client_of(ctx)
    complaint_id = mirror.lapor_complaint_id
    if (
        op.status == "pending"
        and op.attempts == 0
        and skip_if_same
        and mirror.national_status_code == op.status_code
    ):
        await _finish(session, op.id, "done", outcome="unchanged", kind=op.kind)
        return
    if op.attempts > 0:  # sent before: was it taken? match our text among the follow-ups
        claimed = await repo.claimed_followup_ids(session, case.id)
        await _commit_before_call(session)
        for followup in await client.get_followups(complaint_id):
            if (
                followup.author == "instansi"
                and followup.followup_id not in claimed
                and followup.content.strip() == (op.content or "").strip()
            ):
                await _record_followup(
                    session, op, case.id, followup.followup_id, outcome="found_existing"
                )
                return
    followup_id = await _send(
        ctx,
        session,
        op,
        lambda: client.add_followup(
            complaint_id,
            op.content,
            status_code=op.status_code,
            is_secret=bool(case.confidential),
            institution_to_id=mirror.national_disposition_id,
        ),
    )
    await _record_followup(session, op, case.id, followup_id, outcome="done")


async def _record_followup(
    session: Any, op: Any, case_id: int, followup_id: int | None, *, outcome: str
) -> None:
    await repo.update_op(
        session, op.id, status="done", lapor_followup_id=followup_id, last_error=None
    )
    if op.status_code is not None:
        await repo.record_national_status(session, case_id, op.status_code)
    OPS.labels(op.kind, outcome).inc()


async def _reject(
    session: Any, ctx: WorkerContext, op: Any, mirror: Any, planned: PlannedOp
) -> None:
    client = client_of(ctx)
    complaint_id = mirror.lapor_complaint_id
    if op.attempts > 0:
        await _commit_before_call(session)
        complaint = await client.get_complaint(complaint_id)
        if (
            complaint.disposition_id is not None
            and complaint.disposition_id != client.institution_id
        ):
            await _finish(session, op.id, "done", outcome="found_existing", kind="reject")
            return
    try:
        await _send(
            ctx,
            session,
            op,
            lambda: client.reject_not_authority(
                complaint_id,
                planned.target_institution_id or client.profile.forward_institution_id,
                op.content or "Bukan wewenang",
            ),
        )
    except PermanentFailure as exc:
        cause = exc.__cause__
        if isinstance(cause, LaporTerminalError) and cause.status_code == 409:
            # "no longer disposed to this instansi": it has already left us.
            await _finish(session, op.id, "done", outcome="already_moved", kind="reject")
            return
        raise
    await _finish(session, op.id, "done", outcome="done", kind="reject")


async def _privacy(
    session: Any, ctx: WorkerContext, op: Any, mirror: Any, case: Case, event: Event
) -> None:
    """Bring anonim/rahasia of the national copy to what the case has now: read first
    (nothing to do if it matches, also after an uncertain send), then set both."""
    client = client_of(ctx)
    complaint_id = mirror.lapor_complaint_id
    await _commit_before_call(session)
    national = await client.get_complaint(complaint_id)
    if privacy.national_privacy_matches(case, national):
        await _finish(session, op.id, "done", outcome="unchanged", kind="privacy")
        return
    if not client.supports_privacy_update:
        await _ask_operators_for_privacy(session, op, case, event, complaint_id)
        return
    await _send(
        ctx,
        session,
        op,
        lambda: client.update_privacy(
            complaint_id, is_anonymous=bool(case.anonymous), is_secret=bool(case.confidential)
        ),
    )
    await _finish(session, op.id, "done", outcome="done", kind="privacy")
    log.info("lapor_privacy_updated", case_id=case.id, complaint_id=complaint_id)


async def _ask_operators_for_privacy(
    session: Any, op: Any, case: Case, event: Event, complaint_id: int
) -> None:
    """No national call for it: an operator changes anonim/rahasia on the national site."""
    await emit(
        session,
        "lapor.privacy_update_needed",
        LAPOR_ACTOR,
        case_id=case.id,
        reason="SP4N-LAPOR! offers no call to change anonim/rahasia: change it on the site",
        data={
            "lapor_complaint_id": complaint_id,
            "anonymous": bool(case.anonymous),
            "confidential": bool(case.confidential),
            "after_event_id": event.id,
        },
    )
    await _finish(session, op.id, "done", outcome="manual", kind="privacy")
    ALERTS.labels("privacy_update_needed").inc()
    log.warning("lapor_privacy_update_needed", case_id=case.id, complaint_id=complaint_id)
