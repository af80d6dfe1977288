"""What the embedded mode (SQLite) reaches on the console's pages and the cold report:
``python -m bench.embedded [cases]`` (default 100,000 — a large pemda's year).

The same seeded cases as ``make bench`` (``bench/data.py``: text, reporters, a queue of
0.5 %, one clock and one event each), written into a fresh SQLite file with the schema at
head; then, in one process as ``simpul serve --service all`` runs it, each page requested
:data:`PAGES` times through the console app with ``bench/console_app.py``'s timer (no
concurrent load: an embedded instance serves a handful of officers), and one year's
summary over days not cached. Prints p50/p95 per page and the report's seconds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench import console, data, db, openloop

PAGES = 100


def _load(path: Path, n: int, now: dt.datetime) -> None:
    conn = sqlite3.connect(path)
    refs = tuple(
        [r[0] for r in conn.execute(f"SELECT code FROM {t} ORDER BY code")]
        for t in ("opds", "categories", "kecamatan")
    )
    rng = random.Random(data.SEED)
    year_start = dt.datetime(now.year, 1, 1, tzinfo=dt.UTC)

    for start in range(1, n + 1, data.CHUNK):
        size = min(data.CHUNK, n + 1 - start)
        cases, clocks, reporters, events = data._case_rows(
            rng, start, size, now, refs, year_start, 1, n
        )
        for table, columns, rows in (
            ("cases", data.CASE_COLUMNS, cases),
            ("sla_clocks", data.CLOCK_COLUMNS, clocks),
            ("reporters", data.REPORTER_COLUMNS, reporters),
            ("events", data.EVENT_COLUMNS, events),
        ):
            marks = ", ".join("?" for _ in columns)
            conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                [_plain(r) for r in rows],
            )
        conn.commit()
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()


async def _measure(url: str, out_dir: Path) -> dict[str, list[float]]:
    os.environ.update(
        {"SIMPUL_DATABASE_URL": url, "SIMPUL_RUN_WORKERS": "false",
         "SIMPUL_BENCH_TIMINGS_DIR": str(out_dir)}
    )  # fmt: skip
    from bench import console_app

    prepared = await _prepare_sqlite(url)
    timer = console_app.create_app()
    app = timer.app
    paths = console._paths(prepared)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=timer),
            base_url="http://127.0.0.1",
            cookies={"simpul_sesi": prepared["cookie"]},
        ) as client:
            for kind in ("queue", "search", "case"):
                for _ in range(PAGES + console.WARMUP):
                    response = await client.get(next(paths[kind]))
                    assert response.status_code == 200, (kind, response.status_code)
    return console._timings(out_dir)


async def _prepare_sqlite(url: str) -> dict:
    """The officer, the 30-event case pages and the phones, through the ORM (SQLite)."""
    from sqlalchemy import select, text

    from shared.db import Database
    from shared.models import Case, Reporter, utcnow

    cookie = await console.officer_session(url)
    database = Database(url)
    try:
        async with database.session() as session:
            rows = (
                await session.execute(
                    select(Case.id, Case.tracking_id, Case.opd_code, Case.received_at)
                    .where(Case.status == "in_progress")
                    .order_by(Case.id)
                    .limit(console.CASE_PAGES)
                )
            ).all()
            other = (await session.execute(text("SELECT min(code) FROM opds"))).scalar_one()
            tables = console.case_page_rows([tuple(r) for r in rows], other, utcnow())
            for table, columns, records in zip(
                ("events", "case_messages", "case_copies"),
                (console.EVENT_COLUMNS, console.MESSAGE_COLUMNS, console.COPY_COLUMNS),
                tables,
                strict=True,
            ):
                names = ", ".join(columns)
                marks = ", ".join(f":{c}" for c in columns)
                await session.execute(
                    text(f"INSERT INTO {table} ({names}) VALUES ({marks})"),
                    [dict(zip(columns, _plain(r), strict=True)) for r in records],
                )
            phones = (
                await session.scalars(
                    select(Reporter.phone).order_by(Reporter.case_id.desc()).limit(10)
                )
            ).all()
    finally:
        await database.dispose()
    return {"cookie": cookie, "cases": [r[1] for r in rows], "phones": list(phones)}


def _plain(row: tuple) -> tuple:
    """SQLite's text form of the row's times (as the schema's UTC timestamps read back)."""
    return tuple(
        v.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, dt.datetime) else v
        for v in row
    )


async def _cold_report(url: str) -> float:
    from bench import bulk

    result = await bulk.time_summary(url, runs=1)
    return result["first_ms"] / 1000


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    work = Path(tempfile.mkdtemp(prefix="simpul-embedded-"))
    path = work / "simpul.db"
    url = f"sqlite:///{path}"
    db.migrate_and_seed(url)
    t0 = time.perf_counter()
    _load(path, n, dt.datetime.now(dt.UTC).replace(microsecond=0))
    print(f"loaded {n:,} cases in {time.perf_counter() - t0:.0f} s ({path})", flush=True)
    cold = asyncio.run(_cold_report(url))
    print(f"report_cold_s {cold:.2f}", flush=True)
    timings = asyncio.run(_measure(url, work))
    for kind in ("queue", "search", "case"):
        values = timings[kind]
        print(
            f"console_{kind}: {len(values)} pages, p50 {statistics.median(values):.1f} ms, "
            f"p95 {openloop.percentile(sorted(values), 0.95):.1f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
