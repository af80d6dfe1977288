"""Exactly once through failure, against the real simulator server: 5xx, timeouts, commits
whose answer is lost, 429 bursts, a maintenance window, two workers at once, and a worker
killed with SIGKILL mid-backlog and restarted."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from services.sync.lapor import mapping
from services.sync.mirror.tasks import sync_consumer
from shared.db import Database
from shared.events import WorkerContext
from shared.models import EventDelivery, utcnow
from shared.models.sync import LaporOutboundOp
from tests.sync.test_mirror_support import (
    FAST_TUNING,
    act,
    by_tag,
    confirm_like_an_operator,
    fast_client,
    open_case,
    settle,
    sync_backlog,
    unconfirmed_count,
)

ROOT = Path(__file__).resolve().parents[2]


async def open_handled_cases(app, count: int) -> list[tuple[int, str]]:
    """``count`` cases, each received, verified, answered and resolved."""
    cases = [
        await open_case(app, description=f"Keluhan nomor {i}: lampu jalan mati.")
        for i in range(count)
    ]
    for i, (case_id, _) in enumerate(cases):
        await act(app, case_id, "case.verified", "verified")
        await act(app, case_id, "case.responded", "in_progress", data={"message": f"Survei {i}."})
        await act(app, case_id, "case.resolved", "resolved", data={"message": f"Selesai {i}."})
    return cases


async def assert_each_exactly_once(
    lapor_sim_admin, cases, *, final_code: int, followups: int
) -> None:
    complaints = await lapor_sim_admin.complaints()
    assert len(complaints) == len(cases)
    for _, tracking_id in cases:
        [national] = by_tag(complaints, tracking_id)
        assert national["status_code"] == final_code
        contents = [f["content"] for f in national["followups"]]
        assert len(contents) == followups, contents
        assert len(set(contents)) == len(contents), contents


async def test_errors_and_timeouts_leave_every_case_exactly_once(
    sync_app, search_mode, lapor_sim_admin
):
    await lapor_sim_admin.faults(error_rate=0.3, timeout_rate=0.1, timeout_s=1.0)
    cases = await open_handled_cases(sync_app, 6)
    await settle(sync_app, operator=lapor_sim_admin)
    await lapor_sim_admin.clear_faults()
    stats = await lapor_sim_admin.stats()
    assert stats["errors_injected"] > 0
    await assert_each_exactly_once(
        lapor_sim_admin, cases, final_code=mapping.STATUS_SELESAI, followups=3
    )


async def test_commit_then_timeout_on_create_and_followup_makes_no_duplicate(
    sync_app, search_mode, lapor_sim_admin
):
    """Zero duplicates, zero lost, whether a trusted search or an operator settles."""
    await lapor_sim_admin.faults(commit_then_timeout_rate=0.5, timeout_s=1.0)
    cases = await open_handled_cases(sync_app, 5)
    await settle(sync_app, operator=lapor_sim_admin)
    assert await unconfirmed_count(sync_app) == 0
    await lapor_sim_admin.clear_faults()
    async with sync_app.state.db.session() as session:
        looked = await session.scalar(
            select(LaporOutboundOp.id).where(
                LaporOutboundOp.attempts > 0, LaporOutboundOp.status == "done"
            )
        )
    assert looked is not None
    assert (await lapor_sim_admin.stats())["errors_injected"] > 0
    await assert_each_exactly_once(
        lapor_sim_admin, cases, final_code=mapping.STATUS_SELESAI, followups=3
    )


async def test_429_bursts_are_deferred_without_burning_attempts(sync_app, lapor_sim_admin):
    sync_app.state.ctx.resources["sync_tuning"] = replace(FAST_TUNING, max_defer_s=0.5)
    await lapor_sim_admin.faults(rate_limit_per_s=10, rate_limit_burst=2)
    cases = [await open_case(sync_app, description=f"Sampah menumpuk {i}.") for i in range(5)]
    await settle(sync_app)
    await lapor_sim_admin.clear_faults()
    assert (await lapor_sim_admin.stats())["rate_limited"] > 0
    async with sync_app.state.db.session() as session:
        deliveries = list(
            await session.scalars(select(EventDelivery).where(EventDelivery.consumer == "sync"))
        )
    assert {d.status for d in deliveries} == {"done"}
    assert {d.attempts for d in deliveries} == {1}
    complaints = await lapor_sim_admin.complaints()
    assert all(len(by_tag(complaints, t)) == 1 for _, t in cases)


async def test_a_maintenance_window_waits_for_retry_after_then_catches_up(
    sync_app, lapor_sim_admin
):
    sync_app.state.ctx.resources["sync_tuning"] = replace(FAST_TUNING, max_defer_s=None)
    await lapor_sim_admin.faults(maintenance=True, maintenance_retry_after_s=30)
    cases = [await open_case(sync_app, description=f"Banjir {i}.") for i in range(3)]
    consumer = next(c for s in sync_app.state.specs for c in s.consumers if c.name == "sync")
    await consumer.run_once(sync_app.state.ctx)
    async with sync_app.state.db.session() as session:
        deliveries = list(
            await session.scalars(select(EventDelivery).where(EventDelivery.consumer == "sync"))
        )
    assert {d.status for d in deliveries} == {"pending"}
    assert {d.attempts for d in deliveries} == {0}
    assert all(d.next_attempt_at > utcnow() + timedelta(seconds=20) for d in deliveries)
    assert await lapor_sim_admin.complaints() == []

    await lapor_sim_admin.clear_faults()
    sync_app.state.ctx.resources["sync_tuning"] = FAST_TUNING
    async with sync_app.state.db.session() as session:
        from services.sync.mirror.repository import make_sync_deliveries_due

        await make_sync_deliveries_due(session)  # as the window's end (or resume) would
    await asyncio.sleep(0.15)  # the client's breaker (opened by the 503s) heals
    await settle(sync_app)
    complaints = await lapor_sim_admin.complaints()
    assert all(len(by_tag(complaints, t)) == 1 for _, t in cases)


async def test_two_workers_at_once_make_no_duplicates(
    sync_app, settings, lapor_sim, lapor_sim_admin
):
    await lapor_sim_admin.faults(
        error_rate=0.15, latency_ms=5, commit_then_timeout_rate=0.1, timeout_s=1.0
    )
    cases = await open_handled_cases(sync_app, 8)
    workers = []
    for _ in range(2):
        db = Database(settings.database_url, pool_size=5)
        ctx = WorkerContext(
            settings=settings,
            db=db,
            resources={"lapor": fast_client(lapor_sim), "sync_tuning": FAST_TUNING},
        )
        workers.append((sync_consumer(), ctx))
    try:

        async def run(consumer, ctx, owner: str) -> None:
            deadline = time.monotonic() + 12
            while time.monotonic() < deadline:
                if await consumer.run_once(ctx, owner) == 0:
                    if await sync_backlog(sync_app) == 0:
                        return
                    await confirm_like_an_operator(sync_app, lapor_sim_admin)
                    await asyncio.sleep(0.01)

        await asyncio.gather(*(run(c, ctx, f"worker-{i}") for i, (c, ctx) in enumerate(workers)))
    finally:
        for _, ctx in workers:
            await ctx.resources["lapor"].aclose()
            await ctx.db.dispose()
    await lapor_sim_admin.clear_faults()
    assert await sync_backlog(sync_app) == 0
    await assert_each_exactly_once(
        lapor_sim_admin, cases, final_code=mapping.STATUS_SELESAI, followups=3
    )


WORKER_SCRIPT = """
import asyncio, os
from shared.config import Settings
from shared.db import Database
from shared.events import WorkerContext
from services.sync.mirror.tasks import sync_consumer
from tests.sync.test_mirror_support import FAST_TUNING, fast_client

