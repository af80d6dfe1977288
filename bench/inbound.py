"""``poll_vs_limit`` and ``inbound_callback_p95_s``: the inbound side of the mirror, run as
production runs it (one ``services.sync.app`` process with its workers), against the
LAPOR! simulator at 100 ms latency and a 50/s rate limit, with a backlog of overdue
re-reads.

1. ``backlog`` cases opened with ``create_case``, each linked to a national case made in
   the simulator (its rate limit off for the setup) and already mirrored: a
   ``lapor_mirror`` row due an hour ago, not young. Their own sync deliveries are marked
   done, so the mirror has nothing to send.
2. ``poll_vs_limit``: with nothing else sent, the successful national requests per
   second the poller makes (the simulator's count, less 429s and injected errors), over
   a window after a warm-up, divided by the rate limit (each re-read of a case is a
   detail and a follow-up read: the figure is how much of the rate the poller uses).
3. ``inbound_callback_p95_s``: callbacks on; national status changes, one every
   ``CHANGE_GAP_S`` on cases the poller has not reached yet; for each, the time from the
   change to its ``lapor.status_changed`` event in Simpul. The 95th percentile, while
   the backlog is still overdue (checked, and printed).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, insert, select, update

from bench import procs, sync
from services.sync.lapor import CaseForLapor, LaporClient, mapping
from services.sync.simulator.repository import FIRST_COMPLAINT_ID
from shared.config import DEMO_LAPOR_AUTH_KEY, DEMO_LAPOR_TOKEN
from shared.db import Database
from shared.models import Case, Event, EventDelivery
from shared.models.sync import LaporMirror, SyncSetting

LATENCY_MS = 100
RATE_LIMIT_PER_S = 50
WARMUP_S = 5.0
CHANGE_GAP_S = 0.5
SETUP_CONCURRENCY = 32
#: An event must arrive within this long, or the run fails.
ARRIVAL_TIMEOUT_S = 120.0


async def _national_cases(sim_url: str, cases: list[tuple[int, str]]) -> dict[int, int]:
    """A national case per local case (case id -> complaint id), at the simulator's
    full speed (its rate limit and latency are off during the setup)."""
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)
    linked: dict[int, int] = {}
    async with LaporClient(
        sim_url, DEMO_LAPOR_AUTH_KEY, DEMO_LAPOR_TOKEN, rate_limit_per_s=0, timeout_s=30
    ) as lapor:

        async def one(case_id: int, tracking_id: str) -> None:
            async with gate:
                linked[case_id] = await lapor.create_complaint(
                    CaseForLapor(
                        tracking_id=tracking_id,
                        title=f"Bench inbound {case_id}",
                        description="Lampu jalan padam di simpang empat sejak seminggu.",
                        kind="pengaduan",
                        category_code="ADMINDUK",
                    )
                )

        await asyncio.gather(*(one(case_id, tid) for case_id, tid in cases))
    return linked


async def make_overdue_backlog(
    url: str, sim_url: str, n: int, say: Callable[[str], None]
) -> list[int]:
    """``n`` mirrored cases whose re-read is an hour overdue; their complaint ids, the
    least overdue last."""
    ids = await sync.make_backlog(url, n, say)
    db = Database(url)
    try:
        async with db.session() as session:
            rows = (
                await session.execute(
                    select(Case.id, Case.tracking_id).where(Case.id.in_(ids)).order_by(Case.id)
                )
            ).all()
        t0 = time.perf_counter()
        linked = await _national_cases(sim_url, [(r[0], r[1]) for r in rows])
        say(f"  {len(linked):,} national cases made in {time.perf_counter() - t0:.1f} s")
        now = datetime.now(UTC)
        ordered = sorted(linked)
        async with db.session() as session:
            await session.execute(
                update(EventDelivery)
                .where(EventDelivery.consumer == "sync", EventDelivery.case_id.in_(ordered))
                .values(status="done")
            )
            await session.execute(
                insert(LaporMirror),
                [
                    {
                        "case_id": case_id,
                        "lapor_complaint_id": linked[case_id],
                        "origin": "simpul",
                        "state": "created",
                        "national_status_code": mapping.STATUS_BELUM_TERVERIFIKASI,
                        # An hour overdue, the later cases a little less.
                        "next_check_at": now - timedelta(hours=1) + timedelta(milliseconds=i),
                        "check_interval_s": 3 * 3600,
                        "errors": 0,
                        "created_at": now - timedelta(days=2),
                        "updated_at": now,
                    }
                    for i, case_id in enumerate(ordered)
                ],
            )
            for case_id in ordered:
                await session.execute(
                    update(Case)
                    .where(Case.id == case_id)
                    .values(lapor_complaint_id=linked[case_id])
                )
            # Discovery starts from now: the backlog is known, nothing to list.
            session.add(SyncSetting(key="discover_cursor", value=now.isoformat()))
    finally:
        await db.dispose()
    return [linked[case_id] for case_id in ordered]


def start_sync_server(url: str, sim_port: int, log: Path) -> tuple[object, int]:
    """``services.sync.app`` with its workers, as one production sync process."""
    port = procs.free_port()
    env = {
        "SIMPUL_DATABASE_URL": url,
        "SIMPUL_RUN_WORKERS": "true",
        "SIMPUL_LOG_JSON": "true",
        "SIMPUL_LAPOR_BASE_URL": f"http://127.0.0.1:{sim_port}",
        "SIMPUL_LAPOR_RATE_LIMIT_PER_S": str(float(RATE_LIMIT_PER_S)),
    }
    proc = procs.uvicorn("services.sync.app:create_app", port, 1, env, log)
    return proc, port


def _cpu(pid: int) -> float:
    """The sync server's CPU seconds (its worker processes, or itself)."""
    return sum(procs.cpu_seconds(p) for p in procs.children(pid) or [pid])


