"""Seeded bulk data: a million cases with one running resolution clock each, loaded by COPY.

Reproducible (``random.Random(SEED)``, times relative to a fixed ``now``); a small, known
fraction of the clocks is due (a warning or a breach) so the sweep has real work among
many rows it must not touch.
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

CASE_COLUMNS = (
    "id", "tracking_id", "channel", "kind", "status", "sla_class", "category_code", "opd_code",
    "anonymous", "confidential", "title", "description", "kecamatan_code", "received_at",
    "disposed_at", "first_response_at", "resolved_at", "status_changed_at", "rating",
    "created_at", "updated_at", "version",
)  # fmt: skip
CLOCK_COLUMNS = (
    "case_id", "kind", "generation", "opd_code", "sla_class", "working_days", "warning_days",
    "used_working_days", "started_at", "deadline_at", "warning_at", "state", "created_at",
    "updated_at",
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
_SKIPPED_TRIGGERS = (("cases", "cases_report_stale_insert"),)
#: Indexes of the two tables that back no constraint (dropped and rebuilt around the load).
_PLAIN_INDEXES = """
SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS ddl
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid IN ('cases'::regclass, 'sla_clocks'::regclass)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
"""


async def reference_codes(conn: asyncpg.Connection) -> tuple[list[str], list[str], list[str]]:
    opds = [r[0] for r in await conn.fetch("SELECT code FROM opds ORDER BY code")]
    cats = [r[0] for r in await conn.fetch("SELECT code FROM categories ORDER BY code")]
    kecs = [r[0] for r in await conn.fetch("SELECT code FROM kecamatan ORDER BY code")]
    return opds, cats, kecs


def _case_rows(
    rng: random.Random,
    start_id: int,
    n: int,
    now: dt.datetime,
    refs: tuple,
    year_start: dt.datetime,
) -> tuple[list[tuple], list[tuple]]:
    opds, cats, kecs = refs
    span = (now - year_start).total_seconds()
    statuses = [s for s, _ in STATUSES]
    weights = [w for _, w in STATUSES]
    cases, clocks = [], []
    day = dt.timedelta(days=1)
    for i in range(start_id, start_id + n):
        received = year_start + dt.timedelta(seconds=rng.random() * span)
        status = rng.choices(statuses, weights)[0]
        cls, wd, warn = CLASSES[rng.randrange(3)]
        opd = opds[rng.randrange(len(opds))]
        disposed = received + day * rng.uniform(0.1, 3)
        responded = disposed + day * rng.uniform(0.5, 20) if status != "disposed" else None
        resolved = responded if status in ("resolved", "closed") else None
        changed = resolved or responded or disposed
        rating = rng.randint(1, 5) if status == "closed" and rng.random() < 0.5 else None
        cases.append(
            (
                i, f"BN{i:010d}", rng.choice(CHANNELS), "pengaduan", status, cls,
                cats[rng.randrange(len(cats))], opd, False, False, "Keluhan bench",
                "Data bangkitan untuk benchmark.", kecs[rng.randrange(len(kecs))], received,
                disposed, responded, resolved, changed, rating, received, changed, 1,
            )
        )  # fmt: skip
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
    return cases, clocks


async def load_cases_and_clocks(
    conn: asyncpg.Connection, n: int, now: dt.datetime, progress: Progress
) -> dict[str, float]:
    """COPY ``n`` cases and ``n`` running clocks; returns timings (s)."""
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
            cases, clocks = _case_rows(rng, base + start, size, now, refs, year_start)
            t1 = time.perf_counter()
            await conn.copy_records_to_table("cases", records=cases, columns=CASE_COLUMNS)
            await conn.copy_records_to_table("sla_clocks", records=clocks, columns=CLOCK_COLUMNS)
            t2 = time.perf_counter()
            gen_s += t1 - t0
            copy_s += t2 - t1
            progress(f"  loaded {start + size - 1:>9,} / {n:,} cases + clocks")
    finally:
        for table, trigger in _SKIPPED_TRIGGERS:
            await conn.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER "{trigger}"')
    await conn.execute("SELECT setval('cases_id_seq', (SELECT max(id) FROM cases))")
    t0 = time.perf_counter()
    for row in indexes:
        await conn.execute(row["ddl"])
    t1 = time.perf_counter()
    await conn.execute("ANALYZE cases; ANALYZE sla_clocks")
    return {
        "generate_s": gen_s,
        "copy_s": copy_s,
        "index_s": t1 - t0,
        "analyze_s": time.perf_counter() - t1,
    }
