"""Jobs of the push API: forget idempotency keys past their 24 h window."""

from __future__ import annotations

from services.intake.complaints import repository as repo
from services.intake.complaints.service import IDEMPOTENCY_WINDOW
from shared.events import PeriodicJob, WorkerContext
from shared.models import utcnow


async def purge_idempotency_keys(ctx: WorkerContext) -> int:
    async with ctx.db.session() as session:
        return await repo.purge_idempotency_keys(session, utcnow() - IDEMPOTENCY_WINDOW)


idempotency_purge_job = PeriodicJob(
    name="idempotency-purge", func=purge_idempotency_keys, interval_s=3600.0
)
