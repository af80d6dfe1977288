"""``sync_cases_per_s``: a backlog of new cases mirrored into the LAPOR! simulator, set to
100 ms latency and a 50/s rate limit, by the real ``sync`` consumer."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import func, select

from bench import procs
from shared.auth import SYSTEM
from shared.cases.service import NewCase, ReporterInput, create_case
from shared.config import Settings
from shared.db import Database
from shared.events import WorkerContext
from shared.models import Case

LATENCY_MS = 100
RATE_LIMIT_PER_S = 50
BATCH = 200


def start_simulator(log: Path, state_file: Path | None = None) -> tuple[object, int]:
    """The simulator in its own process (starting from ``state_file``'s store, if given)."""
    port = procs.free_port()
    state = f", state_file={str(state_file)!r}" if state_file else ""
    code = (
        "from services.sync.simulator import serve; "
        f"serve(host='127.0.0.1', port={port}, log_level='warning'{state})"
    )
    proc = procs.start([sys.executable, "-c", code], {}, log)
    procs.wait_for_port(port, proc)
    faults = {"latency_ms": LATENCY_MS, "rate_limit_per_s": RATE_LIMIT_PER_S, "callbacks": False}
    httpx.put(f"http://127.0.0.1:{port}/_sim/faults", json=faults).raise_for_status()
    return proc, port


async def make_backlog(url: str, n: int, say: Callable[[str], None]) -> list[int]:
    """``n`` cases opened by ``create_case`` (each with its ``case.received``), in batches."""
    db = Database(url)
    ids: list[int] = []
    try:
        for start in range(0, n, BATCH):
            async with db.session() as session:
                for i in range(start, min(n, start + BATCH)):
                    case = await create_case(
                        session,
                        NewCase(
                            channel="web",
                            title=f"Bench sync {i}",
                            description="Lampu jalan padam di simpang empat sejak seminggu.",
                            category_code="ADMINDUK",
                            kecamatan_code="TABANAN",
                            reporter=ReporterInput(
                                channel="web", name="Warga", phone="+6281234567890"
                            ),
                        ),
                        SYSTEM,
                    )
                    ids.append(case.id)
            say(f"  backlog {len(ids):>5,} / {n:,} cases")
    finally:
        await db.dispose()
    return ids


async def count_mirrored(db: Database, ids: list[int]) -> int:
    """How many of the backlog's cases have their LAPOR! id, polled while the consumer runs
    in this same event loop: by id range (the backlog was opened in one run on a fresh
    database), since an ``IN`` of 2,000 ids costs ~16 ms of this process's CPU per poll,
    about 6 % of a core taken from the consumer being measured."""
    async with db.session() as session:
        return await session.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.id.between(min(ids), max(ids)), Case.lapor_complaint_id.is_not(None))
        )


async def check_all_mirrored(db: Database, ids: list[int]) -> None:
    """Once, after the clock stopped: every case of the backlog itself has its id."""
    async with db.session() as session:
        missing = await session.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.id.in_(ids), Case.lapor_complaint_id.is_(None))
        )
    if missing:
        raise RuntimeError(f"{missing} of the backlog's cases have no LAPOR! id")


async def mirror(url: str, sim_port: int, ids: list[int], say: Callable[[str], None]) -> dict:
    """Run the ``sync`` consumer (as a worker process would) until every case has its
    LAPOR! id; cases per second over that time."""
    from services.sync.mirror.tasks import close_lapor_client, open_lapor_client, sync_consumer

    settings = Settings(
        database_url=url,
        lapor_base_url=f"http://127.0.0.1:{sim_port}",
        # The operator sets the client's pace to the national limit it was given.
        lapor_rate_limit_per_s=float(RATE_LIMIT_PER_S),
    )
    pool = settings.pool_size_for(["sync"], workers=True)  # as `simpul worker` sizes it
    ctx = WorkerContext(settings=settings, db=Database(url, pool_size=pool))
    await open_lapor_client(ctx)
    stop = asyncio.Event()
    consumer = sync_consumer()
    task = None
    try:
        t0 = time.perf_counter()
        task = asyncio.create_task(consumer.run_forever(ctx, stop))
        done = 0
        last_say = t0
        while done < len(ids):
            await asyncio.sleep(0.25)
            if task.done():
                task.result()
                raise RuntimeError("the sync consumer stopped")
            done = await count_mirrored(ctx.db, ids)
            if time.perf_counter() - last_say > 5:
                last_say = time.perf_counter()
                say(f"  mirrored {done:>5,} / {len(ids):,}  ({done / (last_say - t0):.1f}/s)")
            if time.perf_counter() - t0 > 600:
                raise RuntimeError(f"only {done} of {len(ids)} mirrored after 600 s")
        elapsed = time.perf_counter() - t0
        await check_all_mirrored(ctx.db, ids)
    finally:
        stop.set()
        if task is not None:
            try:
                await asyncio.wait_for(task, 15)
            except (TimeoutError, Exception):  # noqa: BLE001 - cleanup only
                task.cancel()
        await close_lapor_client(ctx)
        await ctx.db.dispose()
    return {"cases_per_s": len(ids) / elapsed, "seconds": elapsed, "cases": len(ids)}
