"""``POST /webhooks/lapor``: signed, deduplicated by event_id, durable before 2xx, and only
a hint — real (duplicated, reordered) callbacks from the simulator, and none at all."""

from __future__ import annotations

import json
import time
from dataclasses import replace

from sqlalchemy import func, select

from services.sync.inbound.service import poll_once
from services.sync.lapor import mapping, signing
from shared.models.sync import LaporCallback
from tests.sync.test_mirror_support import (
    FAST_TUNING,
    events_of,
    open_case,
    settle,
    with_search,
)

SECRET = "demo-lapor-webhook-secret"


def signed(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    return {
        "Content-Type": "application/json",
        signing.TIMESTAMP_HEADER: ts,
        signing.SIGNATURE_HEADER: signing.sign(secret, ts, body),
    }


async def stored_callbacks(app) -> int:
    async with app.state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(LaporCallback)))


async def test_a_bad_signature_or_stale_timestamp_is_401_and_stores_nothing(sync_app, client):
    body = json.dumps(
        {"event_id": "e-1", "type": "complaint.status_changed", "complaint_id": 1}
    ).encode()
    wrong = await client.post("/webhooks/lapor", content=body, headers=signed(body, secret="nope"))
    stale = await client.post(
        "/webhooks/lapor", content=body, headers=signed(body, timestamp=int(time.time()) - 3600)
    )
    missing = await client.post("/webhooks/lapor", content=body)
    assert [r.status_code for r in (wrong, stale, missing)] == [401, 401, 401]
    assert wrong.json()["error"]["code"] == "invalid_signature"
    assert await stored_callbacks(sync_app) == 0
    metrics = (await client.get("/metrics")).text
    assert 'simpul_lapor_callbacks_total{outcome="rejected_mismatch"}' in metrics
    assert 'simpul_lapor_callbacks_total{outcome="rejected_stale"}' in metrics


async def test_a_signed_callback_without_event_id_is_422(sync_app, client):
    body = b'{"type": "complaint.rated"}'
    response = await client.post("/webhooks/lapor", content=body, headers=signed(body))
    assert response.status_code == 422
    assert await stored_callbacks(sync_app) == 0


async def test_duplicated_and_reordered_callbacks_are_hints_acted_on_once(
    sync_app, client, lapor_sim_admin, lapor_callback_receiver
):
    # Long polling intervals: without a hint nothing would be re-read in this test.
    sync_app.state.ctx.resources["sync_tuning"] = replace(
        FAST_TUNING, poll_after_read_s=3600, poll_after_error_s=3600, poll_young_s=3600
    )
    case_id, tracking_id = await open_case(sync_app)
    await settle(sync_app)
    await poll_once(sync_app.state.ctx)  # first read; next one in an hour
    [national] = [c for c in await lapor_sim_admin.complaints() if tracking_id in c["tags_raw"]]
    complaint_id = national["complaint_id"]

    await lapor_sim_admin.faults(
        callback_url=lapor_callback_receiver.url,
        callback_duplicate_rate=1.0,
        callback_reorder=True,
        callback_reorder_delay_ms=50,
    )
    await lapor_sim_admin.set_status(complaint_id, mapping.STATUS_DITINDAKLANJUTI)
    await lapor_sim_admin.reporter_followup(complaint_id, "Terima kasih, ditunggu.")
    await lapor_sim_admin.rate(complaint_id, 5, "Mantap")
    forwarded = await lapor_sim_admin.forward(
        title="Parkir liar", content="Parkir liar di alun-alun."
    )
    await lapor_sim_admin.drain_callbacks()
    received = await lapor_callback_receiver.wait_for(8)
    assert len(received) == 8  # four events, each delivered twice

    answers = []
    for request in received:  # as delivered: duplicated, possibly out of order
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.startswith("x-lapor") or k == "content-type"
        }
        response = await client.post("/webhooks/lapor", content=request.body, headers=headers)
        assert response.status_code == 200
        answers.append(response.json()["duplicate"])
    assert sorted(answers) == [False] * 4 + [True] * 4
    assert await stored_callbacks(sync_app) == 4

    await poll_once(sync_app.state.ctx)
    await poll_once(sync_app.state.ctx)
    assert len(await events_of(sync_app, "lapor.status_changed", case_id)) == 1
    assert len(await events_of(sync_app, "lapor.followup_received", case_id)) == 1
    assert len(await events_of(sync_app, "case.rated", case_id)) == 1
    imported = [e for e in await events_of(sync_app, "case.received") if e.actor_type == "lapor"]
    assert [e.data["lapor_complaint_id"] for e in imported] == [forwarded]


async def test_with_callbacks_off_polling_alone_gets_everything(
    sync_app, lapor_sim, lapor_sim_admin
):
    await with_search(sync_app, lapor_sim)  # forwarded cases are found by the national list
    await lapor_sim_admin.faults(callbacks=False)
    case_id, tracking_id = await open_case(sync_app)
    await settle(sync_app)
    [national] = [c for c in await lapor_sim_admin.complaints() if tracking_id in c["tags_raw"]]
    await lapor_sim_admin.set_status(national["complaint_id"], mapping.STATUS_DIPENDING)
    await lapor_sim_admin.reporter_followup(national["complaint_id"], "Data KTP terlampir.")
    await lapor_sim_admin.forward(title="Lampu mati", content="Lampu jalan mati.")
    await poll_once(sync_app.state.ctx)
    assert len(await events_of(sync_app, "lapor.status_changed", case_id)) == 1
    assert len(await events_of(sync_app, "lapor.followup_received", case_id)) == 1
    assert (
        len([e for e in await events_of(sync_app, "case.received") if e.actor_type == "lapor"]) == 1
    )
    assert (await lapor_sim_admin.stats())["callbacks_sent"] == 0
