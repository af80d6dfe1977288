""" "Perlu konfirmasi": with search off (the default), an uncertain create is never sent
again on a guess; operators see what to look up (API, board, case mirror) and settle it —
"created as national id N" (409 when N belongs to another case) or "not created"."""

from __future__ import annotations

from services.sync.lapor import mapping
from tests.sync.test_mirror_support import (
    by_tag,
    events_of,
    open_case,
    settle,
    sync_consumer,
    unconfirmed_count,
)


async def uncertain_create(app, sim_admin, **case) -> tuple[int, str]:
    """A case whose create committed nationally but whose answer was lost."""
    await sim_admin.faults(commit_then_timeout_rate=1.0, timeout_s=1.0)
    case_id, tracking_id = await open_case(app, **case)
    await sync_consumer(app).run_once(app.state.ctx)  # the create times out: to_confirm
    await sync_consumer(app).run_once(app.state.ctx)  # and it stays there
    await sim_admin.clear_faults()
    return case_id, tracking_id


async def test_an_uncertain_create_waits_for_an_operator_and_is_never_resent(
    sync_app, lapor_sim_admin, client, admin_headers
):
    case_id, tracking_id = await uncertain_create(sync_app, lapor_sim_admin, title="Jalan rusak")
    assert len(by_tag(await lapor_sim_admin.complaints(), tracking_id)) == 1
    assert (await lapor_sim_admin.stats())["requests"] == 1  # no second create, no search
    assert await unconfirmed_count(sync_app) == 1
    [alert] = await events_of(sync_app, "lapor.create_unconfirmed", case_id)
    assert alert.actor_type == "system"

    response = await client.get("/admin/sync/unconfirmed", headers=admin_headers)
    assert response.status_code == 200
    [item] = response.json()["items"]
    assert item["tracking_id"] == tracking_id
    assert item["tag"] == f"#simpul-{tracking_id}" and item["title"] == "Jalan rusak"
    assert item["sent_at"] and item["tag"] in item["hint"] and "WIB" in item["hint"]
    status = (await client.get("/admin/sync/status", headers=admin_headers)).json()
    assert status["mirror"]["to_confirm"] == 1
    mirror = (await client.get(f"/admin/sync/cases/{tracking_id}", headers=admin_headers)).json()
    assert mirror["state"] == "to_confirm" and mirror["confirmation"]["tag"] == item["tag"]
    case = (await client.get(f"/admin/cases/{tracking_id}", headers=admin_headers)).json()
    assert case["mirror"]["state"] == "to_confirm" and case["mirror"]["needs_confirmation"]


async def test_confirming_created_links_re_reads_and_sends_what_waited(
    sync_app, lapor_sim_admin, client, admin_headers
):
    case_id, tracking_id = await uncertain_create(sync_app, lapor_sim_admin)
    from tests.sync.test_mirror_support import act

    await act(sync_app, case_id, "case.verified", "verified")
    [national] = by_tag(await lapor_sim_admin.complaints(), tracking_id)
    url = f"/admin/sync/cases/{tracking_id}/confirm"
    body = {"outcome": "created", "lapor_complaint_id": national["complaint_id"]}
    response = await client.post(url, json=body, headers=admin_headers)
    assert response.status_code == 200, response.text
    await settle(sync_app)
    [national] = by_tag(await lapor_sim_admin.complaints(), tracking_id)  # still one
    assert national["status_code"] == mapping.STATUS_TERVERIFIKASI  # the waiting push went
    [confirmed] = await events_of(sync_app, "lapor.create_confirmed", case_id)
    assert confirmed.data == {"outcome": "created", "lapor_complaint_id": national["complaint_id"]}
    again = await client.post(url, json=body, headers=admin_headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_awaiting_confirmation"


async def test_a_national_id_of_another_case_is_refused_with_409(
    sync_app, lapor_sim_admin, client, admin_headers
):
    _, linked = await open_case(sync_app, description="Sudah tersinkron.")
    await settle(sync_app)
    [other] = by_tag(await lapor_sim_admin.complaints(), linked)
    _, tracking_id = await uncertain_create(sync_app, lapor_sim_admin)
    url = f"/admin/sync/cases/{tracking_id}/confirm"
    taken = await client.post(
        url,
        json={"outcome": "created", "lapor_complaint_id": other["complaint_id"]},
        headers=admin_headers,
    )
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "national_id_linked"
    unknown = await client.post(
        url, json={"outcome": "created", "lapor_complaint_id": 987654}, headers=admin_headers
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "national_id_unknown"
    foreign = await lapor_sim_admin.forward(
        title="Lain", content="Kasus lain", tags_raw="#simpul-ZZZZ"
    )
    wrong = await client.post(
        url, json={"outcome": "created", "lapor_complaint_id": foreign}, headers=admin_headers
    )
    assert wrong.status_code == 409 and wrong.json()["error"]["code"] == "other_case"
    bad = await client.post(url, json={"outcome": "created"}, headers=admin_headers)
    assert bad.status_code == 422
    assert await unconfirmed_count(sync_app) == 1  # none of these settled it


async def test_confirming_not_created_sends_the_create_once_more(
    sync_app, lapor_sim_admin, client, admin_headers, make_token
):
    await lapor_sim_admin.faults(error_rate=1.0)  # a 5xx after sending: uncertain, not stored
    case_id, tracking_id = await open_case(sync_app)
    await sync_consumer(sync_app).run_once(sync_app.state.ctx)
    await lapor_sim_admin.clear_faults()
    assert await unconfirmed_count(sync_app) == 1
    assert by_tag(await lapor_sim_admin.complaints(), tracking_id) == []
    url = f"/admin/sync/cases/{tracking_id}/confirm"
    viewer = {"Authorization": f"Bearer {await make_token('viewer')}"}
    denied = await client.post(url, json={"outcome": "not_created"}, headers=viewer)
    assert denied.status_code == 403
    response = await client.post(url, json={"outcome": "not_created"}, headers=admin_headers)
    assert response.status_code == 200
    await settle(sync_app)
    assert len(by_tag(await lapor_sim_admin.complaints(), tracking_id)) == 1


async def test_the_board_shows_who_must_confirm(sync_app, lapor_sim_admin, client, staff_cookie):
    _, tracking_id = await uncertain_create(sync_app, lapor_sim_admin, title="Banjir rob")
    client.cookies.update(await staff_cookie("operator"))
    page = await client.get("/admin/board")
    assert page.status_code == 200
    assert (
        "perlu konfirmasi" in page.text and tracking_id in page.text and "Banjir rob" in page.text
    )
