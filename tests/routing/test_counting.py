"""The console search's bounded count (``services/routing/cases/counting.py``) against the
plain exact count, on the real database: equal up to the limit, "more" beyond it; and the
search readings that PostgreSQL runs differently (the phone through ``= ANY(ARRAY(...))``)
find exactly what the plain statement finds."""

from __future__ import annotations

from sqlalchemy import select

from services.routing.cases import counting
from services.routing.cases.repository import CaseFilters, filtered_cases
from services.routing.cases.search import phone_clause
from shared.auth import Actor
from shared.lifecycle import Role
from shared.models import Case, Reporter

ADMIN = Actor(type="ops", id="user:1", name="Admin", role=Role.ADMIN_INSTANSI)


async def test_count_up_to_is_the_exact_count_until_the_limit(open_case, db) -> None:
    for _ in range(5):
        await open_case(description="Jalan rusak di depan pasar")
    await open_case(description="Lampu penerangan mati")
    async with db.session() as session:
        dialect = session.get_bind().dialect.name
        for q in ("jalan rusak", "lampu", "jembatan", None):
            stmt = filtered_cases(ADMIN, CaseFilters(q=q), dialect)
            exact = await counting.exact_count(session, stmt)
            for limit in (1, 4, 5, 6, 100):
                bounded = await counting.count_up_to(session, stmt, limit)
                assert bounded == (exact if exact <= limit else limit + 1), (q, limit)
        assert exact == 6


async def test_the_phone_clause_finds_what_exists_finds(open_case, db) -> None:
    tid = await open_case(description="Air tidak mengalir")
    await open_case(description="Air tidak mengalir juga", reporter=None)
    async with db.session() as session:
        dialect = session.get_bind().dialect.name
        phone = await session.scalar(
            select(Reporter.phone)
            .join(Case, Case.id == Reporter.case_id)
            .where(Case.tracking_id == tid)
        )
        assert phone
        for number in (phone, "+6280000000000"):
            fast = await session.scalars(
                select(Case.tracking_id).where(phone_clause(number, dialect))
            )
            plain = await session.scalars(
                select(Case.tracking_id).where(phone_clause(number, "sqlite"))
            )
            assert sorted(fast.all()) == sorted(plain.all())
        assert (
            await session.scalars(select(Case.tracking_id).where(phone_clause(phone, dialect)))
        ).all() == [tid]
