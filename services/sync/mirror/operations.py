"""Carrying out one planned op at most once in effect: the intent marked ``sent`` and
committed before the call, the outcome translated (``uncertain`` / ``pending`` / ``dead``),
and before any resend a look at LAPOR! (the tag search, the follow-ups, the disposition) or
an operator's confirmation ("perlu konfirmasi").

Apart from :mod:`service` (which plans and orders ops per event) because each function
here is the whole exactly-once rule of one national call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import structlog

from services.sync.confirmation import repository as confirm_repo
from services.sync.lapor import (
    LaporFile,
    LaporTerminalError,
    LaporTransientError,
    LaporUnavailable,
    LaporUncertainOutcome,
    mapping,
)
from services.sync.mirror import privacy
from services.sync.mirror import repository as repo
from services.sync.mirror.metrics import ALERTS, OPS
from services.sync.mirror.planning import PlannedOp, case_for_lapor
from services.sync.mirror.support import (
    LAPOR_ACTOR,
    PermanentFailure,
    client_of,
    commit_before_call,
    error_text,
)
from services.sync.mirror.tuning import SyncTuning, tuning_of
from shared.auth import SYSTEM
from shared.events import Defer, WorkerContext, emit
from shared.models import Case, Event, utcnow

log = structlog.get_logger("simpul.sync.mirror")
T = TypeVar("T")

#: A create's outcome is unknown and no trusted search can settle it: an operator must.
UNCONFIRMED_EVENT = "lapor.create_unconfirmed"


#: How long a create waits for the case's provider media to be fetched and stored, so the
#: national case carries the photos; and how often it looks again meanwhile.
MEDIA_WAIT = timedelta(minutes=15)
MEDIA_RECHECK_S = 5.0


async def finish(
    session: Any, op_id: int, status: str, *, outcome: str, kind: str = "", **values: Any
) -> None:
    await repo.update_op(session, op_id, status=status, last_error=None, **values)
    OPS.labels(kind or "op", outcome).inc()


async def send(ctx: WorkerContext, session: Any, op: Any, call: Callable[[], Awaitable[T]]) -> T:
    """Mark the intent ``sent`` and commit it, then call; translate the outcome."""
    tuning: SyncTuning = tuning_of(ctx)
    await repo.mark_op_sent(session, op.id)
    await commit_before_call(session)
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


async def send_create(session: Any, ctx: WorkerContext, op: Any, context: repo.SyncContext) -> None:
    client = client_of(ctx)
    case, mirror = context.case, context.mirror
    assert mirror is not None  # made by mirror_event
    if mirror.lapor_complaint_id is not None:
        await finish(
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
            await commit_before_call(session)  # no lock held while another session writes
            await to_confirm(ctx, op, "create sent before, outcome unknown; search is off")
            raise Defer(tuning_of(ctx).defer(tuning_of(ctx).held_recheck_s), "perlu konfirmasi")
        await commit_before_call(session)
        try:
            found = await client.find_by_tag(case.tracking_id)
        except LaporTerminalError as exc:  # e.g. no search here after all: cannot tell
            await to_confirm(ctx, op, f"the tag search failed: {exc}")
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
        complaint_id = await send(ctx, session, op, lambda: client.create_complaint(payload))
    except Defer as exc:
        if isinstance(exc.__cause__, LaporUncertainOutcome) and not client.profile.search:
            await to_confirm(ctx, op, str(exc.__cause__))
        raise
    await _record_created(
        session, op, case.id, complaint_id, mapping.STATUS_BELUM_TERVERIFIKASI, outcome="done"
    )


async def to_confirm(ctx: WorkerContext, op: Any, reason: str) -> None:
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
    await commit_before_call(session)
    try:
        doc_ids = await client_of(ctx).upload_files(files)
    except (LaporTransientError, LaporUnavailable, LaporUncertainOutcome) as exc:
        raise Defer(
            tuning.transient_backoff(op.attempts + 1, getattr(exc, "retry_after", None)),
            error_text(exc),
        ) from exc
    await repo.update_op(session, op.id, response_body={"attachment_ids": doc_ids})
    return doc_ids


async def send_followup(
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
        await finish(session, op.id, "done", outcome="unchanged", kind=op.kind)
        return
    if op.attempts > 0:  # sent before: was it taken? match our text among the follow-ups
        claimed = await repo.claimed_followup_ids(session, case.id)
        await commit_before_call(session)
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
    followup_id = await send(
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


async def send_reject(
    session: Any, ctx: WorkerContext, op: Any, mirror: Any, planned: PlannedOp
) -> None:
    client = client_of(ctx)
    complaint_id = mirror.lapor_complaint_id
    if op.attempts > 0:
        await commit_before_call(session)
        complaint = await client.get_complaint(complaint_id)
        if (
            complaint.disposition_id is not None
            and complaint.disposition_id != client.institution_id
        ):
            await finish(session, op.id, "done", outcome="found_existing", kind="reject")
            return
    try:
        await send(
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
            await finish(session, op.id, "done", outcome="already_moved", kind="reject")
            return
        raise
    await finish(session, op.id, "done", outcome="done", kind="reject")


async def send_privacy(
    session: Any, ctx: WorkerContext, op: Any, mirror: Any, case: Case, event: Event
) -> None:
    """Bring anonim/rahasia of the national copy to what the case has now: read first
    (nothing to do if it matches, also after an uncertain send), then set both."""
    client = client_of(ctx)
    complaint_id = mirror.lapor_complaint_id
    await commit_before_call(session)
    national = await client.get_complaint(complaint_id)
    if privacy.national_privacy_matches(case, national):
        await finish(session, op.id, "done", outcome="unchanged", kind="privacy")
        return
    if not client.supports_privacy_update:
        await _ask_operators_for_privacy(session, op, case, event, complaint_id)
        return
    await send(
        ctx,
        session,
        op,
        lambda: client.update_privacy(
            complaint_id, is_anonymous=bool(case.anonymous), is_secret=bool(case.confidential)
        ),
    )
    await finish(session, op.id, "done", outcome="done", kind="privacy")
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
    await finish(session, op.id, "done", outcome="manual", kind="privacy")
    ALERTS.labels("privacy_update_needed").inc()
    log.warning("lapor_privacy_update_needed", case_id=case.id, complaint_id=complaint_id)
