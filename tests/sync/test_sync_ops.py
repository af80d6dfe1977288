"""``/admin/sync/...``: roles, status and gauges, dead letters and replay, forced re-sync."""

from __future__ import annotations

from tests.sync.test_mirror_support import (
    by_tag,
    fast_client,
    open_case,
    settle,
    sync_consumer,
    use_client,
)


async def test_viewers_read_operators_act_opd_is_refused(sync_app, client, make_token):
    viewer = {"Authorization": f"Bearer {await make_token('viewer')}"}
    operator = {"Authorization": f"Bearer {await make_token('operator')}"}
    opd = {"Authorization": f"Bearer {await make_token('opd', 'DINKES')}"}
    assert (await client.get("/admin/sync/status", headers=viewer)).status_code == 200
    assert (await client.post("/admin/sync/pause", headers=viewer)).status_code == 403
    assert (await client.get("/admin/sync/status", headers=opd)).status_code == 403
    assert (await client.get("/admin/sync/status")).status_code == 401
    assert (await client.post("/admin/sync/pause", headers=operator)).status_code == 200
    status = (await client.get("/admin/sync/status", headers=viewer)).json()
    assert status["paused"] is True
    assert (await client.post("/admin/sync/resume", headers=operator)).status_code == 200


async def test_status_shows_backlog_breaker_and_feeds_the_gauges(sync_app, client, admin_headers):
    await open_case(sync_app)
    await open_case(sync_app)
    body = (await client.get("/admin/sync/status", headers=admin_headers)).json()
    assert body["backlog"]["pending"] == 2
    assert body["breaker"]["state"] == "closed"
    assert body["paused"] is False
    metrics = (await client.get("/metrics")).text
    assert "simpul_lapor_sync_backlog 2.0" in metrics
    assert "simpul_lapor_circuit_state 0.0" in metrics
    await settle(sync_app)
    body = (await client.get("/admin/sync/status", headers=admin_headers)).json()
    assert body["backlog"]["pending"] == 0
    assert body["mirror"]["created"] == 2
    assert body["operations"] == {"done": 2}


async def test_dead_letters_are_listed_and_replayed(
    sync_app, client, admin_headers, lapor_sim, lapor_sim_admin
):
    good = sync_app.state.ctx.resources["lapor"]
    sync_app.state.ctx.resources["lapor"] = fast_client(lapor_sim, institution_id=424242)
    _, tracking_id = await open_case(sync_app)
    await sync_consumer(sync_app).run_once(sync_app.state.ctx)
    listed = (await client.get("/admin/sync/dead-letters", headers=admin_headers)).json()["items"]
    [dead] = listed
    assert dead["event_type"] == "case.received" and "refused create" in dead["last_error"]
    mirror = (await client.get(f"/admin/sync/cases/{tracking_id}", headers=admin_headers)).json()
    assert mirror["operations"][0]["status"] == "dead"
    assert mirror["operations"][0]["response_body"]["results"]["message"]

    await use_client(sync_app, good)
    missing = await client.post("/admin/sync/dead-letters/999999/replay", headers=admin_headers)
    assert missing.status_code == 404
    response = await client.post(
        f"/admin/sync/dead-letters/{dead['delivery_id']}/replay", headers=admin_headers
    )
    assert response.json() == {"replayed": 1}
    await settle(sync_app)
    assert len(by_tag(await lapor_sim_admin.complaints(), tracking_id)) == 1
    assert (await client.get("/admin/sync/dead-letters", headers=admin_headers)).json()[
        "items"
    ] == []
    replay_all = await client.post("/admin/sync/dead-letters/replay", headers=admin_headers)
    assert replay_all.json() == {"replayed": 0}


async def test_a_forced_resync_recreates_nothing_that_exists(
    sync_app, client, admin_headers, lapor_sim_admin
):
    _, tracking_id = await open_case(sync_app)
    await settle(sync_app)
    response = await client.post(f"/admin/sync/cases/{tracking_id}/resync", headers=admin_headers)
    assert response.status_code == 202
    await settle(sync_app)
    assert len(by_tag(await lapor_sim_admin.complaints(), tracking_id)) == 1
    unknown = await client.post("/admin/sync/cases/ZZZZZZZZ/resync", headers=admin_headers)
    assert unknown.status_code == 404
