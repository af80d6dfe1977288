"""The LAPOR! simulator as a real HTTP server, driven by the real LaporClient."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from services.sync.lapor import LaporProfile, mapping, signing
from services.sync.lapor.client import LaporClient
from services.sync.lapor.errors import (
    LaporAuthError,
    LaporTerminalError,
    LaporTransientError,
    LaporUncertainOutcome,
    UnknownStatusCode,
)
from services.sync.lapor.models import CaseForLapor, LaporFile
from services.sync.simulator import close_simulator, create_simulator_app
from services.sync.simulator.app import DEMO_CALLBACK_SECRET

KEY = "demo-auth-key"
TOKEN = "demo-token"
CLIENT_TIMEOUT_S = 0.5


def make_client(base_url: str, **overrides) -> LaporClient:
    options = {
        "timeout_s": CLIENT_TIMEOUT_S,
        "rate_limit_per_s": 0,
        "retry_attempts": 2,
        "retry_backoff_s": 0.01,
        "max_retry_after_s": 2,
        "breaker_failure_threshold": 100,
    }
    options.update(overrides)
    return LaporClient(base_url, KEY, TOKEN, **options)


@pytest.fixture
async def lapor(lapor_sim):
    client = make_client(lapor_sim)
    yield client
    await client.aclose()


def case(tracking_id: str = "ABC123", **overrides) -> CaseForLapor:
    values = {
        "tracking_id": tracking_id,
        "title": "Jalan berlubang",
        "description": "Jalan di depan SDN 3 berlubang besar.",
        "category_code": "JALAN",
        "reporter_name": "Siti Aminah",
    }
    values.update(overrides)
    return CaseForLapor(**values)


# -- auth ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("key", "token"), [("wrong", TOKEN), (KEY, "wrong"), ("wrong", "wrong")])
async def test_wrong_static_headers_are_401(lapor_sim, key, token):
    async with LaporClient(lapor_sim, key, token, timeout_s=2, rate_limit_per_s=0) as client:
        with pytest.raises(LaporAuthError) as caught:
            await client.get_complaint(1)
    assert caught.value.status_code == 401
    assert "message" in caught.value.body["results"]


# -- the calls -------------------------------------------------------------------------------
async def test_create_get_follow_up_and_reject(lapor, lapor_sim_admin):
    complaint_id = await lapor.create_complaint(case())
    complaint = await lapor.get_complaint(complaint_id)
    assert complaint.status_name == "Belum Terverifikasi"
    assert complaint.simpul_status == "received"
    assert complaint.tracking_id == "ABC123"
    assert complaint.category_id == LaporProfile().category_id_for("JALAN")
    assert complaint.created_at is not None and complaint.created_at.tzinfo is not None
    [created] = complaint.logs
    assert created.status_new == "Belum Terverifikasi"  # from the log's ``data`` string
    assert created.institution_to == "Pemerintah Kabupaten Demo"  # an {id, name} object
    assert created.content == "Laporan dibuat dan diteruskan ke Pemerintah Kabupaten Demo"
    assert [log.note for log in complaint.status_logs] == ["Laporan diterima"]

    followup_id = await lapor.add_followup(complaint_id, "Tim PUPR sudah meninjau lokasi.")
    assert isinstance(followup_id, int)
    assert (await lapor.get_complaint(complaint_id)).simpul_status == "in_progress"
    followups = await lapor.get_followups(complaint_id)
    assert [(f.followup_id, f.author) for f in followups] == [(followup_id, "instansi")]

    await lapor.add_followup(
        complaint_id, "Sudah diaspal.", status_code=mapping.national_code_for("resolved")
    )
    assert (await lapor.get_complaint(complaint_id)).simpul_status == "resolved"

    await lapor.reject_not_authority(complaint_id, 2, "Jalan nasional: Kementerian PU")
    moved = await lapor.get_complaint(complaint_id)
    assert moved.disposition_id == 2
    assert (await lapor.list_complaints()).items == ()  # no longer ours
    with pytest.raises(LaporTerminalError) as caught:
        await lapor.reject_not_authority(complaint_id, 3, "again")
    assert caught.value.status_code == 409
    assert (await lapor_sim_admin.stats())["followups"] == 2


async def test_create_is_not_idempotent(lapor, lapor_sim_admin):
    first = await lapor.create_complaint(case("DUP1"))
    second = await lapor.create_complaint(case("DUP1"))
    assert first != second
    assert [c.complaint_id for c in await lapor.find_all_by_tag("dup1")] == [first, second]
    assert (await lapor_sim_admin.stats())["complaints"] == 2


async def test_commit_then_timeout_leaves_a_case_that_find_by_tag_finds(lapor, lapor_sim_admin):
    await lapor_sim_admin.faults(commit_then_timeout_rate=1.0, timeout_s=5)
    with pytest.raises(LaporUncertainOutcome):
        await lapor.create_complaint(case("LOST1"))
    await lapor_sim_admin.clear_faults()

    found = await lapor.find_by_tag("LOST1")
    assert found is not None
    assert [c["complaint_id"] for c in await lapor_sim_admin.complaints()] == [found.complaint_id]
    assert (await lapor_sim_admin.stats())["errors_injected"] == 1


async def test_commit_then_timeout_on_follow_up_stores_it(lapor, lapor_sim_admin):
    complaint_id = await lapor.create_complaint(case())
    await lapor_sim_admin.faults(commit_then_timeout_rate=1.0, timeout_s=5)
    with pytest.raises(LaporUncertainOutcome):
        await lapor.add_followup(complaint_id, "Ditinjau")
    await lapor_sim_admin.clear_faults()
    assert [f.content for f in await lapor.get_followups(complaint_id)] == ["Ditinjau"]


async def test_timeout_before_commit_leaves_nothing(lapor, lapor_sim_admin):
    await lapor_sim_admin.faults(timeout_rate=1.0, fault_scope="writes", timeout_s=5)
    with pytest.raises(LaporUncertainOutcome):
        await lapor.create_complaint(case("GONE1"))
    assert await lapor.find_by_tag("GONE1") is None  # reads are out of the fault's scope


async def test_injected_errors(lapor, lapor_sim_admin):
    await lapor_sim_admin.faults(error_rate=1.0)
    with pytest.raises(LaporUncertainOutcome) as uncertain:
        await lapor.create_complaint(case())
    assert uncertain.value.status_code == 500
    with pytest.raises(LaporTransientError) as transient:
        await lapor.get_complaint(100_001)
    assert transient.value.status_code == 500
    stats = await lapor_sim_admin.stats()
    assert stats["complaints"] == 0
    assert stats["errors_injected"] == 3  # the create and both tries of the GET


async def test_rate_limit_answers_429_with_retry_after(lapor_sim, lapor_sim_admin):
    await lapor_sim_admin.faults(rate_limit_per_s=1)
    async with make_client(lapor_sim, retry_attempts=1) as client:
        await client.list_categories()
        with pytest.raises(LaporTransientError) as caught:
            await client.list_categories()
    assert caught.value.status_code == 429
    assert caught.value.retry_after == 1
    assert (await lapor_sim_admin.stats())["rate_limited"] == 1


async def test_maintenance_answers_503_with_retry_after(lapor, lapor_sim_admin):
    await lapor_sim_admin.faults(maintenance=True, maintenance_retry_after_s=30)
    with pytest.raises(LaporTransientError) as caught:
        await lapor.get_complaint(1)
    assert caught.value.status_code == 503
    assert caught.value.retry_after == 30
    with pytest.raises(LaporTransientError):
        await lapor.create_complaint(case())  # 503 is "not processed": safe to resend
    assert (await lapor_sim_admin.stats())["complaints"] == 0


async def test_updated_since_lists_only_later_changes(lapor, lapor_sim_admin):
    old = await lapor.create_complaint(case("OLD1"))
    await lapor_sim_admin.faults(clock_offset_s=3600)
    new = await lapor.create_complaint(case("NEW1"))
    now = datetime.now(UTC)

    assert [c.complaint_id for c in (await lapor.list_complaints()).items] == [old, new]
    since = await lapor.list_complaints(updated_since=now + timedelta(minutes=30))
    assert [c.complaint_id for c in since.items] == [new]
    assert (await lapor.list_complaints(updated_since=now + timedelta(hours=2))).items == ()


async def test_listing_pages(lapor):
    ids = [await lapor.create_complaint(case(f"PG{i}")) for i in range(5)]
    first = await lapor.list_complaints(page=1, page_size=2)
    assert first.total == 5 and first.has_more
    collected = [c.complaint_id async for c in lapor.iter_complaints(page_size=2)]
    assert collected == ids


async def test_create_answer_shapes_rotate(lapor_sim, lapor, lapor_sim_admin):
    await lapor_sim_admin.faults(create_answer_shape="rotate")
    payload = mapping.build_create_payload(case())
    headers = mapping.auth_headers(KEY, TOKEN)
    async with httpx.AsyncClient(base_url=lapor_sim, headers=headers, timeout=5) as raw:
        answers = [(await raw.post("/complaints/complaint", json=payload)).json() for _ in "abcd"]
    assert answers[0]["complaint_id"]  # current [seen]: top level
    assert answers[1]["results"]["data"]["complaint_id"]
    assert answers[2]["data"]["results"]["complaint"]["id"]
    assert answers[3]["results"]["complaint"]["id"]
    ids = [await lapor.create_complaint(case()) for _ in range(4)]
    assert ids == sorted(set(ids)) and len(ids) == 4


async def test_uploads_and_attachments(lapor, lapor_sim_admin):
    doc_ids = await lapor.upload_files([LaporFile("foto.jpg", b"\xff\xd8\xff", "image/jpeg")])
    complaint_id = await lapor.create_complaint(case(attachment_ids=doc_ids))
    assert (await lapor_sim_admin.complaint(complaint_id))["attachments"] == doc_ids
    with pytest.raises(LaporTerminalError) as caught:
        await lapor.create_complaint(case(attachment_ids=(1,)))
    assert caught.value.status_code == 422


async def test_anonymous_case_reaches_the_national_side_without_identity(lapor, lapor_sim_admin):
    complaint_id = await lapor.create_complaint(
        case(anonymous=True, confidential=True, reporter_name="Siti Aminah")
    )
    held = await lapor_sim_admin.complaint(complaint_id)
    assert held["is_anonymous"] == 1 and held["is_secret"] == 1
    assert held["reporter"] is None
    assert not [key for key in held["payload"] if "reporter" in key]
    assert "Siti" not in json.dumps(held)
    assert (await lapor.get_complaint(complaint_id)).reporter_name is None


async def test_masters(lapor):
    institutions = {i.id for i in await lapor.list_institutions()}
    assert {9001, 2, 3} <= institutions
    categories = {c.id for c in await lapor.list_categories()}
    assert set(LaporProfile().category_ids.values()) <= categories
    assert await lapor.list_templates()


# -- national-side actions, visible to polling -------------------------------------------------
async def test_national_actions_are_visible_to_polling(lapor, lapor_sim_admin):
    complaint_id = await lapor_sim_admin.forward(
        title="Pungli di kantor desa",
        content="Diminta uang untuk surat pengantar.",
        category_id=270,
        reporter={"name": "Andi", "phone": "081298765432"},
    )
    listed = (await lapor.list_complaints()).items
    assert [c.complaint_id for c in listed] == [complaint_id]
    assert listed[0].simpul_status == "verified"
    assert listed[0].reporter_name == "Andi"

    await lapor_sim_admin.set_status(complaint_id, mapping.STATUS_DITINDAKLANJUTI)
    assert (await lapor.get_complaint(complaint_id)).simpul_status == "in_progress"

    await lapor_sim_admin.reporter_followup(complaint_id, "Ada bukti kuitansi.")
    followups = await lapor.get_followups(complaint_id)
    assert [(f.author, f.content) for f in followups] == [("reporter", "Ada bukti kuitansi.")]

    await lapor_sim_admin.rate(complaint_id, 4, "Cepat")
    assert (await lapor.get_complaint(complaint_id)).rating == {"score": 4, "comment": "Cepat"}


async def test_unknown_status_code_reaches_the_client_as_an_error(lapor, lapor_sim_admin):
    complaint_id = await lapor.create_complaint(case())
    await lapor_sim_admin.set_status(complaint_id, 77)
    complaint = await lapor.get_complaint(complaint_id)
    with pytest.raises(UnknownStatusCode):
        _ = complaint.simpul_status


# -- callbacks ---------------------------------------------------------------------------------
async def test_callbacks_are_signed_and_verifiable(lapor_sim_admin, lapor_callback_receiver):
    await lapor_sim_admin.faults(callback_url=lapor_callback_receiver.url)
    complaint_id = await lapor_sim_admin.forward(title="Banjir", content="Got mampet")
    await lapor_sim_admin.set_status(complaint_id, mapping.STATUS_DITINDAKLANJUTI)
    await lapor_sim_admin.reporter_followup(complaint_id, "Masih banjir")
    await lapor_sim_admin.rate(complaint_id, 5, "Terima kasih")
    stats = await lapor_sim_admin.drain_callbacks()
    received = await lapor_callback_receiver.wait_for(4)

    assert stats["callbacks_sent"] == 4 and stats["callbacks_failed"] == 0
    events = {}
    for request in received:
        signing.verify(
            DEMO_CALLBACK_SECRET,
            request.headers["x-lapor-timestamp"],
            request.headers["x-lapor-signature"],
            request.body,
        )
        event = json.loads(request.body)
        assert request.headers["x-lapor-event-id"] == event["event_id"]
        assert event["complaint_id"] == complaint_id
        mapping.parse_lapor_date(event["occurred_at"])
        events[event["type"]] = event
    assert set(events) == {
        "complaint.forwarded_in",
        "complaint.status_changed",
        "complaint.followup_added",
        "complaint.rated",
    }
    assert events["complaint.status_changed"]["status_name"] == "Ditindaklanjuti"
    assert events["complaint.followup_added"]["followup"]["content"] == "Masih banjir"
    assert events["complaint.rated"]["rating"] == {"score": 5, "comment": "Terima kasih"}

    with pytest.raises(signing.SignatureMismatch):
        signing.verify(
            "another-secret",
            received[0].headers["x-lapor-timestamp"],
            received[0].headers["x-lapor-signature"],
            received[0].body,
        )


async def test_duplicate_rate_one_sends_every_event_twice(lapor_sim_admin, lapor_callback_receiver):
    await lapor_sim_admin.faults(
        callback_url=lapor_callback_receiver.url, callback_duplicate_rate=1.0
    )
    await lapor_sim_admin.forward(title="Lampu jalan mati", content="Sejak seminggu")
    await lapor_sim_admin.drain_callbacks()
    received = await lapor_callback_receiver.wait_for(2)
    assert len(received) == 2
    assert received[0].body == received[1].body
    assert received[0].headers["x-lapor-event-id"] == received[1].headers["x-lapor-event-id"]


async def test_reordered_callbacks_all_arrive(lapor_sim_admin, lapor_callback_receiver):
    await lapor_sim_admin.faults(
        callback_url=lapor_callback_receiver.url,
        callback_reorder=True,
        callback_reorder_delay_ms=50,
        seed=7,
    )
    complaint_id = await lapor_sim_admin.forward(title="Sampah", content="Menumpuk")
    for code in (3, 1, 3, 4):
        await lapor_sim_admin.set_status(complaint_id, code)
    stats = await lapor_sim_admin.drain_callbacks()
    received = await lapor_callback_receiver.wait_for(5)
    assert stats["callbacks_sent"] == 5
    assert len({r.headers["x-lapor-event-id"] for r in received}) == 5


async def test_callbacks_are_retried_then_given_up(lapor_sim_admin, lapor_callback_receiver):
    await lapor_sim_admin.faults(callback_url=lapor_callback_receiver.url, callback_backoff_ms=5)
    lapor_callback_receiver.respond_with.extend([500, 503])
    await lapor_sim_admin.forward(title="Air PDAM keruh", content="Sudah tiga hari")
    stats = await lapor_sim_admin.drain_callbacks()
    received = await lapor_callback_receiver.wait_for(3)
    assert stats["callbacks_sent"] == 1
    assert len({r.headers["x-lapor-event-id"] for r in received}) == 1 and len(received) == 3

    lapor_callback_receiver.clear()
    lapor_callback_receiver.respond_with.append(401)  # refused: not retried
    await lapor_sim_admin.forward(title="Parkir liar", content="Di pasar")
    stats = await lapor_sim_admin.drain_callbacks()
    assert stats["callbacks_failed"] == 1
    assert len(lapor_callback_receiver.requests) == 1


async def test_no_callbacks_when_off(lapor_sim_admin, lapor_callback_receiver):
    await lapor_sim_admin.faults(callback_url=lapor_callback_receiver.url, callbacks=False)
    await lapor_sim_admin.forward(title="Jembatan retak", content="Bahaya")
    stats = await lapor_sim_admin.drain_callbacks()
    assert stats["callbacks_sent"] == 0
    assert lapor_callback_receiver.requests == []


# -- /_sim/ is loopback only, standalone and mounted ---------------------------------------------
@pytest.mark.parametrize("mount_path", ["", "/lapor-sim"])
async def test_sim_endpoints_answer_loopback_clients_only(mount_path):
    sim_app = create_simulator_app()
    app = sim_app
    if mount_path:
        app = FastAPI()
        app.mount(mount_path, sim_app)
    base = f"http://sim.test{mount_path}"
    try:
        for peer, expected in ((("203.0.113.7", 5000), 403), (("127.0.0.1", 5000), 200)):
            transport = httpx.ASGITransport(app=app, client=peer)
            async with httpx.AsyncClient(transport=transport, base_url=base) as http:
                assert (await http.get("/_sim/stats")).status_code == expected
                assert (await http.post("/_sim/reset")).status_code == expected
        # The API itself (with its auth) answers any peer, mounted or not.
        remote = httpx.ASGITransport(app=app, client=("203.0.113.7", 5000))
        async with make_client(base, transport=remote) as client:
            complaint_id = await client.create_complaint(case())
            assert (await client.get_complaint(complaint_id)).complaint_id == complaint_id
    finally:
        await close_simulator(sim_app)


async def test_bad_fault_knobs_are_refused(lapor_sim):
    async with httpx.AsyncClient(base_url=lapor_sim, timeout=5) as http:
        response = await http.put("/_sim/faults", json={"error_rate": 2})
        assert response.status_code == 422
        assert "message" in response.json()["results"]
        response = await http.put("/_sim/faults", json={"no_such_knob": 1})
        assert response.status_code == 422


async def test_reset_clears_store_faults_and_stats(lapor, lapor_sim_admin):
    await lapor.create_complaint(case())
    await lapor_sim_admin.faults(latency_ms=1)
    async with httpx.AsyncClient(base_url=lapor_sim_admin.base_url, timeout=5) as http:
        await http.post("/_sim/reset")
    assert await lapor_sim_admin.complaints() == []
    assert (await lapor_sim_admin.stats())["requests"] == 0
    assert (await lapor_sim_admin.faults())["latency_ms"] == 0


async def test_state_file_survives_a_restart(tmp_path):
    state_file = str(tmp_path / "lapor-sim.json")
    first_app = create_simulator_app(state_file=state_file)
    async with make_client(
        "http://sim.test", transport=httpx.ASGITransport(app=first_app)
    ) as client:
        first = await client.create_complaint(case("KEEP1"))
    second_app = create_simulator_app(state_file=state_file)
    async with make_client(
        "http://sim.test", transport=httpx.ASGITransport(app=second_app)
    ) as client:
        assert (await client.find_by_tag("KEEP1")).complaint_id == first
        assert await client.create_complaint(case("KEEP2")) == first + 1
