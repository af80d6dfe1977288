"""The daily digest: each OPD's officers hear, once per working day, which of their cases
fall due within the next 3 working days (the resolution clocks still running).

A periodic job, safe in any number of processes and idempotent: from ``SIMPUL_DIGEST_HOUR``
(local time) on a working day, it queues one message per officer per OPD with
``dedup_key = "digest:<local date>:<OPD>:<person>"`` and a marker row
``digest:<local date>`` (a ``log`` line the operator sees), which the next runs of the day
find and stop at. Two processes racing queue nothing twice (``ON CONFLICT DO NOTHING``).
Only tracking IDs, deadlines and console links: no reporter, no complaint text.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import structlog
from sqlalchemy import select

from services.sla.calendar.service import current_calendar
from services.sla.clocks.rules import ClockKind, ClockState
from services.sla.escalation.repository import insert_messages
from shared.events import PeriodicJob, WorkerContext
from shared.models import Case, OutboundMessage, utcnow
from shared.models.sla import SlaClock
from shared.notify.messages import case_link, deadline_text, officer_rows
from shared.notify.officers import LOG_CHANNEL, load_directory

log = structlog.get_logger("simpul.sla.digest")

#: "What is due in the next 3 working days" (issue 19).
DIGEST_WORKING_DAYS = 3
#: Cases listed per message; the rest are counted (the console lists them all).
DIGEST_MAX_LINES = 30
DIGEST_INTERVAL_S = 600.0


def marker_key(day: dt.date) -> str:
    return f"digest:{day.isoformat()}"


def digest_notice(opd_name: str, day: dt.date, items: list[tuple[str, dt.datetime, str]]) -> str:
    """Bahasa Indonesia: the OPD, then one line per case (ID, deadline, link)."""
    lines = [
        f"Ringkasan {day.strftime('%d-%m-%Y')} untuk {opd_name}: {len(items)} pengaduan "
        f"jatuh tempo dalam {DIGEST_WORKING_DAYS} hari kerja ke depan."
    ]
    for tracking_id, deadline, link in items[:DIGEST_MAX_LINES]:
        lines.append(f"- {tracking_id}, batas waktu {deadline_text(deadline)}: {link}")
    if len(items) > DIGEST_MAX_LINES:
        lines.append(f"... dan {len(items) - DIGEST_MAX_LINES} lainnya (lihat konsol).")
    return "\n".join(lines)


async def send_digest(ctx: WorkerContext, now: dt.datetime | None = None) -> int:
    """Queue today's digests if it is time and they are not queued yet; returns how many
    messages were queued (0 outside a working day, before the hour, or once done)."""
    now = now or utcnow()
    settings = ctx.settings
    async with ctx.db.session() as session:
        calendar = await current_calendar(session, ctx)
        local = now.astimezone(calendar.tz)
        today = local.date()
        if not calendar.is_working_day(today) or local.hour < settings.digest_hour:
            return 0
        marker = marker_key(today)
        exists = await session.scalar(
            select(OutboundMessage.id).where(OutboundMessage.dedup_key == marker)
        )
        if exists is not None:
            return 0
        horizon = calendar.working_days_after(now, DIGEST_WORKING_DAYS)
        rows = await session.execute(
            select(SlaClock.opd_code, SlaClock.deadline_at, Case.tracking_id)
            .join(Case, Case.id == SlaClock.case_id)
            .where(
                SlaClock.kind == ClockKind.RESOLUTION.value,
                SlaClock.state == ClockState.RUNNING.value,
                SlaClock.opd_code.is_not(None),
                SlaClock.deadline_at >= now,
                SlaClock.deadline_at <= horizon,
            )
            .order_by(SlaClock.opd_code, SlaClock.deadline_at, Case.tracking_id)
        )
        due: dict[str, list[tuple[str, dt.datetime, str]]] = defaultdict(list)
        for opd_code, deadline_at, tracking_id in rows:
            if deadline_at.tzinfo is None:
                deadline_at = deadline_at.replace(tzinfo=dt.UTC)
            due[opd_code].append(
                (tracking_id, deadline_at.astimezone(calendar.tz), case_link(settings, tracking_id))
            )
        directory = await load_directory(session, due)
        messages = []
        for opd_code, items in due.items():
            opd = directory.opds.get(opd_code)
            messages += officer_rows(
                directory.opd_officers(opd_code, settings),
                settings=settings,
                case_id=None,
                event_id=None,
                tracking_id=None,
                template="officer_digest",
                notice=digest_notice(opd.name if opd else opd_code, today, items),
                dedup_prefix=f"{marker}:{opd_code}",
                now=now,
            )
        queued = await insert_messages(session, messages)
        await insert_messages(
            session,
            [
                {
                    "case_id": None,
                    "event_id": None,
                    "audience": "staff",
                    "channel": LOG_CHANNEL,
                    "recipient": "digest",
                    "template": "officer_digest_run",
                    "body": f"Ringkasan harian {today.isoformat()}: {len(due)} OPD, "
                    f"{queued} pesan.",
                    "dedup_key": marker,
                    "params": {"opds": sorted(due), "messages": queued},
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            ],
        )
    if queued:
        log.info("officer_digest_queued", opds=len(due), messages=queued)
    return queued


async def _digest_job(ctx: WorkerContext) -> None:
    await send_digest(ctx)


def digest_job() -> PeriodicJob:
    return PeriodicJob("officer-digest", _digest_job, DIGEST_INTERVAL_S)
