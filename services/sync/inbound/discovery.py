"""National cases not yet ours: walking the national list where it exists
(``SIMPUL_LAPOR_SEARCH=true``) and opening a local case for one national admins forwarded
to this instansi ("forward-in"), once per national id.

Apart from :mod:`check` because it starts from the national side (a listed or called-back
case), while ``check`` starts from a case Simpul already mirrors.
"""

from datetime import datetime, timedelta

import structlog
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from services.sync.lapor import (
    LaporComplaint,
    UnknownStatusCode,
)
from services.sync.mirror import repository as repo
from services.sync.mirror.metrics import ALERTS, INBOUND
from services.sync.mirror.support import LAPOR_ACTOR, client_of
from services.sync.mirror.tuning import tuning_of
from shared.cases.service import NewCase, ReporterInput, create_case
from shared.events import WorkerContext
from shared.models import Case, Category, utcnow
from shared.models.sync import LaporMirror

log = structlog.get_logger("simpul.sync.inbound")


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
