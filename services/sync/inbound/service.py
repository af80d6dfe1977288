"""The inbound half of the mirror. Polling is the main path (``contracts/lapor-api.md``):

- every open mirrored case is re-read on its ``next_check_at``, on the integrators'
  schedule (``mirror/tuning.py``: 3 h after a good read, 60 min after an error, 15 min
  while the case is young or after a read that found a change; ``SIMPUL_LAPOR_POLL_*``),
  but never later than the nearest warning or deadline of the case's running
  verification/resolution SLA clock, and at most 30 min apart in the last 24 h before it;
  national status changes, the reporter's follow-ups (once per national follow-up id)
  and ratings become local events. A round drains everything due at its start with
  ``SIMPUL_LAPOR_POLL_CONCURRENCY`` workers, paced only by the poller's share of the
  rate limit (``lapor/pacing.py``);
- where the national list exists (``SIMPUL_LAPOR_SEARCH=true``), ``GET
  /complaints?updated_since=`` is walked from a stored cursor, minus an overlap, to find
  the cases national admins forwarded to this pemda (made into local cases, once per
  national id) and to make changed cases due at once; without it, forwarded cases arrive
  by callback or by importing the national export (``simpul lapor import``);
- callbacks are hints: each makes its case due at once (the endpoint) and is acted on
  within a second by the ``lapor-callbacks`` job, which re-reads the case in the callback
  lane — ahead of any polling backlog. The national read, never the callback, is the
  truth.

**Decision — national status changes do not drive the local lifecycle.** Simpul is the
system of record for the pemda's handling (the lifecycle table and its roles); a national
status change (e.g. "Selesai" set by a national admin) is recorded as a
``lapor.status_changed`` event and shown to operators, who act on it; "Diarsipkan" also
tells Admin Instansi (``inbound/national.py``). The exceptions are what the reporter does
on LAPOR!: a follow-up becomes a reporter message (``lapor.followup_received``) and a
rating is recorded (``case.rated``, written by the ``lapor`` actor so the mirror does not
send it back), counted in reports only while the case has no Simpul rating
(``inbound/national.py``).

Statuses are mapped by name (the profile's table, ``SIMPUL_LAPOR_STATUS_NAMES``); who wrote a
follow-up is inferred by a rule table (``inbound/changes.py``). An unknown name is never
guessed: the case's mirror is held, an alert is counted and logged, and an operator
releases it (``/admin/sync/cases/{id}/resync``).
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

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
from services.sync.lapor.pacing import Lane, use_lane
from services.sync.mirror import repository as repo
from services.sync.mirror.metrics import ALERTS, INBOUND, POLL_ERRORS
from services.sync.mirror.support import LAPOR_ACTOR, client_of
from services.sync.mirror.tuning import tuning_of
from shared.cases.service import NewCase, ReporterInput, create_case
from shared.events import WorkerContext, emit
from shared.models import Case, Category, utcnow
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


# -- discovery ---------------------------------------------------------------------------
async def discover(ctx: WorkerContext) -> dict[str, int]:
    """Walk this instansi's cases changed since the cursor (minus the overlap window)."""
    client = client_of(ctx)
    if not client.profile.search:  # no national list here: callbacks or the export import
        return {"off": 1}
    tuning = tuning_of(ctx)
    async with ctx.db.session() as s:
        cursor = await repo.get_setting(s, repo.DISCOVER_CURSOR_KEY)
    since = None
    newest: datetime | None = None
    if cursor:
        newest = datetime.fromisoformat(cursor)
        since = newest - timedelta(seconds=tuning.discover_overlap_s)
    counts = {"imported": 0, "hinted": 0, "seen": 0}
    async for complaint in client.iter_complaints(updated_since=since):
        counts["seen"] += 1
        if complaint.updated_at and (newest is None or complaint.updated_at > newest):
            newest = complaint.updated_at
        outcome = await take_listed(ctx, complaint)
        if outcome in counts:
            counts[outcome] += 1
    if newest is not None and newest.isoformat() != cursor:
        async with ctx.db.session() as s:
            await repo.set_setting(s, repo.DISCOVER_CURSOR_KEY, newest.isoformat(), by="discover")
    return counts


