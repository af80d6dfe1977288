"""The raw asyncpg write path (shared.pgwrite) writes the rows the session path writes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from shared.auth import SYSTEM
from shared.cases.service import (
    CaseFacts,
    NewCase,
    OpenedCase,
    ReporterInput,
    create_cases,
    open_cases_with_ids,
)
from shared.errors import Unprocessable
from shared.models import Case, Event, EventDelivery, Reporter
from shared.pgwrite import case_facts, insert_all
from shared.seed import seed_reference_data

# Columns that differ between two openings of the same complaint by design.
DRAWN = {"id", "case_id", "event_id", "subject_id", "tracking_id"}
CLOCK = {"received_at", "status_changed_at", "created_at", "updated_at", "occurred_at"}
CLOCK |= {"next_attempt_at"}


def _items() -> list[tuple[NewCase, Any]]:
    named = NewCase(
        channel="web",
        title="Lampu jalan padam",
        description="Lampu jalan di simpang empat padam sejak seminggu.",
        category_code="ADMINDUK",
        kecamatan_code="TABANAN",
        lat=-8.54,
        lon=115.12,
        reporter=ReporterInput(channel="web", name="Budi", phone="+6281234567890"),
        event_data={"via": "test"},
    )
    anonymous = NewCase(
        channel="web",
        title="Pungutan liar",
        description="Ada pungutan di loket.",
        category_code="ADMINDUK",
        anonymous=True,
        confidential=True,
    )
    refused = NewCase(channel="web", title="x", description="y", category_code="NOPE")
    return [(named, SYSTEM), (refused, SYSTEM), (anonymous, SYSTEM)]


async def _open_raw(driver, items):
    """The PostgreSQL writer's way (services/intake/complaints/group_commit.py), cases only:
    the facts in one statement, every row in another."""
    facts = await _facts(driver, items)
    results, inserts = open_cases_with_ids(items, facts)
    await insert_all(driver, inserts)
    return results


async def _facts(driver, items) -> CaseFacts:
    return await case_facts(driver, items)


def _row(obj: Any, skip: set[str]) -> dict[str, Any]:
    return {c.name: getattr(obj, c.name) for c in obj.__table__.columns if c.name not in skip}


async def _written(db, case_ids: list[int]) -> list[dict[str, Any]]:
    """Every row the opening wrote, comparable across openings."""
    out = []
    async with db.session() as session:
        for case_id in case_ids:
            case = await session.get(Case, case_id)
            reporter = await session.scalar(select(Reporter).where(Reporter.case_id == case_id))
            events = (await session.scalars(select(Event).where(Event.case_id == case_id))).all()
            deliveries = (
                await session.scalars(
                    select(EventDelivery)
                    .where(EventDelivery.case_id == case_id)
                    .order_by(EventDelivery.consumer)
                )
            ).all()
            out.append(
                {
                    "case": _row(case, DRAWN | CLOCK),
                    "reporter": _row(reporter, DRAWN),
                    "events": [_row(e, DRAWN | CLOCK) for e in events],
                    "deliveries": [_row(d, DRAWN | CLOCK) for d in deliveries],
                    "due_at_received": [
                        d.next_attempt_at == e.occurred_at for e in events for d in deliveries
                    ],
                }
            )
    return out


async def test_the_raw_path_opens_the_same_cases_as_the_session_path(db):
    if db.is_sqlite:
        pytest.skip("the raw path is PostgreSQL's (asyncpg)")
    async with db.session() as session:
        await seed_reference_data(session)
    async with db.session() as session:
        by_session = await create_cases(session, _items())
    async with db.engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        async with driver.transaction():
            by_raw = await _open_raw(driver, _items())

    for results in (by_session, by_raw):
        assert [type(r) for r in results] == [OpenedCase, Unprocessable, OpenedCase]
        assert results[1].code == "unknown_category"
        assert results[0].received_at.tzinfo is not None
    session_ids = [r.id for r in by_session if isinstance(r, OpenedCase)]
    raw_ids = [r.id for r in by_raw if isinstance(r, OpenedCase)]
    assert raw_ids == sorted(raw_ids) and min(raw_ids) > max(session_ids)
    assert await _written(db, raw_ids) == await _written(db, session_ids)
    # Each returned id is its own item's case, in order.
    async with db.session() as session:
        titles = [(await session.get(Case, i)).title for i in raw_ids]
    assert titles == ["Lampu jalan padam", "Pungutan liar"]


async def test_the_raw_path_rolls_back_with_its_transaction(db):
    if db.is_sqlite:
        pytest.skip("the raw path is PostgreSQL's (asyncpg)")
    async with db.session() as session:
        await seed_reference_data(session)
    async with db.engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        transaction = driver.transaction()
        await transaction.start()
        await _open_raw(driver, _items())
        await transaction.rollback()
    async with db.session() as session:
        assert (await session.scalars(select(Case.id))).all() == []
        assert (await session.scalars(select(Event.id))).all() == []


async def test_insert_all_writes_every_part_in_one_atomic_durable_statement(db):
    """Parts may reference each other (foreign keys are checked at the statement's end);
    outside a transaction the statement is its own commit, all rows or none."""
    if db.is_sqlite:
        pytest.skip("the raw path is PostgreSQL's (asyncpg)")
    import asyncpg

    async with db.session() as session:
        await seed_reference_data(session)
    items = _items()
    async with db.engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        facts = await _facts(driver, items)
        assert len(facts.case_ids) == len(facts.event_ids) == 3
        assert facts.case_ids == sorted(facts.case_ids)
        results, inserts = open_cases_with_ids(items, facts)
        assert [table.name for table, _ in inserts] == [
            "cases", "reporters", "events", "event_deliveries",
        ]  # fmt: skip

        # A duplicate tracking id in the last row refuses the whole statement: nothing lands.
        bad_cases = [dict(row) for row in inserts[0][1]]
        bad_cases[-1]["tracking_id"] = bad_cases[0]["tracking_id"]
        with pytest.raises(asyncpg.UniqueViolationError):
            await insert_all(driver, [(inserts[0][0], bad_cases), *inserts[1:]])
        async with db.session() as session:
            assert (await session.scalars(select(Case.id))).all() == []

        await insert_all(driver, inserts)
        assert not driver.is_in_transaction()
    # Committed: another connection sees every row, children pointing at their parents.
    opened = [r.id for r in results if isinstance(r, OpenedCase)]
    assert opened == facts.case_ids[:2]
    written = await _written(db, opened)
    assert [len(w["events"]) for w in written] == [1, 1]
    assert all(w["deliveries"] for w in written)
    async with db.session() as session:
        event_ids = (await session.scalars(select(Event.id).order_by(Event.id))).all()
    assert event_ids == facts.event_ids[:2]


def test_the_look_up_numbers_its_named_parameters_itself():
    from shared.pgwrite.lookup import compose

    statement = compose("ARRAY(SELECT {a}::int) AS x", "{b}::text AS y, {a}::int AS z")
    assert statement.sql == "SELECT ARRAY(SELECT $1::int) AS x, $2::text AS y, $1::int AS z"
    assert statement.names == ("a", "b")
