"""Inbound by polling (the main path): national status changes, reporter follow-ups and
ratings become local events exactly once; cases forwarded in are discovered once;
an unknown status code holds the case's mirror."""

from __future__ import annotations

from sqlalchemy import select

from services.sync.inbound.service import poll_once
from services.sync.lapor import mapping
from services.sync.ops.service import mirror_state
from shared.models import Case, CaseMessage, Reporter
from tests.sync.test_mirror_support import (
    act,
    events_of,
    open_case,
    settle,
    with_search,
)


async def mirrored_case(app, lapor_sim_admin) -> tuple[int, str, int]:
    case_id, tracking_id = await open_case(app)
    await settle(app)
    [national] = [
        c
        for c in await lapor_sim_admin.complaints()
        if tracking_id.lower() in c["tags_raw"].lower()
    ]
    return case_id, tracking_id, national["complaint_id"]


async def test_a_national_status_change_is_recorded_once_and_does_not_move_the_case(
    sync_app, lapor_sim_admin
):
    case_id, _, complaint_id = await mirrored_case(sync_app, lapor_sim_admin)
    await poll_once(sync_app.state.ctx)
    assert await events_of(sync_app, "lapor.status_changed") == []  # our own create: nothing

    await lapor_sim_admin.set_status(complaint_id, mapping.STATUS_SELESAI)
    await poll_once(sync_app.state.ctx)
    await poll_once(sync_app.state.ctx)
    [event] = await events_of(sync_app, "lapor.status_changed", case_id)
    assert event.data["to_code"] == mapping.STATUS_SELESAI
    assert event.data["national_status"] == "resolved"
    assert event.actor_type == "lapor"
    async with sync_app.state.db.session() as session:
        case = await session.get(Case, case_id)
    assert case.status == "received"  # decision: no automatic local transition
    assert case.lapor_status_code == mapping.STATUS_SELESAI


async def test_our_own_pushes_are_not_reported_as_national_changes(sync_app, lapor_sim_admin):
    case_id, _, _ = await mirrored_case(sync_app, lapor_sim_admin)
    await act(sync_app, case_id, "case.verified", "verified")
    await act(sync_app, case_id, "case.resolved", "resolved", data={"message": "Beres."})
    await settle(sync_app)
    await poll_once(sync_app.state.ctx)
    assert await events_of(sync_app, "lapor.status_changed") == []


async def test_reporter_followups_and_a_rating_arrive_once(sync_app, lapor_sim_admin):
    case_id, _, complaint_id = await mirrored_case(sync_app, lapor_sim_admin)
    await lapor_sim_admin.reporter_followup(complaint_id, "Sudah seminggu belum ada tindakan.")
    await lapor_sim_admin.reporter_followup(complaint_id, "Mohon segera.")
    await lapor_sim_admin.rate(complaint_id, 4, "Cukup cepat")
    for _ in range(3):
        await poll_once(sync_app.state.ctx)
    received = await events_of(sync_app, "lapor.followup_received", case_id)
    assert len(received) == 2
    [rated] = await events_of(sync_app, "case.rated", case_id)
    assert rated.actor_type == "lapor" and rated.data["rating"] == 4
    async with sync_app.state.db.session() as session:
        messages = list(
            await session.scalars(
                select(CaseMessage.body).where(
                    CaseMessage.case_id == case_id, CaseMessage.kind == "reporter"
                )
            )
        )
        case = await session.get(Case, case_id)
    assert sorted(messages) == ["Mohon segera.", "Sudah seminggu belum ada tindakan."]
    assert (case.rating, case.rating_comment) == (4, "Cukup cepat")
    await settle(sync_app)  # case.rated by lapor is not mirrored back
    national = await lapor_sim_admin.complaint(complaint_id)
    assert [f["from"] for f in national["followups"]] == ["pelapor", "pelapor"]


async def test_a_case_forwarded_in_by_national_admins_is_opened_once(
    sync_app, lapor_sim, lapor_sim_admin
):
    await with_search(sync_app, lapor_sim)  # forwarded cases are found by the national list
    complaint_id = await lapor_sim_admin.forward(
        title="Izin usaha lambat",
        content="Pengurusan izin usaha sudah sebulan.",
        category_id=190,
        reporter={"name": "Siti Aminah"},
    )
    await poll_once(sync_app.state.ctx)
    await poll_once(sync_app.state.ctx)
    async with sync_app.state.db.session() as session:
        [case] = list(await session.scalars(select(Case).where(Case.channel == "lapor")))
        reporter = await session.get(Reporter, case.id)
        state = await mirror_state(session, case.id)
    assert case.lapor_complaint_id == complaint_id
    assert case.category_code == "PERIZINAN"
    assert reporter.name == "Siti Aminah"
    assert state["origin"] == "national" and state["state"] == "created"
    [received] = await events_of(sync_app, "case.received", case.id)
    assert received.actor_type == "lapor"
    await settle(sync_app)  # its case.received is not mirrored back as a new national case
    assert len(await lapor_sim_admin.complaints()) == 1

    await act(sync_app, case.id, "case.verified", "verified")  # already 2 nationally: no push
    await act(sync_app, case.id, "case.responded", "in_progress", data={"message": "Diproses."})
    await settle(sync_app)
    national = await lapor_sim_admin.complaint(complaint_id)
    assert [(f["from"], f["content"]) for f in national["followups"]] == [("instansi", "Diproses.")]


async def test_an_unknown_status_code_holds_the_mirror_until_released(
    sync_app, lapor_sim_admin, client, admin_headers
):
    case_id, tracking_id, complaint_id = await mirrored_case(sync_app, lapor_sim_admin)
    await lapor_sim_admin.set_status(complaint_id, 77)
    await poll_once(sync_app.state.ctx)
    async with sync_app.state.db.session() as session:
        state = await mirror_state(session, case_id)
    assert state["state"] == "held"
    assert "77" in state["held_reason"]
    assert await events_of(sync_app, "lapor.status_changed") == []
    [held] = await events_of(sync_app, "lapor.mirror_held", case_id)
    assert held.data["status_code"] == 77

    await act(sync_app, case_id, "case.verified", "verified")
    consumer = next(c for s in sync_app.state.specs for c in s.consumers if c.name == "sync")
    await consumer.run_once(sync_app.state.ctx)  # held: deferred, nothing sent
    assert (await lapor_sim_admin.complaint(complaint_id))["followups"] == []

    await lapor_sim_admin.set_status(complaint_id, mapping.STATUS_BELUM_TERVERIFIKASI)
    response = await client.post(f"/admin/sync/cases/{tracking_id}/resync", headers=admin_headers)
    assert response.status_code == 202
    await settle(sync_app)
    national = await lapor_sim_admin.complaint(complaint_id)
    assert national["status_code"] == mapping.STATUS_TERVERIFIKASI
    async with sync_app.state.db.session() as session:
        assert (await mirror_state(session, case_id))["state"] == "created"
