"""One rule of who sees what (``shared.cases.access``): reads and counts start from it."""

from __future__ import annotations

from sqlalchemy import select

from shared.auth import SYSTEM, Actor
from shared.cases.access import owned_conditions, readable_cases
from shared.lifecycle import Role
from shared.models import Case, CaseCopy, utcnow
from tests import factories

DLH = Actor(type="ops", id="token:3", name="DLH", role=Role.OPD, opd_code="DLH")
PUPR = Actor(type="ops", id="token:2", name="PUPR", role=Role.OPD, opd_code="PUPR")
VIEWER = Actor(type="ops", id="token:4", name="Pimpinan", role=Role.VIEWER)


async def test_an_opd_reads_its_copies_but_counts_only_the_cases_it_answers_for(db):
    async with db.session() as session:
        case = await session.get(Case, (await factories.open_case(db, description="Sampah")).id)
        case.opd_code, case.status = "PUPR", "disposed"
        session.add(CaseCopy(case_id=case.id, opd_code="DLH", created_at=utcnow()))
        case_id = case.id
    async with db.session() as session:

        async def ids(stmt) -> set[int]:
            return set((await session.scalars(stmt)).all())

        def counted(actor: Actor):
            return select(Case.id).where(*owned_conditions(actor))

        assert await ids(readable_cases(DLH).with_only_columns(Case.id)) == {case_id}
        assert await ids(counted(DLH)) == set()
        assert await ids(counted(PUPR)) == {case_id}
        assert await ids(counted(VIEWER)) == {case_id}
        assert await ids(counted(SYSTEM)) == {case_id}  # public statistics count every case
        assert await ids(readable_cases(SYSTEM).with_only_columns(Case.id)) == set()