async def take_listed(ctx: WorkerContext, complaint: LaporComplaint) -> str:
    """A listed national case: make a mirrored one due if it changed since we last read it,
    import a forwarded-in one, leave one of ours whose create is still in flight."""
    async with ctx.db.session() as s:
        mirror = await repo.mirror_by_complaint(s, complaint.complaint_id)
        if mirror is not None:
            if (
                complaint.updated_at is None
                or mirror.last_checked_at is None
                or mirror.last_checked_at < complaint.updated_at
            ):
                await s.execute(
                    update(LaporMirror)
                    .where(
                        LaporMirror.case_id == mirror.case_id,
                        or_(
                            LaporMirror.next_check_at.is_(None),
                            LaporMirror.next_check_at > utcnow(),
                        ),
                    )
                    .values(next_check_at=utcnow())
                )
                return "hinted"
            return "current"
    if complaint.tracking_id:
        return "ours"  # made by Simpul; its create op records it
    return "imported" if await import_complaint(ctx, complaint) else "skipped"


async def import_complaint(ctx: WorkerContext, complaint: LaporComplaint) -> int | None:
    """Open a local case (channel ``lapor``) for a case national admins forwarded to us.
    Once per national id (unique ``lapor_mirror.lapor_complaint_id``)."""
    client = client_of(ctx)
    if complaint.disposition_id is not None and complaint.disposition_id != client.institution_id:
        return None
    profile = client.profile
    try:
        _ = complaint.simpul_status  # raises for a name absent from the table
        state, held_reason = "created", None
    except UnknownStatusCode as exc:
        state, held_reason = "held", str(exc)
        ALERTS.labels("unknown_status").inc()
        log.error("lapor_mirror_held", complaint_id=complaint.complaint_id, reason=held_reason)
    async with ctx.db.session() as s:
        if await repo.mirror_by_complaint(s, complaint.complaint_id) is not None:
            return None
        category_code = profile.category_code_for(complaint.category_id)
        if category_code and await s.get(Category, category_code) is None:
            category_code = None
        kind = profile.kind_for_classification(complaint.classification_id)
        anonymous = bool(complaint.is_anonymous)
        new = NewCase(
            channel="lapor",
            description=complaint.content or complaint.title or "(tanpa isi)",
            title=(complaint.title or None) and complaint.title[:200],
            kind=kind,
            category_code=category_code,
            anonymous=anonymous,
            confidential=bool(complaint.is_secret),
            external_ref=f"lapor:{complaint.complaint_id}",
            reporter=ReporterInput(
                channel="lapor",
                channel_address=str(complaint.complaint_id),
                name=None if anonymous else complaint.reporter_name,
            ),
            event_data={"lapor_complaint_id": complaint.complaint_id, "origin": "national"},
        )
        now = utcnow()
        try:
            async with s.begin_nested():
                case = await create_case(s, new, LAPOR_ACTOR)
                s.add(
                    LaporMirror(
                        case_id=case.id,
                        lapor_complaint_id=complaint.complaint_id,
                        origin="national",
                        state=state,
                        held_reason=held_reason,
                        national_status_code=complaint.status_code,
                        national_status_name=complaint.status_name or None,
                        national_disposition_id=complaint.disposition_id,
                        next_check_at=now,
                        check_interval_s=tuning_of(ctx).poll_young_s,
                        errors=0,
                        created_at=now,
                        updated_at=now,
                    )
                )
                await s.flush()
        except IntegrityError:
            return None  # another poller imported it first
        await s.execute(
            update(Case)
            .where(Case.id == case.id)
            .values(
                lapor_complaint_id=complaint.complaint_id, lapor_status_code=complaint.status_code
            )
        )
        case_id = case.id
    INBOUND.labels("forwarded_in").inc()
    log.info("lapor_forwarded_in", case_id=case_id, complaint_id=complaint.complaint_id)
    return case_id


# -- callbacks: they jump the queue ---------------------------------------------------------
#: Callbacks one round takes, and national reads in flight for them.
CALLBACK_BATCH = 100
CALLBACK_CONCURRENCY = 4


async def process_callback_hints(ctx: WorkerContext) -> int:
    """Callbacks not yet acted on, claimed (so one process acts on each) and read at once
    in the callback lane, ahead of any polling backlog (``lapor/pacing.py``): a mirrored
    case is re-read now; an unknown national id is read and imported if it is a case
    forwarded to us. A process that dies after its claim loses nothing: the endpoint
    made the case due, and the poller re-reads it."""
    async with ctx.db.session() as s:
        claimed = await inrepo.claim_callbacks(s, limit=CALLBACK_BATCH, is_sqlite=ctx.db.is_sqlite)
    complaint_ids = list(dict.fromkeys(c for c in claimed if c is not None))
    gate = asyncio.Semaphore(CALLBACK_CONCURRENCY)

    async def one(complaint_id: int) -> None:
        async with gate:
            await _act_on_callback(ctx, complaint_id)

    with use_lane(Lane.CALLBACK):
        await asyncio.gather(*(one(c) for c in complaint_ids))
    return len(claimed)


