"""``make bench``: the speed figures of docs/performance.md, measured in one run on
PostgreSQL, ending with one ``figure <name> <value> <unit>`` line per figure.

Steps: a fresh ``simpul_bench`` database (migrated, seeded); echo and intake throughput
with wrk; intake latency at half that rate with an open-loop generator; one intake
worker's memory; the LAPOR! mirror against the simulator; then the database made afresh
and a million cases and clocks by COPY, the summary per OPD (cold, then cached), the SLA
sweep and the console's pages over them; the due-date calculator.

``SIMPUL_BENCH_DATABASE_URL`` names the server (default the local one); ``SIMPUL_BENCH_QUICK=1``
shrinks every step for a smoke run (its figures are not the published ones).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
import time
import traceback
from pathlib import Path

import asyncpg

from bench import bulk, db, load, openloop, procs, sync
from shared.calendar.bench import due_calc_per_second

QUICK = os.environ.get("SIMPUL_BENCH_QUICK", "") not in ("", "0", "false")
WRK_SECONDS = 5 if QUICK else 15
WARMUP_SECONDS = 2 if QUICK else 3
OPEN_LOOP_SECONDS = 5 if QUICK else 20
SYNC_BACKLOG = 200 if QUICK else 2000
INBOUND_BACKLOG = 1000 if QUICK else 5000
INBOUND_POLL_WINDOW_S = 8.0 if QUICK else 20.0
INBOUND_CHANGES = 10 if QUICK else 20
BULK_ROWS = 50_000 if QUICK else 1_000_000
CONSOLE_PAGES_PER_KIND = 60 if QUICK else 400
WORKERS = 2
LOG_DIR = Path(os.environ.get("SIMPUL_BENCH_LOG_DIR", "/tmp/simpul-bench"))
STEPS = ("sync", "inbound", "intake", "bulk", "calendar")
#: ``SIMPUL_BENCH_ONLY=bulk,intake`` runs only those steps (for working on one figure).
ONLY = [s for s in os.environ.get("SIMPUL_BENCH_ONLY", "").replace(" ", "").split(",") if s]

#: name -> (unit, goal text, check)
GOALS = {
    "echo_rps": ("req_per_s", "", None),
    "intake_rps": ("req_per_s", "", None),
    "intake_vs_echo": ("ratio", ">= 0.25", lambda v: v >= 0.25),
    "intake_p50_ms": ("ms", "", None),
    "intake_p99_ms": ("ms", "<= 50", lambda v: v <= 50),
    "intake_rss_mb": ("MB", "<= 200", lambda v: v <= 200),
    "sync_cases_per_s": ("cases_per_s", "", None),
    "sync_vs_limit": ("ratio", ">= 0.8", lambda v: v >= 0.8),
    "poll_reads_per_s": ("per_s", "", None),
    "poll_vs_limit": ("ratio", ">= 0.8", lambda v: v >= 0.8),
    "inbound_callback_p95_s": ("s", "<= 10", lambda v: v <= 10),
    "sla_sweep_1m_s": ("s", "<= 2", lambda v: v <= 2),
    "due_calc_per_s": ("per_s", "", None),
    "report_summary_1m_ms": ("ms", "<= 1000", lambda v: v <= 1000),
    "report_cold_1m_s": ("s", "<= 1.5", lambda v: v <= 1.5),
    "console_queue_p95_ms": ("ms", "<= 50", lambda v: v <= 50),
    "console_search_p95_ms": ("ms", "<= 150", lambda v: v <= 150),
    "console_case_p95_ms": ("ms", "<= 50", lambda v: v <= 50),
}


def say(msg: str) -> None:
    print(msg, flush=True)


class Run:
    def __init__(self) -> None:
        self.figures: dict[str, float] = {}
        self.notes: list[str] = []
        self.failed: list[str] = []
        self.t0 = time.perf_counter()

    def step(self, title: str) -> None:
        say(f"[{time.perf_counter() - self.t0:6.0f} s] {title}")

    def guarded(self, name: str, func) -> None:
        try:
            func()
        except Exception as exc:  # noqa: BLE001 - one broken step must not hide the others
            self.failed.append(f"{name}: {type(exc).__name__}: {exc}")
            traceback.print_exc()


def _server_env(info: dict[str, str]) -> dict[str, str]:
    return {
        "SIMPUL_DATABASE_URL": info["url"],
        "SIMPUL_RUN_WORKERS": "false",
        # Logs as in production (JSON lines), where the console renderer costs more.
        "SIMPUL_LOG_JSON": "true",
        # One bench API key sends everything; the per-key limit is not what is measured.
        "SIMPUL_RATE_LIMIT_PER_KEY_PER_MIN": "1000000000",
    }


def _throughput(
    run: Run,
    factory: str,
    info: dict[str, str],
    wrk: str | None,
    name: str,
    counter=None,
):
    port = procs.free_port()
    proc = procs.uvicorn(factory, port, WORKERS, _server_env(info), LOG_DIR / f"{name}.log")
    try:
        time.sleep(0.5)
        if wrk:
            load.run_wrk(wrk, port, info["api_key"], WARMUP_SECONDS, proc.pid)
        before = counter() if counter else 0
        if wrk:
            result = load.run_wrk(wrk, port, info["api_key"], WRK_SECONDS, proc.pid)
        else:
            result = load.run_python_closed_loop(port, info["api_key"], WRK_SECONDS, proc.pid)
        result.accepted = (counter() - before) if counter else result.requests - result.errors
        say(
            f"  {name}: {result.rps:,.0f} req/s ({result.requests:,} requests, "
            f"{result.errors} non-2xx) via {result.generator}; generator CPU "
            f"{result.generator_cpu_pct:.0f} % of a core, server workers "
            f"{result.server_cpu_pct:.0f} % (of {WORKERS * 100} %); wrk latency {result.latency}"
        )
        return proc, port, result
    except BaseException:
        procs.stop(proc)
        raise


def http_figures(run: Run, info: dict[str, str]) -> None:
    wrk = load.ensure_wrk(say)
    if not wrk:
        run.notes.append("wrk unavailable: throughput from the Python closed-loop fallback")
    run.step("echo baseline (wrk, 2 uvicorn workers)")
    proc, _, echo = _throughput(run, "bench.echo:create_app", info, wrk, "echo")
    procs.stop(proc)
    run.figures["echo_rps"] = echo.rps
    run.notes.append(
        f"echo: wrk used {echo.generator_cpu_pct:.0f} % of a core, the server "
        f"{echo.server_cpu_pct:.0f} % of {WORKERS * 100} %"
    )

    run.step("intake POST /api/v1/complaints (wrk, 2 uvicorn workers, PostgreSQL)")
    proc, port, intake = _throughput(
        run, "services.intake.app:create_app", info, wrk, "intake",
        counter=lambda: asyncio.run(_count_cases()),
    )  # fmt: skip
    try:
        # Accepted and durable: the new rows in PostgreSQL over the measured run.
        say(f"  cases in PostgreSQL: +{intake.accepted:,} for {intake.requests:,} requests")
        # Requests wrk saw answered 2xx, capped by the rows that exist (the first requests of
        # the window may still be warm-up ones finishing).
        run.figures["intake_rps"] = (
            min(intake.accepted, intake.requests - intake.errors) / intake.seconds
        )
        run.figures["intake_vs_echo"] = run.figures["intake_rps"] / max(echo.rps, 1e-9)
        run.notes.append(
            f"intake: wrk used {intake.generator_cpu_pct:.0f} % of a core, the server "
            f"{intake.server_cpu_pct:.0f} % of {WORKERS * 100} %"
        )
        rate = max(run.figures["intake_rps"] / 2, 1.0)
        settled = asyncio.run(_settle_writes())
        say(f"  closed-loop writes flushed before the latency run: {settled}")
        run.step(f"intake latency, open loop at {rate:,.1f} req/s for {OPEN_LOOP_SECONDS} s")
        ol = openloop.run_open_loop(port, info["api_key"], rate, OPEN_LOOP_SECONDS)
        say(
            f"  sent {ol.sent:,} ({ol.errors} errors): p50 {ol.p50_ms:.1f} ms, p99 "
            f"{ol.p99_ms:.1f} ms, max {ol.max_ms:.1f} ms; generator CPU "
            f"{ol.generator_cpu_pct:.0f} % of a core, worst send lag {ol.max_send_lag_ms:.1f} ms"
        )
        run.figures["intake_p50_ms"] = ol.p50_ms
        run.figures["intake_p99_ms"] = ol.p99_ms
        run.notes.append(
            f"open loop: {ol.generator_cpu_pct:.0f} % of a core, worst send lag "
            f"{ol.max_send_lag_ms:.1f} ms, {ol.errors} errors"
        )
        workers = procs.children(proc.pid)
        rss = [procs.rss_mb(pid) for pid in workers]
        say("  worker RSS: " + ", ".join(f"{r:.0f} MB" for r in rss))
        run.figures["intake_rss_mb"] = max(rss) if rss else float("nan")
    finally:
        procs.stop(proc)


async def _settle_writes() -> str:
    """Flush what the closed-loop run wrote (a CHECKPOINT, then the OS's write-back), so its
    write-back does not land in the latency run: on this box a burst of data pages being
    written out stalled commits (every answer slower than 100 ms fell in one 0.7 s window)."""
    t0 = time.perf_counter()
    conn = await db.connect()
    try:
        await conn.execute("CHECKPOINT")
        done = "CHECKPOINT"
    except asyncpg.PostgresError as exc:  # not allowed for this user: the OS flush only
        done = f"no CHECKPOINT ({exc.sqlstate})"
    finally:
        await conn.close()
    os.sync()
    return f"{done} and sync in {time.perf_counter() - t0:.1f} s"


async def _count_cases() -> int:
    conn = await db.connect()
    try:
        return await conn.fetchval("SELECT count(*) FROM cases")
    finally:
        await conn.close()


def sync_figures(run: Run, info: dict[str, str]) -> None:
    run.step(
        f"sync: {SYNC_BACKLOG:,}-case backlog into the simulator "
        f"({sync.LATENCY_MS} ms, {sync.RATE_LIMIT_PER_S}/s)"
    )
    proc, port = sync.start_simulator(LOG_DIR / "simulator.log")
    try:
        ids = asyncio.run(sync.make_backlog(info["url"], SYNC_BACKLOG, say))
        result = asyncio.run(sync.mirror(info["url"], port, ids, say))
    finally:
        procs.stop(proc)
    say(f"  {result['cases']:,} cases mirrored in {result['seconds']:.1f} s")
    run.figures["sync_cases_per_s"] = result["cases_per_s"]
    run.figures["sync_vs_limit"] = result["cases_per_s"] / sync.RATE_LIMIT_PER_S


def inbound_figures(run: Run, info: dict[str, str]) -> None:
    from bench import inbound

    run.step(
        f"inbound: {INBOUND_BACKLOG:,} overdue re-reads, then {INBOUND_CHANGES} national changes "
        f"by callback ({inbound.LATENCY_MS} ms, {inbound.RATE_LIMIT_PER_S}/s)"
    )
    sim, sim_port = inbound.start_simulator(LOG_DIR / "simulator-inbound.log", info["url"])
    server = None
    try:
        ids = asyncio.run(
            inbound.make_overdue_backlog(
                info["url"], f"http://127.0.0.1:{sim_port}", INBOUND_BACKLOG, say
            )
        )
        inbound.slow_down(sim_port)
        server, port = inbound.start_sync_server(info["url"], sim_port, LOG_DIR / "sync.log")
        result = asyncio.run(
            inbound.measure(
                info["url"], sim_port, port, server.pid, ids,
                poll_window_s=INBOUND_POLL_WINDOW_S, changes=INBOUND_CHANGES, say=say,
            )
        )  # fmt: skip
    finally:
        if server is not None:
            procs.stop(server)
        procs.stop(sim)
    run.figures["poll_reads_per_s"] = result["poll_reads_per_s"]
    run.figures["poll_vs_limit"] = result["poll_reads_per_s"] / inbound.RATE_LIMIT_PER_S
    run.figures["inbound_callback_p95_s"] = result["callback_p95_s"]


def fresh_database(run: Run, info: dict[str, str]) -> dict[str, str]:
    """The million cases' own database: the steps before leave tens of thousands of
    complaints received in the last minutes (intake's throughput runs, one text, no clock),
    which no live pemda has and which the console's newest-first search and queue would
    walk through. A step run alone starts from the fresh database already."""
    if ONLY == ["bulk"] or not any(s in (ONLY or STEPS) for s in ("sync", "inbound", "intake")):
        return info
    run.step(f"database {db.BENCH_DB} again, for the million cases alone")
    asyncio.run(db.recreate())
    return db.migrate_and_seed()


def bulk_figures(run: Run, info: dict[str, str]) -> None:
    from bench import data

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    run.step(f"bulk load: {BULK_ROWS:,} cases + running clocks (COPY)")

    async def load_rows() -> dict[str, float]:
        conn = await db.connect()
        try:
            return await data.load_cases_and_clocks(conn, BULK_ROWS, now, say)
        finally:
            await conn.close()

    timings = asyncio.run(load_rows())
    say("  " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))

    def report() -> None:
        run.step("report: summary grouped by OPD (1 warm-up, median of 3)")
        r = asyncio.run(bulk.time_summary(info["url"]))
        say(f"  {r['cases']:,} cases: {r['ms']:.0f} ms (first run {r['first_ms']:.0f} ms)")
        run.figures["report_summary_1m_ms"] = r["ms"]
        run.figures["report_cold_1m_s"] = r["first_ms"] / 1000

    def sweep() -> None:
        run.step("SLA: one sweep among the running clocks")
        r = bulk.time_sweep(info["url"], now)
        r = asyncio.run(r)
        say(
            f"  {r['s']:.2f} s: warned {r['warned']:,}, breached {r['breached']:,}, "
            f"archived {r['archived']}, closed {r['closed']}"
        )
        run.figures["sla_sweep_1m_s"] = r["s"]

    def console_pages() -> None:
        from bench import console

        per_kind = CONSOLE_PAGES_PER_KIND
        run.step(
            f"console: queue, search and case pages ({per_kind} each, {console.OFFICERS} "
            f"officers reading each ~{console.THINK_S:.2f} s, intake at {console.INTAKE_RATE:.0f}/s alongside)"
        )
        p95, failures = console.measure(info, _server_env(info), per_kind, LOG_DIR, say)
        if failures:
            run.failed.append(f"console: {len(failures)} pages not answered 200: {failures[:3]}")
        run.figures["console_queue_p95_ms"] = p95["queue"]
        run.figures["console_search_p95_ms"] = p95["search"]
        run.figures["console_case_p95_ms"] = p95["case"]

    run.guarded("report_summary_1m_ms", report)
    run.guarded("sla_sweep_1m_s", sweep)
    run.guarded("console", console_pages)


def calendar_figure(run: Run) -> None:
    run.step("due-date calculator")
    run.figures["due_calc_per_s"] = due_calc_per_second(1.0)


def print_results(run: Run) -> None:
    say("")
    say(f"{'figure':<22}{'value':>14}  {'unit':<12}{'goal':<10}ok")
    say("-" * 64)
    for name, (unit, goal, check) in GOALS.items():
        if name not in run.figures:
            say(f"{name:<22}{'—':>14}  {unit:<12}{goal:<10}not measured")
            continue
        value = run.figures[name]
        text = (
            f"{value:,.3f}"
            if abs(value) < 10
            else f"{value:,.0f}"
            if value >= 1000
            else f"{value:,.1f}"
        )
        verdict = "" if check is None else ("yes" if check(value) else "NO")
        say(f"{name:<22}{text:>14}  {unit:<12}{goal:<10}{verdict}")
    say("")
    for note in run.notes:
        say(f"note: {note}")
    for failure in run.failed:
        say(f"FAILED {failure}")
    say(f"total {time.perf_counter() - run.t0:.0f} s")
    for name, (unit, _, _) in GOALS.items():
        if name in run.figures:
            value = run.figures[name]
            say(
                f"figure {name} {value:.4g} {unit}"
                if value < 10
                else f"figure {name} {value:.1f} {unit}"
            )


def _terminate(signum, _frame) -> None:
    raise SystemExit(128 + signum)


def main() -> int:
    from shared.observability import configure_logging

    configure_logging("WARNING")
    signal.signal(signal.SIGTERM, _terminate)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    run = Run()
    unknown = sorted(set(ONLY) - set(STEPS))
    if unknown:
        say(
            f"SIMPUL_BENCH_ONLY: unknown step(s) {', '.join(unknown)}; steps are {', '.join(STEPS)}"
        )
        return 2
    load1, _, _ = os.getloadavg()
    say(
        f"simpul bench{' (QUICK)' if QUICK else ''}: {os.cpu_count()} CPUs, load average {load1:.2f}"
    )
    if load1 > 0.5:
        run.notes.append(f"load average {load1:.2f} at start: other work shares the box")
    run.step(f"database {db.BENCH_DB} on {db.server_url().rsplit('@', 1)[-1]}")
    try:
        asyncio.run(db.recreate())
    except db.NoDatabase as exc:
        say(
            f"no PostgreSQL server at {db.server_url()} ({exc}).\n"
            "Set SIMPUL_BENCH_DATABASE_URL=postgresql://user:pass@host:port/postgres "
            "(a server where this user may create databases)."
        )
        return 2
    info = db.migrate_and_seed()
    try:
        # Sync first: later cases (intake's) would join its backlog.
        steps = {
            "sync": lambda: sync_figures(run, info),
            "inbound": lambda: inbound_figures(run, info),
            "intake": lambda: http_figures(run, info),
            "bulk": lambda: bulk_figures(run, fresh_database(run, info)),
            "calendar": lambda: calendar_figure(run),
        }
        for name in STEPS:
            if not ONLY or name in ONLY:
                run.guarded(name, steps[name])
    finally:
        procs.stop_all()
    print_results(run)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
