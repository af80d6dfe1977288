"""The console's figures on the million cases: Admin Instansi's first queue page, the search
box (two Indonesian words, or a reporter's phone), and a case page with 30 events.

Server-side: each request's time inside the app (``bench/console_app.py``'s timer), over
loopback HTTP against the console service (uvicorn, two workers, as deployed), p95 per page
kind. A light concurrent load runs all along: :data:`OFFICERS` officers at once, each
opening a page, reading it for :data:`THINK_S` (on average) and opening the next — about
ten pages a second in all, several times what forty pejabat penghubung busy at once ask
for — while complaints arrive on intake at :data:`INTAKE_RATE` per second (its own
server, the open-loop generator). A second, shorter pass without the pause (each officer's
next page as soon as the last one arrived: the servers saturated) is printed for
information, not as the figure. The first
:data:`WARMUP` requests of each kind are left out (each worker's first page compiles its
templates and warms its caches).

The officer is a real account with a fully logged-in console session (as
``tests/conftest.py``'s ``staff_cookie`` makes one); the case pages are :data:`CASE_PAGES`
cases given 30 events each (the lifecycle, a conversation with the reporter, notes), opened
in turn — each page view by Admin Instansi appends its own audit event (the reporter's
identity was shown), so one case opened a thousand times would measure that instead.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import random
import secrets
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import httpx

from bench import db, openloop, procs

OFFICERS = 3
#: How long an officer reads a page before the next, on average (0.5x to 1.5x of it).
THINK_S = 0.25
#: The saturated pass (no pause) opens this share of the paced pass's pages.
SATURATED_SHARE = 4
INTAKE_RATE = 20.0
WARMUP = 10
CASE_PAGES = 20
#: A page not answered in this long counts as a failure (and is not timed).
TIMEOUT_S = 60
EVENTS_PER_CASE = 30
#: Two words each, as officers type them (stemmed: "rusak" also finds "kerusakan").
SEARCHES = (
    "jalan rusak", "lampu mati", "sampah menumpuk", "air mengalir", "pungutan liar",
    "banjir hujan", "pohon tumbang", "izin usaha", "parkir liar", "jembatan retak",
)  # fmt: skip
#: Of the searches, every this-many-th is a reporter's phone number instead of words.
PHONE_EVERY = 3
Say = Callable[[str], None]

#: The 29 events after ``case.received`` of a case page: verified, disposed, then a
#: conversation (reporter messages, interim responses, internal notes), and the final answer.
_LIFE = ("case.verified", "case.disposed", "case.assigned")
_TALK = ("case.message_received", "case.responded", "case.note_added")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return openloop.percentile(ordered, q)


async def officer_session(url: str) -> str:
    """An Admin Instansi account and a fully logged-in session; the cookie's value."""
    from shared.config import Settings
    from shared.db import Database
    from shared.identity import sessions, users
    from shared.identity.audit import Origin

    database = Database(url)
    try:
        async with database.session() as session:
            user, _ = await users.create_user(
                session,
                username=f"bench.admin.{secrets.token_hex(3)}",
                full_name="Admin Bench",
                role="admin_instansi",
            )
            user.password_temporary = False
            _row, raw = await sessions.open_session(
                session,
                user,
                stage=sessions.FULL,
                origin=Origin(address="127.0.0.1", user_agent="simpul-bench"),
                settings=Settings(database_url=url),
            )
        return raw
    finally:
        await database.dispose()


EVENT_COLUMNS = (
    "case_id", "subject_type", "type", "actor_type", "actor_name", "actor_role", "data",
    "occurred_at",
)  # fmt: skip
MESSAGE_COLUMNS = (
    "case_id", "kind", "body", "author_type", "author_name", "final", "created_at",
)  # fmt: skip
COPY_COLUMNS = ("case_id", "opd_code", "created_at")
_BODIES = {
    "case.message_received": ("reporter", "Sampai hari ini belum ada perbaikan, mohon dicek."),
    "case.responded": ("reply", "Terima kasih, petugas kami akan meninjau lokasi minggu ini."),
    "case.note_added": ("internal_note", "Koordinasi dengan bidang jalan dan jembatan."),
}


