"""Callbacks jump the queue: each claimed hint is acted on within a second in the callback
lane — a mirrored case re-read, an unknown national id read and imported if forwarded to us.

Its own module because it joins :mod:`check` and :mod:`discovery` for one national id.
"""

import asyncio

import structlog

from services.sync.inbound import repository as inrepo
from services.sync.inbound.check import check_case
from services.sync.inbound.discovery import import_complaint
from services.sync.lapor import (
    LaporError,
)
from services.sync.lapor.pacing import Lane, use_lane
from services.sync.mirror import repository as repo
from services.sync.mirror.support import client_of
from shared.events import WorkerContext

log = structlog.get_logger("simpul.sync.inbound")

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
