"""The in-process figures over a million rows: one SLA sweep and the summary per OPD."""

from __future__ import annotations

import datetime as dt
import statistics
import time

from shared.auth import Actor
from shared.config import Settings
from shared.db import Database
from shared.events import WorkerContext
from shared.lifecycle import Role

ADMIN = Actor(type="ops", id="bench", name="Bench", role=Role.ADMIN_INSTANSI)


def _ctx(url: str) -> WorkerContext:
    settings = Settings(database_url=url)
    return WorkerContext(settings=settings, db=Database(url))


async def time_summary(url: str, runs: int = 3) -> dict[str, float]:
    """``summary`` grouped by OPD over the whole year, as the endpoint calls it: one warm-up
    (fills the working-day index and builds the report cache, as the first report after a
    deploy does: ``first_ms``), then the median of ``runs``."""
    from services.sla.calendar.service import current_calendar
    from services.sla.reports import service
    from shared.models import utcnow

    ctx = _ctx(url)
    times: list[float] = []
    rows = 0
    try:
        for i in range(runs + 1):
            t0 = time.perf_counter()
            async with ctx.db.session() as session:
                calendar = await current_calendar(session, ctx)
                period = service.parse_period(None, None, calendar.local_date(utcnow()))
                report = await service.summary(session, ctx.db, calendar, ADMIN, period, "opd")
            elapsed = time.perf_counter() - t0
            rows = report["total"]["received"]
            if i:
                times.append(elapsed)
            else:
                first = elapsed
    finally:
        await ctx.db.dispose()
    return {"ms": statistics.median(times) * 1000, "first_ms": first * 1000, "cases": rows}


async def time_sweep(url: str, now: dt.datetime) -> dict[str, float]:
    """One sweep at ``now`` among the loaded clocks (its calendar warmed first)."""
    from services.sla.calendar.service import current_calendar
    from services.sla.clocks.tasks import sweep

    ctx = _ctx(url)
    try:
        async with ctx.db.session() as session:
            await current_calendar(session, ctx)
        t0 = time.perf_counter()
        counts = await sweep(ctx, now)
        elapsed = time.perf_counter() - t0
    finally:
        await ctx.db.dispose()
    return {"s": elapsed, **counts}