def case_page_rows(cases: list, other_opd: str | None, now: dt.datetime) -> tuple[list, ...]:
    """Rows of :data:`EVENT_COLUMNS`, :data:`MESSAGE_COLUMNS` and :data:`COPY_COLUMNS` that
    give each of ``cases`` (id, tracking ID, OPD, received) its 30 events, its thread and a
    copy to a second OPD."""
    events, messages, copies = [], [], []
    for case_id, _tracking, opd, received in cases:
        types = list(_LIFE) + [_TALK[i % 3] for i in range(EVENTS_PER_CASE - 1 - len(_LIFE))]
        for n, kind in enumerate(types, start=1):
            at = min(received + dt.timedelta(hours=n * 3), now)
            actor = ("reporter", None) if kind == "case.message_received" else ("ops", "Petugas")
            payload = {"opd": opd} if kind == "case.disposed" else {}
            events.append(
                (case_id, "case", kind, *actor, "admin_instansi", json.dumps(payload), at)
            )
            if kind in _BODIES:
                msg_kind, body = _BODIES[kind]
                messages.append((case_id, msg_kind, body, *actor, False, at))
        if other_opd and other_opd != opd:
            copies.append((case_id, other_opd, received))
    return events, messages, copies


async def _case_pages(conn, now: dt.datetime) -> list[str]:
    """:data:`CASE_PAGES` in-progress cases given 30 events each; their tracking IDs."""
    rows = await conn.fetch(
        "SELECT id, tracking_id, opd_code, received_at FROM cases WHERE status = 'in_progress' "
        "AND NOT EXISTS (SELECT 1 FROM case_copies k WHERE k.case_id = cases.id) "
        "ORDER BY id LIMIT $1",
        CASE_PAGES,
    )
    other = await conn.fetchval("SELECT code FROM opds ORDER BY code LIMIT 1")
    events, messages, copies = case_page_rows([tuple(r) for r in rows], other, now)
    for table, columns, records in (
        ("events", EVENT_COLUMNS, events),
        ("case_messages", MESSAGE_COLUMNS, messages),
        ("case_copies", COPY_COLUMNS, copies),
    ):
        await conn.copy_records_to_table(table, records=records, columns=columns)
    return [r["tracking_id"] for r in rows]


async def prepare(say: Say) -> dict:
    """The officer's session, the case pages, the phones to search for."""
    conn = await db.connect()
    try:
        now = dt.datetime.now(dt.UTC)
        cookie = await officer_session(db.bench_url())
        tracking_ids = await _case_pages(conn, now)
        phones = [
            r[0]
            for r in await conn.fetch(
                "SELECT phone FROM reporters WHERE case_id IN "
                "(SELECT id FROM cases ORDER BY id DESC LIMIT 1000) ORDER BY case_id LIMIT 10"
            )
        ]
        queue = await conn.fetchval(
            "SELECT count(*) FROM cases "
            "WHERE status IN ('received', 'awaiting_info', 'returned', 'verified')"
        )
        await conn.execute("ANALYZE events; ANALYZE case_messages; ANALYZE case_copies")
    finally:
        await conn.close()
    say(
        f"  queue holds {queue:,} cases; {len(tracking_ids)} case pages of {EVENTS_PER_CASE} events"
    )
    return {"cookie": cookie, "cases": tracking_ids, "phones": phones}


def _paths(prepared: dict) -> dict[str, itertools.cycle]:
    searches = []
    phones = itertools.cycle(prepared["phones"])
    for i, words in enumerate(itertools.islice(itertools.cycle(SEARCHES), 60)):
        searches.append(next(phones) if i % PHONE_EVERY == PHONE_EVERY - 1 else words)
    return {
        "queue": itertools.cycle(["/konsol/antrian"]),
        "search": itertools.cycle([f"/konsol/cari?q={quote(q)}" for q in searches]),
        "case": itertools.cycle([f"/konsol/kasus/{t}" for t in prepared["cases"]]),
    }


async def _officers(port: int, prepared: dict, per_kind: int, think_s: float) -> list[str]:
    """:data:`OFFICERS` clients at once, each visiting queue, search and case pages in a
    shuffled order, pausing about ``think_s`` between them; returns the failures seen."""
    paths = _paths(prepared)
    plan = [kind for kind in ("queue", "search", "case") for _ in range(per_kind + WARMUP)]
    random.Random(7).shuffle(plan)
    queue: asyncio.Queue[str] = asyncio.Queue()
    for kind in plan:
        queue.put_nowait(next(paths[kind]))
    failures: list[str] = []
    pauses = random.Random(11)

    async def officer() -> None:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            cookies={"simpul_sesi": prepared["cookie"]},
            timeout=TIMEOUT_S,
        ) as client:
            while not queue.empty():
                path = queue.get_nowait()
                try:
                    response = await client.get(path)
                except httpx.TimeoutException:
                    failures.append(f"{path}: no answer in {TIMEOUT_S} s")
                    continue
                if response.status_code != 200:
                    failures.append(f"{path}: {response.status_code}")
                if think_s:
                    await asyncio.sleep(think_s * pauses.uniform(0.5, 1.5))

    await asyncio.gather(*(officer() for _ in range(OFFICERS)))
    return failures


