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
every national call (``support.commit_before_call``), so the reads, the intent and the
``sent`` mark share one transaction, no connection or lock is held while LAPOR! answers,
and the call's result commits with the next op's intent or with the delivery's "done".
Outcomes of a failed call (``uncertain``, ``pending`` again, ``dead``) are written in
sessions of their own, since the delivery's session is rolled back when the handler raises.
"""

from __future__ import annotations

from typing import Any

from services.sync.lapor import LaporTransientError, LaporUnavailable, mapping
from services.sync.mirror import operations
from services.sync.mirror import repository as repo
from services.sync.mirror.planning import PlannedOp, plan, private_terms
from services.sync.mirror.support import error_text
from services.sync.mirror.tuning import tuning_of
from shared.cases.labels import LAPOR_STATUS_TEXTS as STATUS_TEXTS
from shared.events import Defer, WorkerContext
from shared.models import Event

#: Mirror states in which the consumer waits for an operator instead of sending.
WAITING_STATES = ("held", "to_confirm")


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
        await operations.send_create(session, ctx, op, context)
        return
    if mirror.lapor_complaint_id is None:
        raise RuntimeError(f"case {case_id} has no national id after its create")
    if kind == "privacy":
        await operations.send_privacy(session, ctx, op, mirror, case, event)
    elif kind in ("status", "followup"):
        if kind == "status" and (status_code is None or op.content is None):
            await operations.finish(session, op.id, "done", outcome="skipped")
            return
        await operations.send_followup(
            session, ctx, op, mirror, case, skip_if_same=(kind == "status")
        )
    elif kind == "reject":
        await operations.send_reject(session, ctx, op, mirror, planned)
