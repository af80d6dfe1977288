"""Keeps the mirror's Prometheus gauges fresh even when nobody opens the status page."""

from __future__ import annotations

from services.sync.ops.service import sync_status
from shared.events import PeriodicJob, WorkerContext

METRICS_INTERVAL_S = 15.0


async def refresh_gauges(ctx: WorkerContext) -> None:
    await sync_status(ctx.db, ctx.resources, ctx.settings)


def lapor_metrics(interval_s: float = METRICS_INTERVAL_S) -> PeriodicJob:
    return PeriodicJob(name="lapor-metrics", func=refresh_gauges, interval_s=interval_s)
