"""Re-reading one mirrored case: the schedule of its next read (capped by its SLA clock),
the read itself, and each national change turned into a local event exactly once.

Apart from the jobs (:mod:`service`) and discovery because this is what every path ends
in — a due case, a callback, a listed change all call :func:`check_case`.
"""

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import update

from services.sync.inbound import changes, national
from services.sync.inbound import repository as inrepo
from services.sync.lapor import (
    LaporComplaint,
    LaporError,
    LaporFollowup,
    LaporNotFound,
    LaporProtocolError,
    UnknownStatusCode,
)
from services.sync.mirror import repository as repo
from services.sync.mirror.metrics import ALERTS, POLL_ERRORS
from services.sync.mirror.support import LAPOR_ACTOR, client_of
from services.sync.mirror.tuning import tuning_of
from shared.events import WorkerContext, emit
from shared.models import utcnow
from shared.models.sync import LaporMirror

log = structlog.get_logger("simpul.sync.inbound")


# -- scheduling near SLA points --------------------------------------------------------
#: Within this long before a watched deadline, a case is re-read at least this often.
NEAR_DEADLINE_WINDOW = timedelta(hours=24)
NEAR_DEADLINE_MAX_INTERVAL = timedelta(minutes=30)


def schedule_next_check(now: datetime, interval_s: float, point: datetime | None) -> datetime:
    """When to re-read a case: the backoff schedule, capped by the case's SLA clock.

    ``point`` is the nearest future warning or deadline of its running verification or
    resolution clock (:func:`inrepo.next_clock_point`). Rules: the next check is never
    later than that point; while the point is within the last 24 h (the last working day
    is at most that long), checks are at most 30 min apart; never earlier than ``now``.
    A stopped clock gives no point, so its case keeps the plain backoff.
    """
    at = now + timedelta(seconds=interval_s)
    if point is not None:
        at = min(at, point)
        if point - now <= NEAR_DEADLINE_WINDOW:
            at = min(at, now + NEAR_DEADLINE_MAX_INTERVAL)
    return max(at, now)


async def _next_check_at(s: Any, case_id: int, now: datetime, interval_s: float) -> datetime:
    return schedule_next_check(now, interval_s, await inrepo.next_clock_point(s, case_id, now))


# -- one case --------------------------------------------------------------------------
async def check_case(ctx: WorkerContext, case_id: int) -> str:
    """Re-read one mirrored case and apply what changed nationally. Returns the outcome."""
    tuning = tuning_of(ctx)
    client = client_of(ctx)
    async with ctx.db.session() as s:
        mirror = await repo.get_mirror(s, case_id)
    if mirror is None or mirror.lapor_complaint_id is None:
        return "not_mirrored"
    complaint_id = mirror.lapor_complaint_id
    try:
        complaint = await client.get_complaint(complaint_id)
        followups = await client.get_followups(complaint_id)
    except LaporNotFound:
        await hold(ctx, case_id, f"national case {complaint_id} not found")
        return "held"
    except LaporError as exc:
        POLL_ERRORS.inc()
        error = str(exc)
        if isinstance(exc, LaporProtocolError):  # an answer in no known shape: keep it
            error = f"{error} — answer: {exc.redacted_body}"
            log.error("lapor_unreadable_answer", case_id=case_id, error=error[:500])
        async with ctx.db.session() as s:
            now = utcnow()
            interval = tuning.poll_interval(ok=False, changed=False, young=False)
            await repo.update_mirror(
                s,
                case_id,
                errors=LaporMirror.errors + 1,
                last_error=error[:2000],
                check_interval_s=interval,
                next_check_at=await _next_check_at(s, case_id, now, interval),
            )
        return "error"
    changed = await apply_national(ctx, case_id, complaint, followups)
    if changed == "held":
        return "held"
    now = utcnow()
    young = _aware(mirror.created_at) > now - timedelta(seconds=tuning.poll_young_for_s)
    interval = tuning.poll_interval(ok=True, changed=bool(changed), young=young)
    async with ctx.db.session() as s:
        await repo.update_mirror(
            s,
            case_id,
            check_interval_s=interval,
            next_check_at=await _next_check_at(s, case_id, now, interval),
            last_checked_at=now,
            errors=0,
            last_error=None,
        )
    return "changed" if changed else "unchanged"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def hold(ctx: WorkerContext, case_id: int, reason: str, **data: Any) -> None:
    """Hold a case's mirror for an operator: log line, alert metric, ``held`` state, event."""
    async with ctx.db.session() as s:
        result = await s.execute(
            update(LaporMirror)
            .where(LaporMirror.case_id == case_id, LaporMirror.state != "held")
            .values(state="held", held_reason=reason, updated_at=utcnow())
        )
        if result.rowcount:
            await emit(
                s, "lapor.mirror_held", LAPOR_ACTOR, case_id=case_id, reason=reason, data=data
            )
    if result.rowcount:
        ALERTS.labels("mirror_held").inc()
        log.error("lapor_mirror_held", case_id=case_id, reason=reason)


async def apply_national(
    ctx: WorkerContext, case_id: int, complaint: LaporComplaint, followups: list[LaporFollowup]
) -> bool | str:
    """Turn national changes into local events, each exactly once. True if anything changed."""
    try:
        _ = complaint.simpul_status  # raises for a name absent from the table
    except UnknownStatusCode as exc:
        ALERTS.labels("unknown_status").inc()
        await hold(
            ctx,
            case_id,
            str(exc),
            status_code=complaint.status_code,
            status_name=complaint.status_name,
        )
        return "held"
    changed = False
    async with ctx.db.session() as s:
        changed |= await changes.apply_status(s, case_id, complaint)
        changed |= await changes.apply_followups(s, case_id, complaint.complaint_id, followups)
        changed |= await _apply_rating(s, case_id, complaint)
    return changed


def rating_key(rating: Any) -> str | None:
    if not rating or rating.get("score") is None:
        return None
    comment = str(rating.get("comment") or "")
    return f"{int(rating['score'])}:{hashlib.sha256(comment.encode()).hexdigest()[:16]}"


async def _apply_rating(s: Any, case_id: int, complaint: LaporComplaint) -> bool:
    key = rating_key(complaint.rating)
    if key is None:
        return False
    mirror = await repo.get_mirror(s, case_id)
    if mirror.rating_key == key:
        return False
    old = mirror.rating_key
    guard = LaporMirror.rating_key.is_(None) if old is None else LaporMirror.rating_key == old
    result = await s.execute(
        update(LaporMirror)
        .where(LaporMirror.case_id == case_id, guard)
        .values(rating_key=key, updated_at=utcnow())
    )
    if not result.rowcount:
        return False
    return await national.apply_rating(
        s,
        case_id=case_id,
        complaint_id=complaint.complaint_id,
        score=int(complaint.rating["score"]),
        comment=complaint.rating.get("comment") or None,
    )
