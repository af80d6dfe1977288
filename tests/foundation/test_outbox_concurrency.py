"""Many workers of one consumer on PostgreSQL (DESIGN.md: "many processes of one service share
the work ... beware of consumers that read 'id greater than my cursor', which can skip rows
committed late"). Each worker has its own ``Database`` (its own connection pool, as a separate
process would); writers commit in overlapping transactions, one of them holding its
transaction open while the others commit, one rolling back. Every committed event must be
handled exactly once and none skipped; rolled-back events never."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest
from sqlalchemy import func, select

from shared.auth import SYSTEM
from shared.db import Database
from shared.events import Consumer, WorkerContext, emit
from shared.models import EventDelivery

WORKERS = 4
WRITERS = 6
EVENTS_PER_WRITER = 24
DEADLINE_S = 20.0


async def test_concurrent_workers_and_late_committing_writers_handle_each_event_exactly_once(
    settings, database_url, probe_subscription
):
    if database_url.startswith("sqlite"):
        pytest.skip(
            "SQLite has one writer at a time: the multi-process claim is a PostgreSQL matter"
        )

    handled: Counter[int] = Counter()
    committed: set[int] = set()
    rolled_back: set[int] = set()
    rng = random.Random(20261123)

    async def handler(session, event, _ctx) -> None:
        handled[event.id] += 1
        await asyncio.sleep(rng.random() / 500)  # let the workers interleave

    consumer = Consumer("probe", handler, batch_size=5, concurrency=3, lease_s=120)
    stop = asyncio.Event()
    worker_dbs = [Database(database_url, pool_size=4, max_overflow=0) for _ in range(WORKERS)]
    writer_db = Database(database_url, pool_size=WRITERS + 2, max_overflow=0)

    async def work(index: int) -> None:
        ctx = WorkerContext(settings=settings, db=worker_dbs[index])
        while not stop.is_set():
            if await consumer.run_once(ctx, owner=f"worker-{index}") == 0:
                await asyncio.sleep(0.005)

    async def write(index: int) -> None:
        left = EVENTS_PER_WRITER
        while left:
            size = min(left, rng.randint(1, 5))
            ids = []
            async with writer_db.session() as session:
                for _ in range(size):
                    ids.append(
                        (await emit(session, "probe.happened", SYSTEM, data={"writer": index})).id
                    )
                if index == 0 and left == EVENTS_PER_WRITER:
                    # the slow writer: its ids are drawn first, its commit lands after the others'
                    await asyncio.sleep(0.5)
            committed.update(ids)
            left -= size
            await asyncio.sleep(rng.random() / 200)
        if index == 1:
            try:
                async with writer_db.session() as session:
                    event = await emit(session, "probe.happened", SYSTEM, data={"writer": index})
                    rolled_back.add(event.id)
                    raise RuntimeError("this unit of work fails")
            except RuntimeError:
                pass

    workers = [asyncio.create_task(work(i)) for i in range(WORKERS)]
    try:
        await asyncio.gather(*(write(i) for i in range(WRITERS)))
        loop = asyncio.get_running_loop()
        give_up = loop.time() + DEADLINE_S
        while loop.time() < give_up:
            async with writer_db.session() as session:
                pending = await session.scalar(
                    select(func.count())
                    .select_from(EventDelivery)
                    .where(EventDelivery.consumer == "probe", EventDelivery.status != "done")
                )
            if pending == 0:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.gather(*workers)
        for d in (*worker_dbs, writer_db):
            await d.dispose()

    assert len(committed) == WRITERS * EVENTS_PER_WRITER
    assert set(handled) == committed, f"skipped: {sorted(committed - set(handled))}"
    assert not rolled_back & set(handled)
    doubles = {event_id: n for event_id, n in handled.items() if n != 1}
    assert doubles == {}, "handled more than once"
    assert pending == 0
