"""The typed case events: every type has a payload model, data is checked when emitted,
consumers read it back as the model, and the lifecycle, labels and mirror use the types."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.sync.mirror.planning import RESPONSE_EVENTS, STATUS_EVENTS
from shared.auth import SYSTEM
from shared.cases.events import (
    AUDIT_ONLY,
    PAYLOADS,
    CaseEvent,
    DisposedPayload,
    InvalidEventData,
    checked_data,
    payload_of,
)
from shared.cases.labels import APP_TIMELINE, EVENT_LABELS, PUBLIC_TIMELINE, STATUS_LABELS
from shared.events import NewEvent, emit, emit_many
from shared.events.subscriptions import consumers_for
from shared.lifecycle import TRANSITIONS, Action, Status
from shared.models import Event


def test_every_case_event_has_a_payload_model_and_a_label():
    assert set(PAYLOADS) == set(CaseEvent)
    assert set(EVENT_LABELS) == set(CaseEvent)
    assert set(STATUS_LABELS) == set(Status)


def test_every_lifecycle_transition_writes_a_typed_event():
    assert all(isinstance(t.event, CaseEvent) for t in TRANSITIONS.values())


def test_unknown_keys_wrong_types_and_unknown_case_types_are_refused():
    with pytest.raises(InvalidEventData, match="opd_code"):
        checked_data(CaseEvent.DISPOSED, {"opd_code": "PUPR"})  # the key no emitter writes
    with pytest.raises(InvalidEventData):
        checked_data(CaseEvent.RATED, {"rating": "4"})  # strict: no coercion
    with pytest.raises(InvalidEventData, match="unknown case event"):
        checked_data("case.deleted", {})
    assert checked_data("sla.warning", {"anything": 1}) == {"anything": 1}


def test_data_is_stored_as_given_and_read_back_as_the_model():
    data = {"opd": "PUPR", "copies": ["DLH"]}
    assert checked_data(CaseEvent.DISPOSED, data) == data  # nothing invented
    event = Event(type=CaseEvent.DISPOSED.value, data={**data, "dropped_since": True})
    payload = payload_of(event)
    assert isinstance(payload, DisposedPayload)
    assert (payload.opd, payload.copies, payload.opd_name) == ("PUPR", ["DLH"], None)
    assert payload_of(Event(type="sla.breached", data={})) is None


async def test_emit_and_emit_many_check_the_payload(db):
    async with db.session() as session:
        with pytest.raises(InvalidEventData):
            await emit(session, CaseEvent.RESPONDED, SYSTEM, data={"body": "typo"})
        with pytest.raises(InvalidEventData):
            await emit_many(session, [NewEvent(CaseEvent.CLOSED, SYSTEM, data={"why": "x"})])
        await session.rollback()
    async with db.session() as session:
        assert (await session.scalars(select(Event))).all() == []


def test_audit_only_events_queue_no_delivery_and_the_rest_fan_out():
    for event in AUDIT_ONLY:
        assert consumers_for(event) == ()
    assert consumers_for(CaseEvent.RECEIVED) == ("routing", "sla", "sync", "notify")
    assert consumers_for(CaseEvent.VERIFIED) == ("sla", "sync", "notify")


def test_public_timeline_is_the_lifecycle_without_internal_hand_offs():
    internal = {t.event for t in TRANSITIONS.values() if t.internal}
    assert internal == {CaseEvent.RETURNED, CaseEvent.REFERRED_APIP}
    assert set(PUBLIC_TIMELINE) == {CaseEvent.RECEIVED} | {
        t.event for t in TRANSITIONS.values() if not t.internal
    }
    assert set(APP_TIMELINE) - set(PUBLIC_TIMELINE) == internal | {
        CaseEvent.MESSAGE_RECEIVED,
        CaseEvent.RATED,
    }


def test_the_mirrors_status_table_is_the_lifecycles():
    for transition in TRANSITIONS.values():
        if transition.action in (Action.RESPOND, Action.RESOLVE):
            assert transition.event in RESPONSE_EVENTS
        elif transition.action == Action.FORWARD_NATIONAL:
            assert transition.event not in STATUS_EVENTS  # a reject of its own
        else:
            assert STATUS_EVENTS[transition.event] == transition.target
    assert RESPONSE_EVENTS == {CaseEvent.RESPONDED: "in_progress", CaseEvent.RESOLVED: "resolved"}
