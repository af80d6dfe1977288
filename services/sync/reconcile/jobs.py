"""Reconciliation as a job: ``POST /admin/sync/reconcile`` answers 202 with a run id at
once and the run goes on in the background of that process; ``GET
/admin/sync/reconcile/{id}`` (and ``/latest``) read its progress and result.

Why a job: a full re-read takes one national read per mirrored case (10 minutes for 770
cases at a modest rate); inside a request it held a pooled connection and a worker for
that long, and a few concurrent calls exhausted the pool for unrelated endpoints.

One run at a time, across every process: a run is a ``lapor_reconcile_runs`` row, and a
unique partial index allows one ``running`` row. A run renews its ``heartbeat_at`` as it
goes; a ``running`` row whose heartbeat is older than :data:`STALE_AFTER_S` belongs to a
process that died, and is marked ``failed`` by the next start. The hourly job starts
runs the same way (and skips its turn while one is running).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from services.sync.reconcile.service import reconcile
from shared.db import Database
from shared.events import WorkerContext
from shared.models import utcnow
from shared.models.sync import LaporReconcileRun

log = structlog.get_logger("simpul.sync.reconcile")

#: A running row with no heartbeat for this long is taken for dead.
STALE_AFTER_S = 300
#: Where a process keeps its background runs (so they can be awaited and cancelled).
TASKS_KEY = "reconcile_tasks"


def run_view(run: LaporReconcileRun) -> dict[str, Any]:
    return {
        "job_id": run.id,
        "state": run.state,
        "requested_by": run.requested_by,
        "started_at": run.started_at.isoformat(),
        "heartbeat_at": run.heartbeat_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "progress": run.progress or {},
        "result": run.result,
        "error": run.error,
    }


async def _expire_stale(db: Database) -> None:
    cutoff = utcnow() - timedelta(seconds=STALE_AFTER_S)
    async with db.session() as s:
        await s.execute(
            update(LaporReconcileRun)
            .where(LaporReconcileRun.state == "running", LaporReconcileRun.heartbeat_at < cutoff)
            .values(state="failed", finished_at=utcnow(), error="the run's process stopped")
        )


async def running_run(db: Database) -> LaporReconcileRun | None:
    async with db.session() as s:
        return await s.scalar(select(LaporReconcileRun).where(LaporReconcileRun.state == "running"))


async def claim_run(db: Database, requested_by: str | None) -> tuple[LaporReconcileRun, bool]:
    """A new ``running`` run, or the one already running (``False``)."""
    await _expire_stale(db)
    now = utcnow()
    run = LaporReconcileRun(
        id=str(uuid.uuid4()),
        state="running",
        requested_by=requested_by,
        started_at=now,
        heartbeat_at=now,
        progress={},
    )
    try:
        async with db.session() as s:
            s.add(run)
    except IntegrityError:
        current = await running_run(db)
        if current is not None:
            return current, False
        raise  # it finished in between: let the caller try again
    return run, True


async def get_run(db: Database, run_id: str) -> LaporReconcileRun | None:
    async with db.session() as s:
        return await s.get(LaporReconcileRun, run_id)


async def latest_run(db: Database) -> LaporReconcileRun | None:
    async with db.session() as s:
        return await s.scalar(
            select(LaporReconcileRun).order_by(LaporReconcileRun.started_at.desc()).limit(1)
        )


async def execute_run(ctx: WorkerContext, run_id: str) -> dict[str, Any]:
    """Run a claimed reconciliation to its end, writing progress, result or error."""

    async def write(**values: Any) -> None:
        async with ctx.db.session() as s:
            await s.execute(
                update(LaporReconcileRun).where(LaporReconcileRun.id == run_id).values(**values)
            )

    async def progress(counts: dict[str, Any]) -> None:
        await write(progress=counts, heartbeat_at=utcnow())

    try:
        result = await reconcile(ctx, progress)
    except BaseException as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        await write(state="failed", finished_at=utcnow(), error=error)
        log.warning("lapor_reconcile_failed", job_id=run_id, error_type=type(exc).__name__)
        raise
    now = utcnow()
    await write(state="done", finished_at=now, heartbeat_at=now, progress=result, result=result)
    return result


async def start_in_background(
    ctx: WorkerContext, requested_by: str | None
) -> tuple[LaporReconcileRun, bool]:
    """Claim a run and start it as a task of this process (``False``: one was running)."""
    run, created = await claim_run(ctx.db, requested_by)
    if created:
        tasks: set[asyncio.Task] = ctx.resources.setdefault(TASKS_KEY, set())
        task = asyncio.create_task(_quietly(execute_run(ctx, run.id)), name=f"reconcile:{run.id}")
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    return run, created


async def _quietly(work: Any) -> None:
    with contextlib.suppress(Exception):  # recorded on the run's row by execute_run
        await work


#: Set once the hourly job has passed its first turn in this process.
STARTED_KEY = "reconcile_job_started"


async def scheduled_run(ctx: WorkerContext) -> dict[str, Any]:
    """The hourly job: one run in this task, or nothing while another is running. Its
    first turn, at process start, is skipped: a restart (or a deploy of N processes)
    does not re-read every mirrored case nationally at once; the first run is an hour
    later (``POST /admin/sync/reconcile`` starts one at any time)."""
    if not ctx.settings.lapor_sync_enabled:
        return {}
    if not ctx.resources.get(STARTED_KEY):
        ctx.resources[STARTED_KEY] = True
        return {"skipped": "first turn after start"}
    run, created = await claim_run(ctx.db, "schedule")
    if not created:
        return {"skipped": "a reconciliation is running", "job_id": run.id}
    return await execute_run(ctx, run.id)


async def stop_background_runs(ctx: WorkerContext) -> None:
    """Shutdown: cancel this process's runs (each is marked ``failed``)."""
    tasks: set[asyncio.Task] = ctx.resources.get(TASKS_KEY) or set()
    for task in list(tasks):
        task.cancel()
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)
