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
  by callback or by importing the national export (``simpul lapor import``), and where no
  callbacks are expected either Simpul says so (``inbound/coverage.py``);
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

import asyncio
from typing import Any

import structlog
from sqlalchemy import select

from services.sync.inbound import repository as inrepo
from services.sync.inbound.callbacks import process_callback_hints
from services.sync.inbound.check import check_case
from services.sync.inbound.discovery import discover
from services.sync.lapor import (
    LaporError,
)
from services.sync.lapor.pacing import Lane, use_lane
from services.sync.mirror import repository as repo
from services.sync.mirror.tuning import tuning_of
from shared.events import WorkerContext
from shared.models import utcnow
from shared.models.sync import LaporMirror

log = structlog.get_logger("simpul.sync.inbound")


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
