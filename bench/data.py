"""Seeded bulk data: a million cases with one running clock each, loaded by COPY.

Reproducible (``random.Random(SEED)``, times relative to a fixed ``now``); a small, known
fraction of the clocks is due (a warning or a breach) so the sweep has real work among
many rows it must not touch. What the console reads is there too, at a pemda's scale:
Indonesian complaint text (the full-text index has real words to index), a reporter with
a phone number for every case, its ``case.received`` event, and a verification queue
(:data:`QUEUE_SHARE` of the cases, received in the last days, each with its running
verification clock instead of a resolution clock).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable

import asyncpg

SEED = 20261123
CHUNK = 100_000
#: Fraction of clocks whose warning moment has passed (deadline still ahead), and whose
#: deadline has passed: 0.1 % each, 1,000 + 1,000 of a million.
WARN_DUE = 0.001
BREACH_DUE = 0.001
#: Cases still in Admin Instansi's queue (received, awaiting information, returned,
#: verified): 0.5 %, 5,000 of a million — a few days of a large pemda's intake.
QUEUE_SHARE = 0.005
#: The queue's cases arrived over its last days.
QUEUE_DAYS = 6
QUEUE_STATUSES = (
    ("received", 0.5), ("awaiting_info", 0.15), ("returned", 0.1), ("verified", 0.25),
)  # fmt: skip

CASE_COLUMNS = (
    "id", "tracking_id", "channel", "kind", "status", "sla_class", "category_code", "opd_code",
    "anonymous", "confidential", "title", "description", "kecamatan_code", "received_at",
    "disposed_at", "first_response_at", "resolved_at", "status_changed_at", "rating",
    "created_at", "updated_at", "version", "due_at",
)  # fmt: skip
CLOCK_COLUMNS = (
    "case_id", "kind", "generation", "opd_code", "sla_class", "working_days", "warning_days",
    "used_working_days", "started_at", "deadline_at", "warning_at", "state", "created_at",
    "updated_at",
)  # fmt: skip

REPORTER_COLUMNS = ("case_id", "phone", "channel", "channel_address")
EVENT_COLUMNS = ("case_id", "subject_type", "type", "actor_type", "data", "occurred_at")
#: Words of complaints as citizens write them: a subject, a place, how long and how bad.
SUBJECTS = (
    "jalan rusak", "jalan berlubang", "lampu jalan mati", "sampah menumpuk",
    "saluran air tersumbat", "banjir setiap hujan", "air PDAM tidak mengalir",
    "pungutan liar", "pelayanan KTP lambat", "izin usaha dipersulit", "antrean puskesmas",
    "guru sering tidak hadir", "parkir liar", "pohon tumbang", "jembatan retak",
    "listrik sering padam", "bau limbah pabrik", "pedagang kaki lima", "angkutan umum ugal-ugalan",
    "bantuan sosial tidak tepat sasaran", "trotoar rusak", "drainase meluap", "anjing liar",
    "kebisingan hiburan malam", "sinyal telepon hilang",
)  # fmt: skip
PLACES = (
    "di Jalan Gatot Subroto", "dekat pasar", "depan sekolah dasar", "di banjar kami",
    "di perempatan lampu merah", "dekat kantor desa", "di gang belakang masjid",
    "di sekitar terminal", "dekat pura desa", "di perumahan kami", "di depan puskesmas",
    "di jalan menuju sawah",
)  # fmt: skip
SINCE = (
    "sudah dua minggu", "sejak bulan lalu", "sudah tiga hari", "bertahun-tahun",
    "setiap malam", "sejak musim hujan",
)  # fmt: skip
PLEAS = (
    "Mohon segera ditindaklanjuti.", "Warga sangat resah.", "Sudah pernah dilaporkan ke desa.",
    "Membahayakan pengendara motor.", "Anak-anak sekolah terganggu.", "Mohon perhatian pemda.",
)  # fmt: skip
CHANNELS = ("web", "api", "whatsapp", "sms", "email", "open311", "lapor")
CLASSES = (("informasi", 5, 3), ("non_lapangan", 14, 8), ("lapangan", 60, 35))
STATUSES = (
    ("disposed", 0.25), ("in_progress", 0.35), ("resolved", 0.25), ("closed", 0.15),
)  # fmt: skip
Progress = Callable[[str], None]
#: The report cache's stale-mark trigger on new cases (migration 0009). It only invalidates
#: cached report units, and a fresh bench database has none, so the load skips it; the cache is
#: filled as the application fills it after a deploy: by the first report (the warm-up run).
#: The clocks' ``due_at`` triggers (migration 0019) would update each case once more; the load
#: writes ``due_at`` with the case itself instead.
_SKIPPED_TRIGGERS = (
    ("cases", "cases_report_stale_insert"),
    ("sla_clocks", "sla_clocks_due_insert"),
)
#: Indexes of the four tables that back no constraint (dropped and rebuilt around the load).
_PLAIN_INDEXES = """
SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS ddl
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid IN (
    'cases'::regclass, 'sla_clocks'::regclass, 'reporters'::regclass, 'events'::regclass
)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
"""


async def reference_codes(conn: asyncpg.Connection) -> tuple[list[str], list[str], list[str]]:
    opds = [r[0] for r in await conn.fetch("SELECT code FROM opds ORDER BY code")]
    cats = [r[0] for r in await conn.fetch("SELECT code FROM categories ORDER BY code")]
    kecs = [r[0] for r in await conn.fetch("SELECT code FROM kecamatan ORDER BY code")]
    return opds, cats, kecs


def tracking_id(i: int) -> str:
    """A valid tracking ID (``shared.tracking``'s alphabet), one per case number."""
    from shared.tracking import ALPHABET, LENGTH

    symbols = []
    for _ in range(LENGTH):
        i, digit = divmod(i, len(ALPHABET))
        symbols.append(ALPHABET[digit])
    return "".join(reversed(symbols))


def _text(rng: random.Random) -> tuple[str, str]:
    subject, place = SUBJECTS[rng.randrange(len(SUBJECTS))], PLACES[rng.randrange(len(PLACES))]
    since, plea = SINCE[rng.randrange(len(SINCE))], PLEAS[rng.randrange(len(PLEAS))]
    title = f"{subject[0].upper()}{subject[1:]} {place}"
    return title, f"Ada {subject} {place}, {since}. {plea}"


def _queue_case(
    rng: random.Random, i: int, received: dt.datetime, now: dt.datetime, refs: tuple,
    statuses: tuple,
) -> tuple[tuple, tuple]:  # fmt: skip
    """A case in Admin Instansi's queue: received in the last days, no OPD yet (a returned
    or verified one may name the suggested OPD), its verification clock running."""
    opds, cats, kecs = refs
    day = dt.timedelta(days=1)
    status = rng.choices(*statuses)[0]
    title, description = _text(rng)
    case = (
        i, tracking_id(i), rng.choice(CHANNELS), "pengaduan", status, None,
        cats[rng.randrange(len(cats))] if status in ("returned", "verified") else None, None,
        False, False, title, description, kecs[rng.randrange(len(kecs))], received,
        None, None, None, received, None, received, received, 1,
    )  # fmt: skip
    deadline = now + day * rng.uniform(1, 4)  # not due: the sweep's work stays as it was
    case += (deadline,)  # due_at: the open clock's deadline
    clock = (
        i, "verification", 1, None, None, 3, 1, 0, received, deadline, deadline - day * 0.5,
        "running", received, received,
    )  # fmt: skip
    return case, clock


def _case_rows(
    rng: random.Random,
    start_id: int,
    n: int,
    now: dt.datetime,
    refs: tuple,
    year_start: dt.datetime,
    first_id: int,
    total: int,
) -> tuple[list[tuple], list[tuple], list[tuple], list[tuple]]:
    """Rows ``start_id .. start_id + n - 1`` of ``total`` cases from ``first_id``: ids in
    the order of arrival, as a live database has them (the year's cases first, spread
    evenly; the queue's last, received in its last days)."""
    opds, cats, kecs = refs
    queued = round(total * QUEUE_SHARE)
    regular = total - queued
    span = (now - year_start).total_seconds()
    queue_start = now - dt.timedelta(days=QUEUE_DAYS)
    statuses = [s for s, _ in STATUSES]
    weights = [w for _, w in STATUSES]
    queue = ([s for s, _ in QUEUE_STATUSES], [w for _, w in QUEUE_STATUSES])
    cases, clocks, reporters, events = [], [], [], []
    day = dt.timedelta(days=1)
    for i in range(start_id, start_id + n):
        position = i - first_id
        if position >= regular:
            slot = (position - regular + rng.random()) / queued
            received = queue_start + dt.timedelta(days=QUEUE_DAYS * slot)
            case, clock = _queue_case(rng, i, received, now, refs, queue)
            cases.append(case)
            clocks.append(clock)
            reporters.append((i, f"+628{rng.randrange(10**9, 10**10)}", case[2], None))
            events.append((i, "case", "case.received", "client_app", "{}", case[13]))
            continue
        received = year_start + dt.timedelta(seconds=span * (position + rng.random()) / regular)
        status = rng.choices(statuses, weights)[0]
        cls, wd, warn = CLASSES[rng.randrange(3)]
        opd = opds[rng.randrange(len(opds))]
        disposed = received + day * rng.uniform(0.1, 3)
        responded = disposed + day * rng.uniform(0.5, 20) if status != "disposed" else None
        resolved = responded if status in ("resolved", "closed") else None
        changed = resolved or responded or disposed
        rating = rng.randint(1, 5) if status == "closed" and rng.random() < 0.5 else None
        title, description = _text(rng)
        channel = rng.choice(CHANNELS)
        case_fields = [
            i, tracking_id(i), channel, "pengaduan", status, cls,
            cats[rng.randrange(len(cats))], opd, False, False, title,
            description, kecs[rng.randrange(len(kecs))], received,
            disposed, responded, resolved, changed, rating, received, changed, 1,
        ]  # fmt: skip
        reporters.append((i, f"+628{rng.randrange(10**9, 10**10)}", channel, None))
        events.append((i, "case", "case.received", "client_app", "{}", received))
        # One running resolution clock per case; most are due far ahead of now.
        r = rng.random()
        if r < BREACH_DUE:
            deadline = now - day * rng.uniform(0.01, 5)
        elif r < BREACH_DUE + WARN_DUE:
            deadline = now + day * rng.uniform(0.5, 5)
        else:
            deadline = now + day * rng.uniform(40, 120)
        warning = (
            deadline - day * (warn + 1) if r < BREACH_DUE + WARN_DUE else deadline - day * warn
        )
        if BREACH_DUE <= r < BREACH_DUE + WARN_DUE:
            warning = now - day * rng.uniform(0.01, 1)
        clocks.append(
            (
                i, "resolution", 1, opd, cls, wd, warn, 0, disposed, deadline, warning,
                "running", disposed, disposed,
            )
        )  # fmt: skip
        cases.append((*case_fields, deadline))  # due_at: the open clock's deadline
    return cases, clocks, reporters, events


async def load_cases_and_clocks(
    conn: asyncpg.Connection, n: int, now: dt.datetime, progress: Progress
) -> dict[str, float]:
    """COPY ``n`` cases, their running clocks, reporters and first events; returns timings (s)."""
    refs = await reference_codes(conn)
    rng = random.Random(SEED)
    year_start = dt.datetime(now.year, 1, 1, tzinfo=dt.UTC)
    # Secondary indexes are built once after the load (as a restore does), not row by row.
    indexes = await conn.fetch(_PLAIN_INDEXES)
    for row in indexes:
        await conn.execute(f'DROP INDEX "{row["name"]}"')
    base = await conn.fetchval("SELECT coalesce(max(id), 0) FROM cases")
    gen_s = copy_s = 0.0
    for table, trigger in _SKIPPED_TRIGGERS:
        await conn.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{trigger}"')
    try:
        for start in range(1, n + 1, CHUNK):
            size = min(CHUNK, n + 1 - start)
            t0 = time.perf_counter()
            cases, clocks, reporters, events = _case_rows(
                rng, base + start, size, now, refs, year_start, base + 1, n
            )
            t1 = time.perf_counter()
            await conn.copy_records_to_table("cases", records=cases, columns=CASE_COLUMNS)
            await conn.copy_records_to_table("sla_clocks", records=clocks, columns=CLOCK_COLUMNS)
            await conn.copy_records_to_table(
                "reporters", records=reporters, columns=REPORTER_COLUMNS
            )
            await conn.copy_records_to_table("events", records=events, columns=EVENT_COLUMNS)
            t2 = time.perf_counter()
            gen_s += t1 - t0
            copy_s += t2 - t1
            progress(f"  loaded {start + size - 1:>9,} / {n:,} cases + clocks, reporters, events")
    finally:
        for table, trigger in _SKIPPED_TRIGGERS:
            await conn.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER "{trigger}"')
    await conn.execute("SELECT setval('cases_id_seq', (SELECT max(id) FROM cases))")
    t0 = time.perf_counter()
    for row in indexes:
        await conn.execute(row["ddl"])
    t1 = time.perf_counter()
    # VACUUM as well: autovacuum has long visited a live database's settled pages, and
    # index-only scans (counts of a worklist) depend on it.
    for table in ("cases", "sla_clocks", "reporters", "events"):
        await conn.execute(f"VACUUM (ANALYZE) {table}")
    # And the load's dirty pages written out now, not by the checkpointer during the reports.
    await conn.execute("CHECKPOINT")
    return {
        "generate_s": gen_s,
        "copy_s": copy_s,
        "index_s": t1 - t0,
        "analyze_s": time.perf_counter() - t1,
    }
