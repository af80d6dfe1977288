"""The inbound half of the mirror. Polling is the main path (``contracts/lapor-api.md``):

- every open mirrored case is re-read on its ``next_check_at`` (5 min after a change or an
  error, doubling to 6 h while nothing changes, but never later than the nearest warning
  or deadline of the case's running verification/resolution SLA clock, and at most 30 min
  apart in the last 24 h before it); national status changes, the reporter's
  follow-ups (once per national follow-up id) and ratings become local events;
- ``GET /complaints?updated_since=`` is walked from a stored cursor, minus an overlap, to
  find the cases national admins forwarded to this pemda (made into local cases, once per
  national id) and to make changed cases due at once;
- callbacks are only hints that make a case (or a discovery) due now.

**Decision — national status changes do not drive the local lifecycle.** Simpul is the
system of record for the pemda's handling (the lifecycle table and its roles); a national
status change (e.g. "Selesai" set by a national admin) is recorded as a
``lapor.status_changed`` event and shown to operators, who act on it. The exceptions are
what the reporter does on LAPOR!: a follow-up becomes a reporter message
(``lapor.followup_received``) and a rating becomes the case's rating (``case.rated``,
written by the ``lapor`` actor so the mirror does not send it back).

An unknown national status code is never guessed: the case's mirror is held, an alert is
counted and logged, and an operator releases it (``/admin/sync/cases/{id}/resync``).
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from services.sync.inbound import repository as inrepo
from services.sync.lapor import (
    LaporComplaint,
    LaporError,
    LaporFollowup,
    LaporNotFound,
    UnknownStatusCode,
    mapping,
)
from services.sync.mirror import repository as repo
from services.sync.mirror.metrics import ALERTS, INBOUND, POLL_ERRORS
from services.sync.mirror.service import LAPOR_ACTOR, client_of
from services.sync.mirror.tuning import tuning_of
from shared.cases.events import CaseEvent
from shared.cases.service import NewCase, ReporterInput, create_case
from shared.events import WorkerContext, emit
from shared.models import Case, CaseMessage, Category, utcnow
from shared.models.sync import LaporMirror

log = structlog.get_logger("simpul.sync.inbound")

CATEGORY_CODE_BY_ID = {value: key for key, value in mapping.CATEGORY_IDS.items()}


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
        async with ctx.db.session() as s:
            now = utcnow()
            await repo.update_mirror(
                s,
                case_id,
                errors=LaporMirror.errors + 1,
                last_error=str(exc)[:2000],
                next_check_at=await _next_check_at(s, case_id, now, tuning.poll_min_interval_s),
            )
        return "error"
    changed = await apply_national(ctx, case_id, complaint, followups)
    if changed == "held":
        return "held"
    interval = (
        tuning.poll_min_interval_s
        if changed
        else min(
            tuning.poll_max_interval_s, max(tuning.poll_min_interval_s, mirror.check_interval_s * 2)
        )
    )
    now = utcnow()
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
        complaint.simpul_status  # noqa: B018 - raises for a code absent from the table
    except UnknownStatusCode as exc:
        ALERTS.labels("unknown_status_code").inc()
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
        changed |= await _apply_status(s, case_id, complaint)
        changed |= await _apply_followups(s, case_id, complaint.complaint_id, followups)
        changed |= await _apply_rating(s, case_id, complaint)
    return changed


async def _apply_status(s: Any, case_id: int, complaint: LaporComplaint) -> bool:
    mirror = await repo.get_mirror(s, case_id)
    old, new = mirror.national_status_code, complaint.status_code
    if old == new:
        return False
    ours = new in await repo.in_flight_status_codes(s, case_id)
    guard = (
        LaporMirror.national_status_code.is_(None)
        if old is None
        else LaporMirror.national_status_code == old
    )
    result = await s.execute(
        update(LaporMirror)
        .where(LaporMirror.case_id == case_id, guard)
        .values(national_status_code=new, updated_at=utcnow())
    )
    if not result.rowcount:
        return False  # someone else recorded it first
    await s.execute(update(Case).where(Case.id == case_id).values(lapor_status_code=new))
    if ours:
        return False  # our own push, answer lost: not a national change
    await emit(
        s,
        "lapor.status_changed",
        LAPOR_ACTOR,
        case_id=case_id,
        data={
            "lapor_complaint_id": complaint.complaint_id,
            "from_code": old,
            "to_code": new,
            "status_name": complaint.status_name,
            "national_status": complaint.simpul_status,
        },
    )
    INBOUND.labels("status_changed").inc()
    return True


async def _apply_followups(
    s: Any, case_id: int, complaint_id: int, followups: list[LaporFollowup]
) -> bool:
    changed = False
    for followup in followups:
        if followup.author != "reporter":
            continue  # ours (or another instansi's): not a reporter message
        seen = await inrepo.remember_followup(
            s,
            followup_id=followup.followup_id,
            case_id=case_id,
            complaint_id=complaint_id,
            author="reporter",
        )
        if seen is None:
            continue
        message = CaseMessage(
            case_id=case_id,
            kind="reporter",
            body=followup.content,
            channel="lapor",
            author_type="reporter",
            author_id=f"lapor:{complaint_id}",
            created_at=followup.created_at or utcnow(),
        )
        s.add(message)
        await s.flush()
        seen.message_id = message.id
        await emit(
            s,
            "lapor.followup_received",
            LAPOR_ACTOR,
            case_id=case_id,
            data={
                "lapor_complaint_id": complaint_id,
                "lapor_followup_id": followup.followup_id,
                "message_id": message.id,
            },
        )
        INBOUND.labels("followup").inc()
        changed = True
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
    score = int(complaint.rating["score"])
    comment = complaint.rating.get("comment") or None
    await s.execute(
        update(Case).where(Case.id == case_id).values(rating=score, rating_comment=comment)
    )
    await emit(
        s,
        CaseEvent.RATED,
        LAPOR_ACTOR,
        case_id=case_id,
        data={
            "rating": score,
            "has_comment": comment is not None,
            "source": "lapor",
            "lapor_complaint_id": complaint.complaint_id,
        },
    )
    INBOUND.labels("rating").inc()
    return True


# -- discovery ---------------------------------------------------------------------------
async def discover(ctx: WorkerContext) -> dict[str, int]:
    """Walk this instansi's cases changed since the cursor (minus the overlap window)."""
    tuning = tuning_of(ctx)
    client = client_of(ctx)
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
    try:
        complaint.simpul_status  # noqa: B018
        state, held_reason = "created", None
    except UnknownStatusCode as exc:
        state, held_reason = "held", str(exc)
        ALERTS.labels("unknown_status_code").inc()
        log.error("lapor_mirror_held", complaint_id=complaint.complaint_id, reason=held_reason)
    async with ctx.db.session() as s:
        if await repo.mirror_by_complaint(s, complaint.complaint_id) is not None:
            return None
        category_code = CATEGORY_CODE_BY_ID.get(complaint.category_id or -1)
        if category_code and await s.get(Category, category_code) is None:
            category_code = None
        kind = mapping.KIND_BY_CLASSIFICATION_ID.get(complaint.classification_id or 1, "pengaduan")
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
                        next_check_at=now,
                        check_interval_s=tuning_of(ctx).poll_min_interval_s,
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