async def _sim_counts(client: httpx.AsyncClient) -> tuple[int, float]:
    stats = (await client.get("/_sim/stats")).json()
    ok = stats["requests"] - stats.get("rate_limited", 0) - stats.get("errors_injected", 0)
    return ok, time.perf_counter()


async def _due(db: Database) -> int:
    async with db.session() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(LaporMirror)
                .where(LaporMirror.next_check_at <= datetime.now(UTC))
            )
            or 0
        )


async def measure(
    url: str,
    sim_port: int,
    server_port: int,
    server_pid: int,
    complaint_ids: list[int],
    *,
    poll_window_s: float,
    changes: int,
    say: Callable[[str], None],
) -> dict[str, float]:
    db = Database(url)
    sim = httpx.AsyncClient(base_url=f"http://127.0.0.1:{sim_port}", timeout=30)
    try:
        await asyncio.sleep(WARMUP_S)
        before, t0 = await _sim_counts(sim)
        cpu0 = _cpu(server_pid)
        await asyncio.sleep(poll_window_s)
        after, t1 = await _sim_counts(sim)
        cpu_pct = 100 * (_cpu(server_pid) - cpu0) / (t1 - t0)
        per_s = (after - before) / (t1 - t0)
        say(
            f"  poller alone: {per_s:.1f} national reads/s (~{per_s / 2:.1f} cases/s) "
            f"at a limit of {RATE_LIMIT_PER_S}/s, the sync process at {cpu_pct:.0f} % of a "
            f"core; due now {await _due(db):,}"
        )

        callback_url = f"http://127.0.0.1:{server_port}/webhooks/lapor"
        await sim.put("/_sim/faults", json={"callbacks": True, "callback_url": callback_url})
        targets = complaint_ids[-changes:]  # the least overdue: the poller is far from them
        sent: dict[int, float] = {}
        for complaint_id in targets:
            response = await sim.post(
                f"/_sim/complaints/{complaint_id}/status",
                json={"status_code": mapping.STATUS_DITINDAKLANJUTI},
            )
            response.raise_for_status()
            sent[complaint_id] = time.time()
            await asyncio.sleep(CHANGE_GAP_S)
        arrived = await _arrivals(db, sent)
        overdue = await _due(db)
        latencies = sorted(arrived[c] - sent[c] for c in sent)
        p95 = latencies[max(0, int(round(0.95 * len(latencies))) - 1)]
        say(
            f"  {len(latencies)} national changes by callback: p50 "
            f"{latencies[len(latencies) // 2]:.2f} s, p95 {p95:.2f} s, max {latencies[-1]:.2f} s;"
            f" re-reads still overdue: {overdue:,}"
        )
        if overdue == 0:
            raise RuntimeError("the backlog was drained before the callbacks were measured")
        return {"poll_reads_per_s": per_s, "callback_p95_s": p95, "overdue": overdue}
    finally:
        await sim.aclose()
        await db.dispose()


async def _arrivals(db: Database, sent: dict[int, float]) -> dict[int, float]:
    """When each change's ``lapor.status_changed`` was written (its ``occurred_at``)."""
    deadline = time.monotonic() + ARRIVAL_TIMEOUT_S
    while True:
        async with db.session() as session:
            rows = (
                await session.execute(
                    select(Case.lapor_complaint_id, func.min(Event.occurred_at))
                    .join(Event, Event.case_id == Case.id)
                    .where(
                        Event.type == "lapor.status_changed",
                        Case.lapor_complaint_id.in_(list(sent)),
                    )
                    .group_by(Case.lapor_complaint_id)
                )
            ).all()
        if len(rows) == len(sent):
            return {int(c): at.timestamp() for c, at in rows}
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(rows)} of {len(sent)} changes arrived")
        await asyncio.sleep(0.2)


def start_simulator(log: Path, url: str) -> tuple[object, int]:
    """The simulator for the setup: no latency, no rate limit, no callbacks — its complaint
    ids after every id already mirrored in the database at ``url`` (the sync step before
    this one used its own simulator's first ids)."""

    async def highest() -> int:
        db = Database(url)
        try:
            async with db.session() as session:
                return int(
                    await session.scalar(select(func.max(LaporMirror.lapor_complaint_id))) or 0
                )
        finally:
            await db.dispose()

    first = max(FIRST_COMPLAINT_ID, asyncio.run(highest()) + 1)
    state = Path(tempfile.mkdtemp(prefix="simpul-bench-sim-")) / "state.json"
    state.write_text(json.dumps({"next_complaint_id": first}), encoding="utf-8")
    proc, port = sync.start_simulator(log, state)
    faults = {"latency_ms": 0, "rate_limit_per_s": 0, "callbacks": False}
    httpx.put(f"http://127.0.0.1:{port}/_sim/faults", json=faults).raise_for_status()
    return proc, port


def slow_down(port: int) -> None:
    """The measured conditions: 100 ms per call, 50 calls a second."""
    faults = {"latency_ms": LATENCY_MS, "rate_limit_per_s": RATE_LIMIT_PER_S}
    httpx.put(f"http://127.0.0.1:{port}/_sim/faults", json=faults).raise_for_status()
