"""The outbound mirror against the real simulator: create once with the tracking tag,
statuses and responses as follow-ups in order, privacy, refusals, pause and resume."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select

from services.sync.lapor import mapping
from services.sync.mirror.support import LAPOR_ACTOR
from services.sync.ops.service import mirror_state
from shared.models import Attachment, EventDelivery
from shared.models.sync import LaporOutboundOp
from tests.sync.test_mirror_support import (
    NIK,
    act,
    by_tag,
    fast_client,
    open_case,
    settle,
    sync_backlog,
    sync_consumer,
    use_client,
)


async def test_a_received_case_is_created_nationally_once_with_its_tag(sync_app, lapor_sim_admin):
    case_id, tracking_id = await open_case(
        sync_app, description=f"Jalan rusak. NIK saya {NIK}, hubungi 0812-3456-7890."
    )
    await settle(sync_app)
    await settle(sync_app)  # a second run changes nothing
    complaints = await lapor_sim_admin.complaints()
    [national] = by_tag(complaints, tracking_id)
    assert national["is_anonymous"] == 0 and national["is_secret"] == 0
    assert national["reporter_name"] == "Budi Santoso"
    assert NIK not in national["content"] and "3456" not in national["content"]
    async with sync_app.state.db.session() as session:
        state = await mirror_state(session, case_id)
    assert state["state"] == "created"
    assert state["lapor_complaint_id"] == national["complaint_id"]
    assert state["national_status_code"] == mapping.STATUS_BELUM_TERVERIFIKASI


async def test_an_anonymous_case_carries_no_identity(sync_app, lapor_sim_admin):
    _, tracking_id = await open_case(
        sync_app, anonymous=True, confidential=True, description="Pungli oleh Budi Santoso."
    )
    await settle(sync_app)
    [national] = by_tag(await lapor_sim_admin.complaints(), tracking_id)
    assert national["is_anonymous"] == 1 and national["is_secret"] == 1
    assert national["reporter_name"] is None
    assert "Budi Santoso" not in national["content"]
    assert "reporter_name" not in national["payload"]


async def test_status_changes_and_responses_follow_in_order(sync_app, lapor_sim_admin):
    case_id, tracking_id = await open_case(sync_app)
    await act(sync_app, case_id, "case.verified", "verified")
    await act(sync_app, case_id, "case.disposed", "disposed", data={"opd": "DINKES"})
    await act(
        sync_app, case_id, "case.responded", "in_progress", data={"message": "Tim sudah survei."}
    )
    await act(
        sync_app, case_id, "case.resolved", "resolved", data={"message": "Jalan sudah ditambal."}
    )
    await settle(sync_app)
    [national] = by_tag(await lapor_sim_admin.complaints(), tracking_id)
    contents = [f["content"] for f in national["followups"]]
    # verified pushes one follow-up; disposed keeps the national code (2): nothing sent
    assert contents == [
        "Laporan Anda telah diverifikasi oleh Admin Instansi.",
        "Tim sudah survei.",
        "Jalan sudah ditambal.",
    ]
    assert national["status_code"] == mapping.STATUS_SELESAI
    assert [log["status_new"] for log in national["logs"]] == [0, 2, 3, 4]


async def test_events_written_by_lapor_are_not_mirrored_back(sync_app, lapor_sim_admin):
    case_id, tracking_id = await open_case(sync_app)
    await settle(sync_app)
    await act(sync_app, case_id, "case.rated", None, actor=LAPOR_ACTOR, data={"rating": 5})
    await act(sync_app, case_id, "case.verified", "verified", actor=LAPOR_ACTOR)
    await settle(sync_app)
    [national] = by_tag(await lapor_sim_admin.complaints(), tracking_id)
    assert national["followups"] == []


async def test_forward_national_rejects_as_not_authority(sync_app, lapor_sim_admin):
    case_id, tracking_id = await open_case(sync_app)
    await act(
        sync_app,
        case_id,
        "case.forwarded_national",
        "forwarded_national",
        reason="Kewenangan kementerian",
        data={"lapor_institution_id": 2},
    )
    await settle(sync_app)
    [national] = by_tag(await lapor_sim_admin.complaints(), tracking_id)
    assert national["disposition_id"] == 2
    assert national["logs"][-1]["content"] == "Kewenangan kementerian"


async def test_a_refusal_dead_letters_at_once_keeps_the_body_and_replays(
    sync_app, lapor_sim, lapor_sim_admin
):
    good = sync_app.state.ctx.resources["lapor"]
    sync_app.state.ctx.resources["lapor"] = fast_client(lapor_sim, institution_id=424242)
    case_id, tracking_id = await open_case(sync_app)
    await sync_consumer(sync_app).run_once(sync_app.state.ctx)
    async with sync_app.state.db.session() as session:
        delivery = await session.scalar(
            select(EventDelivery).where(EventDelivery.consumer == "sync")
        )
        op = await session.scalar(select(LaporOutboundOp))
    assert delivery.status == "dead" and delivery.attempts == 1
    assert op.status == "dead"
    assert op.response_body == {"results": {"message": "disposition_id tidak dikenal"}}
    assert await lapor_sim_admin.complaints() == []

    await use_client(sync_app, good)
    async with sync_app.state.db.session() as session:
        from shared.events.outbox import replay

        assert await replay(session, delivery_id=delivery.id) == 1
    await settle(sync_app)
    assert len(by_tag(await lapor_sim_admin.complaints(), tracking_id)) == 1


async def test_pause_defers_everything_and_resume_continues_in_order(
    sync_app, client, admin_headers, lapor_sim_admin
):
    response = await client.post(
        "/admin/sync/pause", json={"reason": "SPLP maintenance"}, headers=admin_headers
    )
    assert response.status_code == 200
    case_id, tracking_id = await open_case(sync_app)
    await act(sync_app, case_id, "case.verified", "verified")
    await sync_consumer(sync_app).run_once(sync_app.state.ctx)
    assert await sync_backlog(sync_app) == 2
    assert await lapor_sim_admin.complaints() == []
    async with sync_app.state.db.session() as session:
        attempts = list(
            await session.scalars(
                select(EventDelivery.attempts).where(EventDelivery.consumer == "sync")
            )
        )
    assert attempts == [0, 0]  # a Defer burns no attempt

    assert (await client.post("/admin/sync/resume", headers=admin_headers)).status_code == 200
    await settle(sync_app)
    [national] = by_tag(await lapor_sim_admin.complaints(), tracking_id)
    assert national["status_code"] == mapping.STATUS_TERVERIFIKASI


async def test_stored_attachments_are_uploaded_before_the_create(
    sync_app, settings, lapor_sim_admin
):
    case_id, tracking_id = await open_case(sync_app)
    content = b"%PDF-1.7 surat pengantar"
    digest = hashlib.sha256(content).hexdigest()
    key = f"{digest[:2]}/{digest}"
    path = Path(settings.data_dir) / "attachments" / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    async with sync_app.state.db.session() as session:
        session.add(
            Attachment(
                case_id=case_id,
                filename="surat.pdf",
                content_type="application/pdf",
                storage_key=key,
                size_bytes=len(content),
            )
        )
        session.add(Attachment(case_id=case_id, filename="foto", url="https://x.test/a.jpg"))
    await settle(sync_app)
    [national] = by_tag(await lapor_sim_admin.complaints(), tracking_id)
    assert len(national["attachments"]) == 1