# -- callbacks as hints --------------------------------------------------------------------
async def process_callback_hints(ctx: WorkerContext) -> int:
    """Stored callbacks not yet acted on: a mirrored case is made due; an unknown national
    id is read and imported if it is a case forwarded to us."""
    client = client_of(ctx)
    async with ctx.db.session() as s:
        callbacks = [(c.id, c.lapor_complaint_id) for c in await inrepo.unprocessed_callbacks(s)]
    done = 0
    for callback_id, complaint_id in callbacks:
        if complaint_id is not None:
            async with ctx.db.session() as s:
                hinted = await inrepo.hint_case(s, complaint_id)
            if not hinted:
                try:
                    complaint = await client.get_complaint(complaint_id)
                except LaporNotFound:
                    complaint = None
                except LaporError:
                    break  # LAPOR! is unwell: try the rest next run
                if complaint is not None and not complaint.tracking_id:
                    await import_complaint(ctx, complaint)
        async with ctx.db.session() as s:
            await inrepo.mark_callback_processed(s, callback_id)
        done += 1
    return done


# -- the job -------------------------------------------------------------------------------
async def check_due(ctx: WorkerContext) -> dict[str, int]:
    tuning = tuning_of(ctx)
    counts: dict[str, int] = {}
    case_ids = await inrepo.claim_due(ctx.db, limit=tuning.poll_batch, lease_s=tuning.poll_lease_s)
    gate = asyncio.Semaphore(max(1, tuning.poll_concurrency))

    async def one(case_id: int) -> None:
        async with gate:
            outcome = await check_case(ctx, case_id)
        counts[outcome] = counts.get(outcome, 0) + 1

    await asyncio.gather(*(one(case_id) for case_id in case_ids))
    return counts


async def poll_once(ctx: WorkerContext) -> dict[str, Any]:
    """One round of the inbound job: callback hints, discovery, then the due cases."""
    if not ctx.settings.lapor_sync_enabled:
        return {}
    async with ctx.db.session() as s:
        if await repo.is_paused(s):
            return {"paused": True}
    result: dict[str, Any] = {"hints": await process_callback_hints(ctx)}
    try:
        result["discover"] = await discover(ctx)
    except LaporError as exc:
        log.warning("lapor_discover_failed", error=str(exc)[:200])
        result["discover"] = {"error": 1}
    result["checked"] = await check_due(ctx)
    return result


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