async def main():
    if os.environ.get("WORKER_WAIT"):
        await asyncio.to_thread(input)  # imported and ready; start when told
    settings = Settings(_env_file=None, database_url=os.environ["WORKER_DB"], log_level="WARNING")
    ctx = WorkerContext(settings=settings, db=Database(settings.database_url),
        resources={"lapor": fast_client(os.environ["WORKER_LAPOR"]), "sync_tuning": FAST_TUNING})
    consumer = sync_consumer()
    consumer.lease_s = 1.0  # a killed worker's leases lapse quickly
    while True:
        if await consumer.run_once(ctx) == 0:
            await asyncio.sleep(0.02)

asyncio.run(main())
"""


def start_worker(database_url: str, lapor_url: str, *, wait: bool = False) -> subprocess.Popen:
    """``python -c`` running the sync consumer; ``wait``: import, then start on a line of stdin."""
    env = {
        **os.environ,
        "WORKER_DB": database_url,
        "WORKER_LAPOR": lapor_url,
        "WORKER_WAIT": "1" if wait else "",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-c", WORKER_SCRIPT],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    return
    for stream in (process.stdin, process.stderr):
        if stream is not None:
            stream.close()


@pytest.mark.slow
async def test_a_worker_killed_mid_backlog_and_restarted_sends_everything_once(
    sync_app, settings, lapor_sim, lapor_sim_admin
):
    await lapor_sim_admin.faults(latency_ms=60, rate_limit_per_s=0)
    cases = [await open_case(sync_app, description=f"Pohon tumbang {i}.") for i in range(6)]
    for i, (case_id, _) in enumerate(cases):
        await act(sync_app, case_id, "case.verified", "verified")
        await act(
            sync_app, case_id, "case.responded", "in_progress", data={"message": f"Dipotong {i}."}
        )

    first = start_worker(settings.database_url, lapor_sim)
    second = start_worker(settings.database_url, lapor_sim, wait=True)  # imports meanwhile
    try:
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and (await lapor_sim_admin.stats())["complaints"] < 2:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
            assert first.poll() is None, first.stderr.read().decode()[-2000:]
        finally:
            kill(first)
        assert await sync_backlog(sync_app) > 0  # killed mid-backlog

        second.stdin.write(b"go\n")
        second.stdin.flush()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and await sync_backlog(sync_app) > 0:
            assert second.poll() is None, second.stderr.read().decode()[-2000:]
            await confirm_like_an_operator(sync_app, lapor_sim_admin)  # a create cut short
            await asyncio.sleep(0.05)
    finally:
        kill(second)
    assert await sync_backlog(sync_app) == 0
    await assert_each_exactly_once(
        lapor_sim_admin, cases, final_code=mapping.STATUS_DITINDAKLANJUTI, followups=2
    )