def _timings(out_dir: Path) -> dict[str, list[float]]:
    """Per kind, the in-app milliseconds of every 200 answer, each worker's first
    :data:`WARMUP` of a kind dropped."""
    by_kind: dict[str, list[float]] = {}
    for path in out_dir.glob("timings-*.txt"):
        mine: dict[str, list[float]] = {}
        for line in path.read_text().splitlines():
            kind, status, ms = line.split()
            if status == "200":
                mine.setdefault(kind, []).append(float(ms))
        for kind, values in mine.items():
            by_kind.setdefault(kind, []).extend(values[WARMUP:])
    return by_kind


def _pass(
    info: dict[str, str], env: dict[str, str], prepared: dict, per_kind: int, think_s: float,
    log_dir: Path,
) -> tuple[dict[str, list[float]], list[str], float, dict]:  # fmt: skip
    """One pass: fresh console and intake servers, the officers, the intake alongside;
    the in-app times per kind, the failures, the seconds it took, the intake's tally."""
    out_dir = Path(tempfile.mkdtemp(prefix="simpul-bench-console-"))
    console_port, intake_port = procs.free_port(), procs.free_port()
    console = procs.uvicorn(
        "bench.console_app:create_app", console_port, 2,
        {**env, "SIMPUL_BENCH_TIMINGS_DIR": str(out_dir), "SIMPUL_PUBLIC_BASE_URL":
         f"http://127.0.0.1:{console_port}"},
        log_dir / "console.log",
    )  # fmt: skip
    intake = procs.uvicorn(
        "services.intake.app:create_app", intake_port, 1, env, log_dir / "intake-light.log"
    )
    background: dict = {}
    try:

        def arrivals() -> None:  # the intake load, until the officers are done
            sent = 0
            while not background.get("stop"):
                result = openloop.run_open_loop(intake_port, info["api_key"], INTAKE_RATE, 5.0)
                sent += result.sent
                background["errors"] = background.get("errors", 0) + result.errors
            background["sent"] = sent

        thread = threading.Thread(target=arrivals, daemon=True)
        thread.start()
        time.sleep(2.0)
        t0 = time.perf_counter()
        failures = asyncio.run(_officers(console_port, prepared, per_kind, think_s))
        elapsed = time.perf_counter() - t0
        background["stop"] = True
        thread.join(30)
    finally:
        procs.stop(console)
        procs.stop(intake)
    return _timings(out_dir), failures, elapsed, background


def measure(
    info: dict[str, str], env: dict[str, str], per_kind: int, log_dir: Path, say: Say
) -> tuple[dict[str, float], list[str]]:
    """p95 (ms) per page kind under the light load, and the pages not answered 200 (not
    timed); prints the spread, then the saturated pass's."""
    prepared = asyncio.run(prepare(say))
    figures: dict[str, float] = {}
    all_failures: list[str] = []
    passes = (("paced", THINK_S, per_kind), ("saturated", 0.0, per_kind // SATURATED_SHARE))
    for name, think_s, pages in passes:
        timings, failures, elapsed, background = _pass(info, env, prepared, pages, think_s, log_dir)
        all_failures += failures
        say(f"  {name} ({'no pause' if not think_s else f'~{think_s:.2f} s between pages'}):")
        for kind in ("queue", "search", "case"):
            values = timings.get(kind, [])
            if not values:
                raise RuntimeError(f"no timed {kind} page (failures: {failures[:3]})")
            p95 = percentile(values, 0.95)
            if name == "paced":
                figures[kind] = p95
            say(
                f"    {kind}: {len(values)} pages, p50 {statistics.median(values):.1f} ms, "
                f"p95 {p95:.1f} ms, max {max(values):.1f} ms"
            )
        say(
            f"    {OFFICERS} officers, {elapsed:.1f} s; intake alongside: "
            f"{background.get('sent', 0):,} complaints ({background.get('errors', 0)} errors)"
        )
        if failures:
            say(f"    {len(failures)} pages not answered 200: {failures[:3]}")
    return figures, all_failures
