"""Reconciliation: compare every mirrored case with its national copy, repair what a crash
or a lost answer left behind, and report what still differs (``GET /admin/sync/drift``).

Repairs are the safe kind only: a case that was never mirrored (and has nothing queued) gets
a re-sync; a national change not yet read (status, reporter follow-ups, rating) makes the
case due for a re-read. A status that differs because national admins changed it is
reported, never overwritten (see ``inbound.check``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import func, or_, select

from services.sync.inbound import repository as inrepo
from services.sync.inbound.check import rating_key
from services.sync.lapor import LaporError, LaporUnavailable, mapping
from services.sync.lapor.pacing import Lane, use_lane
from services.sync.mirror import repository as repo
from services.sync.mirror.metrics import DRIFT_CASES
from services.sync.mirror.planning import RESYNC_EVENT
from services.sync.mirror.support import client_of
from services.sync.mirror.tuning import tuning_of
from shared.auth import SYSTEM, Actor
from shared.events import WorkerContext, emit
from shared.models import Case, utcnow
from shared.models.sync import LaporMirror, LaporOutboundOp

log = structlog.get_logger("simpul.sync.reconcile")


async def request_resync(session: Any, case_id: int, actor: Actor, reason: str) -> int:
    """Queue a ``lapor.resync_requested`` for the sync consumer alone (in order after the
    case's other events), release a hold, and make the case due for a re-read."""
    event = await emit(session, RESYNC_EVENT, actor, case_id=case_id, reason=reason)
    await repo.enqueue_for_sync(session, event.id, case_id)
    mirror = await repo.ensure_mirror(session, case_id)
    values: dict[str, Any] = {"next_check_at": utcnow(), "held_reason": None}
    if mirror.state == "held":
        values["state"] = "created" if mirror.lapor_complaint_id else "pending"
    await repo.update_mirror(session, case_id, **values)
    await repo.make_sync_deliveries_due(session, case_id)
    return event.id


async def repair_unmirrored(ctx: WorkerContext) -> int:
    """Cases with no national copy and nothing queued for the mirror: queue a re-sync."""
    grace = utcnow() - timedelta(seconds=tuning_of(ctx).reconcile_grace_s)
    repaired = 0
    async with ctx.db.session() as s:
        rows = await s.scalars(
            select(Case.id)
            .outerjoin(LaporMirror, LaporMirror.case_id == Case.id)
            .where(
                Case.created_at <= grace,
                or_(LaporMirror.case_id.is_(None), LaporMirror.lapor_complaint_id.is_(None)),
                or_(LaporMirror.state.is_(None), LaporMirror.state.not_in(("held", "to_confirm"))),
            )
            .limit(500)
        )
        for case_id in list(rows):
            if await repo.has_open_sync_delivery(s, case_id):
                continue
            await request_resync(s, case_id, SYSTEM, "reconciliation: no national copy")
            repaired += 1
    if repaired:
        log.warning("lapor_reconcile_requeued", cases=repaired)
    return repaired


async def compare_case(
    ctx: WorkerContext, mirror: LaporMirror, case_status: str
) -> dict[str, Any] | None:
    """What differs between the local case and its national copy (None: in step)."""
    client = client_of(ctx)
    complaint = await client.get_complaint(mirror.lapor_complaint_id)
    followups = await client.get_followups(mirror.lapor_complaint_id)
    drift: dict[str, Any] = {}
    reread = False
    async with ctx.db.session() as s:
        queued = await repo.has_open_sync_delivery(s, mirror.case_id)
        seen_reporter = await inrepo.seen_reporter_followups(s, mirror.case_id)
        ours = set(
            await s.scalars(
                select(LaporOutboundOp.lapor_followup_id).where(
                    LaporOutboundOp.case_id == mirror.case_id,
                    LaporOutboundOp.lapor_followup_id.is_not(None),
                )
            )
        )
    expected = mapping.NATIONAL_CODE_BY_SIMPUL_STATUS.get(case_status)
    if expected is not None and complaint.status_code != expected and not queued:
        drift["status"] = {
            "local": case_status,
            "expected_code": expected,
            "national_code": complaint.status_code,
        }
    if complaint.status_code != mirror.national_status_code:
        drift["unread_status"] = {
            "recorded": mirror.national_status_code,
            "national": complaint.status_code,
        }
        reread = True
    national_reporter = sum(1 for f in followups if f.author == "reporter")
    if national_reporter != seen_reporter:
        drift["reporter_followups"] = {"national": national_reporter, "local": seen_reporter}
        reread = reread or national_reporter > seen_reporter
    national_ids = {f.followup_id for f in followups}
    missing = sorted(int(i) for i in ours if int(i) not in national_ids)
    if missing:
        drift["our_followups_missing"] = missing
    if rating_key(complaint.rating) not in (None, mirror.rating_key):
        drift["rating"] = "not yet read"
        reread = True
    async with ctx.db.session() as s:
        values: dict[str, Any] = {"drift": drift or None, "drift_checked_at": utcnow()}
        if reread:
            values["next_check_at"] = utcnow()
        await repo.update_mirror(s, mirror.case_id, **values)
    return drift or None


#: Progress is written (and the run's heartbeat renewed) after this many cases.
PROGRESS_EVERY = 25

Progress = Callable[[dict[str, Any]], Awaitable[None]]


async def reconcile(ctx: WorkerContext, progress: Progress | None = None) -> dict[str, Any]:
    """One full comparison. Run it through ``reconcile.jobs`` (one run at a time, progress
    readable); ``progress`` is awaited with the counts so far every ``PROGRESS_EVERY``
    cases. Sessions are short (one per read or write), so a run holds no pooled
    connection while LAPOR! answers."""
    if not ctx.settings.lapor_sync_enabled:
        return {}
    result: dict[str, Any] = {
        "requeued": await repair_unmirrored(ctx),
        "total": 0,
        "compared": 0,
        "drift": 0,
        "errors": 0,
    }
    async with ctx.db.session() as s:
        rows = (
            await s.execute(
                select(LaporMirror, Case.status)
                .join(Case, Case.id == LaporMirror.case_id)
                .where(LaporMirror.state == "created", LaporMirror.lapor_complaint_id.is_not(None))
                .order_by(LaporMirror.case_id)
            )
        ).all()
    result["total"] = len(rows)
    if progress is not None:
        await progress(dict(result))
    for index, (mirror, status) in enumerate(rows, start=1):
        try:
            with use_lane(Lane.POLL):  # a read like the poller's, in its share of the rate
                drift = await compare_case(ctx, mirror, status)
        except LaporUnavailable:
            result["errors"] += 1
            break  # the breaker is open: the rest waits for the next run
        except LaporError as exc:
            result["errors"] += 1
            log.warning("lapor_reconcile_read_failed", case_id=mirror.case_id, error=str(exc)[:200])
            continue
        result["compared"] += 1
        result["drift"] += 1 if drift else 0
        if progress is not None and index % PROGRESS_EVERY == 0:
            await progress(dict(result))
    async with ctx.db.session() as s:
        DRIFT_CASES.set(await drift_count(s))
    return result


async def drift_count(session: Any) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(LaporMirror).where(LaporMirror.drift.is_not(None))
        )
        or 0
    )


async def drift_report(session: Any, limit: int = 200) -> list[dict[str, Any]]:
    rows = (
        await session.execute(
            select(LaporMirror, Case.tracking_id, Case.status)
            .join(Case, Case.id == LaporMirror.case_id)
            .where(LaporMirror.drift.is_not(None))
            .order_by(LaporMirror.drift_checked_at.desc())
            .limit(limit)
        )
    ).all()
    return [
        {
            "tracking_id": tracking_id,
            "status": status,
            "lapor_complaint_id": mirror.lapor_complaint_id,
            "drift": mirror.drift,
            "checked_at": mirror.drift_checked_at.isoformat() if mirror.drift_checked_at else None,
        }
        for mirror, tracking_id, status in rows
    ]
