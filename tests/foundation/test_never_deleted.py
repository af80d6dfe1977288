"""Permen 62/2018 and the code of ethics: a case is never deleted, its reporter's identity is
never dropped and the event log is never rewritten — the database itself refuses, on both
backends, whatever code runs."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from shared.auth import SYSTEM
from shared.cases.service import NewCase, ReporterInput, create_case
from shared.models import Case, Event, Reporter


async def _one_case(db) -> int:
    async with db.session() as session:
        case = await create_case(
            session,
            NewCase(
                channel="web",
                description="Jalan berlubang",
                reporter=ReporterInput(channel="web", name="Sari"),
            ),
            SYSTEM,
        )
        return case.id


REFUSED = [
    ("DELETE FROM cases", "never deleted"),
    ("DELETE FROM reporters", "never deleted"),
    ("UPDATE events SET type = 'case.rewritten'", "append-only"),
    ("DELETE FROM events", "append-only"),
]


async def test_database_refuses_to_delete_cases_or_rewrite_history(db):
    case_id = await _one_case(db)
    for statement, message in REFUSED:
        with pytest.raises(DBAPIError) as refused:
            async with db.session() as session:
                await session.execute(text(statement))
        assert message in str(refused.value), statement
    async with db.session() as session:
        assert (
            await session.scalar(select(func.count()).select_from(Case).where(Case.id == case_id))
            == 1
        )
        reporters = select(func.count()).select_from(Reporter).where(Reporter.case_id == case_id)
        assert await session.scalar(reporters) == 1
        types = (await session.scalars(select(Event.type).where(Event.case_id == case_id))).all()
    assert types == ["case.received"]


async def test_orm_delete_of_a_case_is_refused_too(db):
    case_id = await _one_case(db)
    with pytest.raises(DBAPIError):
        async with db.session() as session:
            reporter = await session.get(Reporter, case_id)
            await session.delete(reporter)
            await session.flush()
            await session.delete(await session.get(Case, case_id))
    async with db.session() as session:
        assert await session.get(Case, case_id) is not None
