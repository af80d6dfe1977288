"""The report figure cache (services/sla/reports/cache.py) never changes a number.

Every figure of every grouping is checked against the definitions computed here in plain
Python with the calendar library, over cases spread from five months ago to a few minutes ago
(cached months, cached days, live days), before and after changes made through every kind of
writer (ORM, bulk UPDATE, clocks), after a holiday override, for an OPD's own view, and when
units are replaced under a reader. Works whatever day the suite runs on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import statistics
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from services.sla.reports import cache
from shared.calendar import Override, OverrideKind, WorkingCalendar
from shared.models import Case, utcnow
from shared.models.reporting import ReportCacheUnit, ReportStaleMark
from shared.models.sla import SlaClock
from tests.reporting.factories import add_cases, make_case

WIB = ZoneInfo("Asia/Jakarta")
OPDS = ("DINKES", "DISDIK", "DUKCAPIL", "PUPR", None)
CATEGORIES = ("KESEHATAN", "PENDIDIKAN", "ADMINDUK", "JALAN", None)
KECAMATAN = ("TABANAN", "KEDIRI", "MARGA", "PENEBEL", None)
CHANNELS = ("web", "sms", "whatsapp")
STATUSES = ("received", "disposed", "in_progress", "resolved", "closed", "archived")
ENDED = ("archived", "forwarded_national")
#: The first three come from the cache, the others from a tally; every one carries the total.
GROUPINGS = ("opd", "month", "category", "channel", "kecamatan")
SPAN_DAYS = 150


# -- the plan ------------------------------------------------------------------------------------


def test_a_year_to_date_is_closed_months_settled_days_and_today_live() -> None:
    layout = cache.plan(dt.date(2026, 1, 1), dt.date(2026, 11, 23), dt.date(2026, 11, 22))
    months = [u for u in layout.units if u.whole_month]
    days = [u for u in layout.units if not u.whole_month]
    assert [u.month for u in months] == [f"2026-{m:02d}" for m in range(1, 11)]
    assert (months[1].first_day, months[1].last_day) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert [u.first_day.day for u in days] == list(range(1, 23))
    assert layout.live == [(dt.date(2026, 11, 23), dt.date(2026, 11, 23))]


def test_part_of_a_closed_month_is_counted_live_and_an_open_month_by_day() -> None:
    layout = cache.plan(dt.date(2026, 3, 15), dt.date(2026, 5, 10), dt.date(2026, 12, 31))
    assert [(u.first_day, u.last_day) for u in layout.units] == [
        (dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    ]
    assert layout.live == [
        (dt.date(2026, 3, 15), dt.date(2026, 3, 31)),
        (dt.date(2026, 5, 1), dt.date(2026, 5, 10)),
    ]
    # Early on 1 December, November is not settled yet: its settled days are day units.
    now = dt.datetime(2026, 12, 1, 3, 0, tzinfo=WIB)
    settled = cache.settled_through(now, WIB)
    assert settled == dt.date(2026, 11, 29)
    layout = cache.plan(dt.date(2026, 11, 1), dt.date(2026, 12, 1), settled)
    assert [u.first_day.day for u in layout.units] == list(range(1, 30))
    assert layout.live == [(dt.date(2026, 11, 30), dt.date(2026, 12, 1))]


def test_a_day_settles_six_hours_after_it_ends() -> None:
    at = dt.datetime(2026, 11, 23, 5, 59, tzinfo=WIB)
    assert cache.settled_through(at, WIB) == dt.date(2026, 11, 21)
    assert cache.settled_through(at + dt.timedelta(minutes=1), WIB) == dt.date(2026, 11, 22)


# -- the definitions, in plain Python ------------------------------------------------------------


def expected(cases, clocks, group_by, calendar, opd=...):
    """Report rows ``{key: figures}`` and the total, straight from the definitions."""
    met = {k.case_id for k in clocks if k.kind == "resolution" and k.state == "met"}
    breaches: dict[int, int] = {}
    for k in clocks:
        if k.breached_at is not None:
            breaches[k.case_id] = breaches.get(k.case_id, 0) + 1

    def key(c):
        return {
            None: "all",
            "opd": c.opd_code,
            "month": c.received_at.astimezone(WIB).strftime("%Y-%m"),
            "category": c.category_code,
            "channel": c.channel,
            "kecamatan": c.kecamatan_code,
        }[group_by]

    def figures(group):
        between = calendar.working_days_between
        responses = [
            between(c.received_at, c.first_response_at) for c in group if c.first_response_at
        ]
        resolutions = [between(c.received_at, c.resolved_at) for c in group if c.resolved_at]
        ratings = [c.rating for c in group if c.rating is not None]
        resolved = len(resolutions)
        within = sum(1 for c in group if c.id in met)
        return {
            "received": len(group),
            "not_responded": sum(1 for c in group if c.first_response_at is None),
            "unresolved": sum(1 for c in group if c.resolved_at is None and c.status not in ENDED),
            "resolved": resolved,
            "ended_unresolved": sum(
                1 for c in group if c.resolved_at is None and c.status in ENDED
            ),
            "resolved_within_deadline": within,
            "resolved_within_deadline_pct": round(100 * within / resolved, 1) if resolved else None,
            "avg_wd_to_first_response": round(statistics.mean(responses), 2) if responses else None,
            "median_wd_to_first_response": statistics.median(responses) if responses else None,
            "avg_wd_to_resolution": round(statistics.mean(resolutions), 2) if resolutions else None,
            "median_wd_to_resolution": statistics.median(resolutions) if resolutions else None,
            "breaches": sum(breaches.get(c.id, 0) for c in group),
            "satisfaction_avg": round(statistics.mean(ratings), 2) if ratings else None,
            "ratings": len(ratings),
        }

    mine = [c for c in cases if opd is ... or c.opd_code == opd]
    groups: dict = {}
    for c in mine:
        groups.setdefault(key(c), []).append(c)
    return {k: figures(g) for k, g in groups.items()}, figures(mine)


def scenario(now: dt.datetime, rng: random.Random) -> list[Case]:
    cases = []
    for i in range(160):
        age = (
            dt.timedelta(minutes=rng.uniform(1, 50))
            if i % 16 == 0
            else dt.timedelta(days=rng.uniform(0, SPAN_DAYS - 5))
        )
        received = now - age
        responded = received + dt.timedelta(hours=rng.uniform(0, 600))
        responded = responded if responded < now and rng.random() < 0.75 else None
        resolved = responded and responded + dt.timedelta(hours=rng.uniform(0, 400))
        resolved = resolved if resolved and resolved < now and rng.random() < 0.7 else None
        cases.append(
            make_case(
                received,
                opd=rng.choice(OPDS),
                category=rng.choice(CATEGORIES),
                channel=rng.choice(CHANNELS),
                kecamatan=rng.choice(KECAMATAN),
                status="resolved" if resolved else rng.choice(STATUSES),
                first_response_at=responded,
                resolved_at=resolved,
                rating=rng.choice((None, None, 1, 3, 4, 5)) if resolved else None,
                confidential=rng.random() < 0.1,
            )
        )
    return cases


def clocks_for(cases: list[Case], rng: random.Random) -> list[SlaClock]:
    clocks = []
    for c in cases:
        for kind in ("verification", "resolution"):
            if rng.random() < 0.6:
                state = rng.choice(("running", "met", "breached", "cancelled"))
                clocks.append(
                    SlaClock(
                        case_id=c.id,
                        kind=kind,
                        opd_code=c.opd_code,
                        working_days=5,
                        started_at=c.received_at,
                        deadline_at=c.received_at + dt.timedelta(days=7),
                        state=state,
                        breached_at=c.received_at + dt.timedelta(days=8)
                        if state == "breached"
                        else None,
                    )
                )
    return clocks


async def load(db):
    async with db.session() as session:
        cases = list((await session.scalars(select(Case))).all())
        clocks = list((await session.scalars(select(SlaClock))).all())
    return cases, clocks


def period(now: dt.datetime) -> dict[str, str]:
    today = now.astimezone(WIB).date()
    return {"from": (today - dt.timedelta(days=SPAN_DAYS)).isoformat(), "to": today.isoformat()}


async def check_every_grouping(client, headers, db, calendar, opd=...) -> None:
    cases, clocks = await load(db)
    for group_by in GROUPINGS:
        params = period(utcnow()) | {"group_by": group_by}
        response = await client.get("/admin/reports/summary", params=params, headers=headers)
        assert response.status_code == 200, response.text
        report = response.json()
        rows, total = expected(cases, clocks, group_by, calendar, opd)
        got = {
            r["key"]: {k: v for k, v in r.items() if k not in ("key", "label")}
            for r in report["rows"]
        }
        assert got == rows, group_by
        assert {k: v for k, v in report["total"].items() if k not in ("key", "label")} == total


@pytest.fixture
async def spread(db) -> dict:
    rng = random.Random(20261123)
    cases = await add_cases(db, scenario(utcnow(), rng))
    await add_cases(db, clocks_for(cases, rng))
    return {"cases": cases, "rng": rng}


CAL = WorkingCalendar("Asia/Jakarta")


async def count(db, model) -> int:
    async with db.session() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_figures_match_the_definitions_through_every_kind_of_change(
    client,
    admin_headers,
    db,
    spread,
) -> None:
    await check_every_grouping(client, admin_headers, db, CAL)
    assert await count(db, ReportCacheUnit) > 0  # the cache was used, not only live tallies

    now = utcnow()
    old = sorted(spread["cases"], key=lambda c: c.received_at)
    oldest, middle = old[:6], old[len(old) // 2 : len(old) // 2 + 4]
    recent = [c for c in old if dt.timedelta(days=2) < now - c.received_at < dt.timedelta(days=9)]
    newest = old[-1]  # received minutes ago: counted live, never marked
    async with db.session() as session:
        # ORM: a case answered and resolved, another moved to another OPD
        case = await session.get(Case, oldest[0].id)
        case.first_response_at = case.received_at + dt.timedelta(days=2)
        case.resolved_at = case.received_at + dt.timedelta(days=9)
        case.status = "resolved"
        (await session.get(Case, middle[0].id)).opd_code = "PDAM"
        await session.flush()
        # Bulk UPDATEs: a rating from LAPOR!, an archive, a reopened case
        await session.execute(update(Case).where(Case.id == oldest[1].id).values(rating=2))
        await session.execute(update(Case).where(Case.id == middle[1].id).values(status="archived"))
        await session.execute(
            update(Case)
            .where(Case.id == oldest[2].id)
            .values(resolved_at=None, status="in_progress")
        )
        # Clocks: met, breached, a new met clock, a breach undone
        session.add(
            SlaClock(
                case_id=oldest[3].id,
                kind="resolution",
                generation=9,
                working_days=5,
                started_at=oldest[3].received_at,
                deadline_at=now,
                state="met",
            )
        )
        await session.execute(
            update(SlaClock)
            .where(SlaClock.case_id.in_([oldest[4].id, middle[2].id]))
            .values(state="breached", breached_at=now)
        )
        await session.execute(
            update(SlaClock)
            .where(SlaClock.case_id == oldest[5].id)
            .values(state="met", breached_at=None)
        )
        for c in (*recent[:2], newest):
            await session.execute(
                update(Case)
                .where(Case.id == c.id)
                .values(status="closed", first_response_at=now, resolved_at=now, rating=5)
            )
    assert await count(db, ReportStaleMark) > 0
    await check_every_grouping(client, admin_headers, db, CAL)


async def test_an_opd_sees_exactly_its_own_figures(client, make_token, db, spread) -> None:
    headers = {"Authorization": f"Bearer {await make_token('opd', opd='DINKES')}"}
    await check_every_grouping(client, headers, db, CAL, opd="DINKES")


async def test_a_holiday_override_recounts_cached_working_days(
    client,
    admin_headers,
    db,
    spread,
) -> None:
    await check_every_grouping(client, admin_headers, db, CAL)
    day = utcnow().astimezone(WIB).date() - dt.timedelta(days=60)
    while not CAL.is_working_day(day):
        day -= dt.timedelta(days=1)
    response = await client.post(
        "/admin/calendar/overrides",
        json={"date": day.isoformat(), "kind": "add", "reason": "Cuti bersama Perbup (uji)"},
        headers=admin_headers,
    )
    assert response.status_code == 201, response.text
    changed = WorkingCalendar("Asia/Jakarta", overrides=[Override(day, OverrideKind.ADD, "uji")])
    await check_every_grouping(client, admin_headers, db, changed)


async def test_units_replaced_under_a_reader_are_read_again_or_counted_live(
    client,
    admin_headers,
    db,
    spread,
    monkeypatch,
) -> None:
    real, calls = cache._still_there, []

    async def flaky(session, ids):
        calls.append(ids)
        return len(calls) > 1 and await real(session, ids)

    monkeypatch.setattr(cache, "_still_there", flaky)
    await check_every_grouping(client, admin_headers, db, CAL)
    assert len(calls) == 3  # opd twice (read again), month once

    async def never(session, ids):
        return False

    monkeypatch.setattr(cache, "_still_there", never)
    await check_every_grouping(client, admin_headers, db, CAL)


async def test_reports_arriving_together_build_each_unit_once(
    client,
    admin_headers,
    db,
    spread,
    monkeypatch,
) -> None:
    together, fresh, seen = asyncio.Barrier(3), cache._fresh, []
    rebuild, built = cache._rebuild_run, []

    async def all_find_it_cold(*args):
        seen.append(1)
        if len(seen) <= 3:
            await together.wait()
        return await fresh(*args)

    async def counted(session, run, *args):
        built.extend(run)
        return await rebuild(session, run, *args)

    monkeypatch.setattr(cache, "_fresh", all_find_it_cold)
    monkeypatch.setattr(cache, "_rebuild_run", counted)
    params = period(utcnow()) | {"group_by": "opd"}
    responses = await asyncio.gather(
        *(
            client.get("/admin/reports/summary", params=params, headers=admin_headers)
            for _ in range(3)
        )
    )
    assert [r.status_code for r in responses] == [200] * 3
    assert len({str(r.json()["total"]) for r in responses}) == 1
    assert built and len(built) == len(set(built))  # every unit built once, not once per report


async def test_the_triggers_mark_exactly_the_cases_old_enough_to_be_cached(db) -> None:
    """Migration 0009's triggers and ``cache.MARK_AFTER`` must agree, and a day may only be
    cached well after changes to its cases are marked (``SETTLE``)."""
    assert cache.SETTLE >= cache.MARK_AFTER + dt.timedelta(hours=4)
    now = utcnow()
    old, young = (
        make_case(now - cache.MARK_AFTER - dt.timedelta(minutes=20), opd="DINKES"),
        make_case(now - cache.MARK_AFTER + dt.timedelta(minutes=20), opd="DINKES"),
    )
    await add_cases(db, [old, young])
    assert await count(db, ReportStaleMark) == 1  # the old one, inserted late (an import)
    async with db.session() as session:
        await session.execute(
            update(Case).where(Case.id.in_([old.id, young.id])).values(status="disposed")
        )
        await session.execute(  # not an input of any cached figure
            update(Case).where(Case.id.in_([old.id, young.id])).values(title="Judul baru")
        )
        session.add_all(
            SlaClock(
                case_id=c.id,
                kind="resolution",
                generation=generation,
                working_days=5,
                started_at=c.received_at,
                deadline_at=now,
                state=state,
            )
            for c in (old, young)
            for generation, state in ((1, "running"), (2, "met"))
        )
    assert await count(db, ReportStaleMark) == 3  # + the status change, + the met clock
