"""The one writer of a case's status (``shared.cases.workflow``): checked by the lifecycle
table, stamped, and always with its event in the same transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from shared.auth import SYSTEM, Actor
from shared.cases.events import CaseEvent, EndedPayload, ResponsePayload
from shared.cases.workflow import apply, apply_to_many
from shared.lifecycle import Action, Role, TransitionRefused
from shared.models import Case, Event
from tests import factories

ADMIN = Actor(type="ops", id="token:1", name="Admin", role=Role.ADMIN_INSTANSI)
OPD = Actor(type="ops", id="token:2", name="PUPR", role=Role.OPD, opd_code="PUPR")
AT = dt.datetime(2026, 11, 2, 3, 0, tzinfo=dt.UTC)


async def _open(db) -> int:
    return (await factories.open_case(db, description="Lampu mati")).id


async def _events(db, case_id: int) -> list[Event]:
    async with db.session() as session:
        stmt = select(Event).where(Event.case_id == case_id).order_by(Event.id)
        return list((await session.scalars(stmt)).all())


async def test_apply_sets_status_and_stamps_and_writes_the_tables_event(db):
    case_id = await _open(db)
    async with db.session() as session:
        case = await session.get(Case, case_id)
        await apply(session, case, Action.VERIFY, ADMIN, reason="lengkap", at=AT)
        case.opd_code, case.sla_class = "PUPR", "informasi"
        await apply(session, case, Action.DISPOSE, ADMIN, at=AT)
        payload = ResponsePayload(message="Sudah", final=True, status="resolved")
        await apply(session, case, Action.RESOLVE, OPD, payload=payload, at=AT)
    async with db.session() as session:
        case = await session.get(Case, case_id)
        assert case.status == "resolved"
        assert case.verified_at is not None and case.disposed_at is not None
        assert case.first_response_at is not None and case.resolved_at is not None
    events = await _events(db, case_id)
    assert [e.type for e in events] == [
        CaseEvent.RECEIVED,
        CaseEvent.VERIFIED,
        CaseEvent.DISPOSED,
        CaseEvent.RESOLVED,
    ]
    assert events[1].reason == "lengkap"
    assert events[3].data == {"message": "Sudah", "final": True, "status": "resolved"}


async def test_apply_refuses_what_the_table_refuses_and_writes_nothing(db):
    case_id = await _open(db)
    async with db.session() as session:
        case = await session.get(Case, case_id)
        with pytest.raises(TransitionRefused) as refused:
            await apply(session, case, Action.RESOLVE, OPD)
        assert refused.value.code == "invalid_state"
        with pytest.raises(TransitionRefused) as refused:
            await apply(session, case, Action.ARCHIVE, ADMIN)
        assert refused.value.code == "reason_required"
    async with db.session() as session:
        assert (await session.get(Case, case_id)).status == "received"
    assert [e.type for e in await _events(db, case_id)] == [CaseEvent.RECEIVED]


async def test_apply_to_many_moves_only_cases_the_transition_still_applies_to(db):
    waiting, moved_on = await _open(db), await _open(db)
    async with db.session() as session:
        for case_id in (waiting, moved_on):
            case = await session.get(Case, case_id)
            await apply(session, case, Action.REQUEST_INFO, ADMIN, reason="foto?")
        await apply(session, await session.get(Case, moved_on), Action.PROVIDE_INFO, SYSTEM)
    async with db.session() as session:
        moved = await apply_to_many(
            session,
            {c: EndedPayload(by="sla", reason_code="incomplete") for c in (waiting, moved_on)},
            Action.ARCHIVE,
            reason="Data tidak dilengkapi",
            at=AT,
        )
    assert moved == {waiting}
    async with db.session() as session:
        archived = await session.get(Case, waiting)
        assert (archived.status, archived.archive_reason) == ("archived", "Data tidak dilengkapi")
        assert archived.archived_at is not None
        assert (await session.get(Case, moved_on)).status == "received"
    [event] = [e for e in await _events(db, waiting) if e.type == CaseEvent.ARCHIVED]
    assert event.actor_type == SYSTEM.type and event.data == {
        "by": "sla",
        "reason_code": "incomplete",
    }
    assert not [e for e in await _events(db, moved_on) if e.type == CaseEvent.ARCHIVED]