async def _act_on_callback(ctx: WorkerContext, complaint_id: int) -> None:
    async with ctx.db.session() as s:
        mirror = await repo.mirror_by_complaint(s, complaint_id)
    if mirror is not None:
        try:
            await check_case(ctx, mirror.case_id)
        except LaporError as exc:  # the case stays due: the poller reads it
            log.warning("lapor_callback_read_failed", case_id=mirror.case_id, error=str(exc)[:200])
        return
    client = client_of(ctx)
    try:
        complaint = await client.get_complaint(complaint_id)
    except LaporError as exc:  # not found, or LAPOR! unwell: discovery finds it later
        log.info("lapor_callback_unknown_case", complaint_id=complaint_id, error=str(exc)[:200])
        return
    if not complaint.tracking_id:
        await import_complaint(ctx, complaint)


# -- the jobs ------------------------------------------------------------------------------
async def check_due(ctx: WorkerContext) -> dict[str, int]:
    """Re-read every case that was due when this round began, by ``poll_concurrency``
    workers in the poll lane (the rate limit paces them), for at most ``poll_round_s``.
    A case rescheduled during the round waits for the next one."""
    tuning = tuning_of(ctx)
    counts: dict[str, int] = {}
    started = utcnow()
    deadline = asyncio.get_running_loop().time() + tuning.poll_round_s

    async def claim() -> list[int]:
        return await inrepo.claim_due(
            ctx.db, limit=tuning.poll_claim, lease_s=tuning.poll_lease_s, due_before=started
        )

    async def worker(case_ids: list[int] | None) -> None:
        if case_ids is None:
            case_ids = await claim()
        while case_ids:
            for case_id in case_ids:
                outcome = await check_case(ctx, case_id)
                counts[outcome] = counts.get(outcome, 0) + 1
            if asyncio.get_running_loop().time() >= deadline:
                return
            case_ids = await claim()

    first = await claim()  # an idle round costs this one query
    if not first:
        return counts
    with use_lane(Lane.POLL):
        await asyncio.gather(
            worker(first), *(worker(None) for _ in range(tuning.poll_concurrency - 1))
        )
    return counts


async def poll_once(ctx: WorkerContext) -> dict[str, Any]:
    """One whole round of the inbound side: callbacks, discovery, then the due cases."""
    if not ctx.settings.lapor_sync_enabled:
        return {}
    async with ctx.db.session() as s:
        if await repo.is_paused(s):
            return {"paused": True}
    result: dict[str, Any] = {"hints": await process_callback_hints(ctx)}
    with use_lane(Lane.POLL):
        try:
            result["discover"] = await discover(ctx)
        except LaporError as exc:
            log.warning("lapor_discover_failed", error=str(exc)[:200])
            result["discover"] = {"error": 1}
    result["checked"] = await check_due(ctx)
    return result


async def poll_round(ctx: WorkerContext) -> dict[str, Any]:
    """The ``lapor-poll`` job: the due cases (discovery and callbacks have jobs of their
    own, so neither a long national list nor a callback waits for the other)."""
    if not ctx.settings.lapor_sync_enabled:
        return {}
    async with ctx.db.session() as s:
        if await repo.is_paused(s):
            return {"paused": True}
    return {"checked": await check_due(ctx)}


async def discover_round(ctx: WorkerContext) -> dict[str, int]:
    """The ``lapor-discover`` job: cases forwarded to us and cases changed nationally."""
    if not ctx.settings.lapor_sync_enabled:
        return {}
    async with ctx.db.session() as s:
        if await repo.is_paused(s):
            return {"paused": 1}
    with use_lane(Lane.POLL):
        try:
            return await discover(ctx)
        except LaporError as exc:
            log.warning("lapor_discover_failed", error=str(exc)[:200])
            return {"error": 1}


async def callback_round(ctx: WorkerContext) -> int:
    """The ``lapor-callbacks`` job (every second): act on new callbacks at once."""
    if not ctx.settings.lapor_sync_enabled:
        return 0
    async with ctx.db.session() as s:
        if await repo.is_paused(s):
            return 0
    return await process_callback_hints(ctx)


async def due_count(session: Any) -> int:
    from sqlalchemy import func

    return int(
        await session.scalar(
            select(func.count())
            .select_from(LaporMirror)
            .where(LaporMirror.state == "created", LaporMirror.next_check_at <= utcnow())
        )
        or 0
    )
