"""SP4N-LAPOR! as it really is, end to end against the simulator: the mirror, the national
forward, the reporter's follow-ups, the rating and national status changes — through the
default [seen] shapes, our older shapes, and an environment configured like the public
integrator (header ``auth``, its own create path, no search, no callbacks). Callbacks are
off throughout: everything national arrives by polling."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.sync.inbound.service import poll_once
from services.sync.lapor import LaporProfile, mapping
from services.sync.simulator.faults import INTEGRATOR_VARIANTS, LEGACY_VARIANTS
from shared.models import Attachment, Case, CaseMessage
from tests.sync.test_mirror_support import (
    act,
    by_tag,
    events_of,
    fast_client,
    open_case,
    settle,
    unconfirmed_count,
    use_client,
)

#: name -> (simulator switches, the profile Simpul is configured with for it)
VARIANTS = {
    "seen": ({"callbacks": False}, LaporProfile()),
    "legacy": ({**LEGACY_VARIANTS, "callbacks": False}, LaporProfile(search=True)),
    "integrator": (
        {**INTEGRATOR_VARIANTS, "followups_page_size": 2},
        LaporProfile(auth_header="auth", create_path=INTEGRATOR_VARIANTS["create_path"]),
    ),
}
POLLS = 3  # rounds of the poller; FAST_TUNING makes every mirrored case due each round


@pytest.fixture(params=sorted(VARIANTS))
async def variant(request, sync_app, lapor_sim, lapor_sim_admin) -> str:
    switches, profile = VARIANTS[request.param]
    await lapor_sim_admin.faults(**switches)
    await use_client(sync_app, fast_client(lapor_sim, profile=profile))
    return request.param


async def poll(app) -> None:
    for _ in range(POLLS):
        await poll_once(app.state.ctx)


async def national_of(app, sim_admin, tracking_id: str) -> dict:
    [national] = by_tag(await sim_admin.complaints(), tracking_id)
    return national


async def test_the_mirror_is_exactly_once_under_commit_then_timeout(
    sync_app, variant, lapor_sim_admin
):
    await lapor_sim_admin.faults(commit_then_timeout_rate=0.4, timeout_s=1.0)
    cases = [await open_case(sync_app, description=f"Lampu jalan mati {i}.") for i in range(4)]
    for i, (case_id, _) in enumerate(cases):
        await act(sync_app, case_id, "case.verified", "verified")
        await act(sync_app, case_id, "case.resolved", "resolved", data={"message": f"Beres {i}."})
    await settle(sync_app, operator=lapor_sim_admin)
    await lapor_sim_admin.faults(commit_then_timeout_rate=0.0)
    assert await unconfirmed_count(sync_app) == 0
    complaints = await lapor_sim_admin.complaints()
    assert len(complaints) == len(cases)  # zero duplicates
    for _, tracking_id in cases:
        [national] = by_tag(complaints, tracking_id)  # zero lost
        assert national["status_code"] == mapping.STATUS_SELESAI
        contents = [f["content"] for f in national["followups"]]
        assert len(contents) == len(set(contents)) == 2, contents
        assert national["content"].splitlines()[0] == f"#simpul-{tracking_id}"
        assert {f["user_id"] for f in national["followups"]} == {LaporProfile().admin_user_id}


async def test_the_national_forward_hands_the_case_to_the_national_admins(
    sync_app, variant, lapor_sim_admin
):
    case_id, tracking_id = await open_case(sync_app)
    await act(sync_app, case_id, "case.forwarded_national", "forwarded_national", reason="Bukan")
    await settle(sync_app, operator=lapor_sim_admin)
    national = await national_of(sync_app, lapor_sim_admin, tracking_id)
    assert national["disposition_id"] == LaporProfile().forward_institution_id


async def test_status_reporter_followups_with_files_and_rating_arrive_by_polling(
    sync_app, variant, lapor_sim_admin
):
    case_id, tracking_id = await open_case(sync_app)
    await act(sync_app, case_id, "case.responded", "in_progress", data={"message": "Dicek."})
    await settle(sync_app, operator=lapor_sim_admin)
    complaint_id = (await national_of(sync_app, lapor_sim_admin, tracking_id))["complaint_id"]
    await poll(sync_app)  # our own reply is not read back as the reporter's
    texts = ["Belum ada perbaikan.", "Ini fotonya.", "Mohon dipercepat."]
    for text in texts:
        await lapor_sim_admin._call(
            "POST",
            f"/complaints/{complaint_id}/followups",
            {"content": text, "attachments": [{"file_name": "foto.jpg"}] if "foto" in text else []},
        )
    await lapor_sim_admin._call(
        "POST", f"/complaints/{complaint_id}/status", {"status_name": "Selesai", "note": "Tuntas"}
    )
    await lapor_sim_admin.rate(complaint_id, 5, "Mantap")
    await poll(sync_app)

    [changed] = await events_of(sync_app, "lapor.status_changed", case_id)
    assert changed.data["status_name"] == "Selesai"
    assert changed.data["national_status"] == "resolved"
    if variant != "legacy":
        assert changed.reason == "Tuntas"  # from status_logs
    assert len(await events_of(sync_app, "lapor.followup_received", case_id)) == len(texts)
    [rated] = await events_of(sync_app, "case.rated", case_id)
    assert rated.data["rating"] == 5
    async with sync_app.state.db.session() as session:
        messages = list(
            await session.scalars(
                select(CaseMessage.body).where(
                    CaseMessage.case_id == case_id, CaseMessage.kind == "reporter"
                )
            )
        )
        files = list(await session.scalars(select(Attachment).where(Attachment.case_id == case_id)))
    assert sorted(messages) == sorted(texts)  # "Dicek." (ours) is not among them
    if variant != "legacy":  # the older shape had no file paths
        assert [f.filename for f in files] == ["foto.jpg"] and files[0].url


async def test_a_case_forwarded_in_arrives_by_polling_where_the_list_exists(
    sync_app, variant, lapor_sim_admin
):
    complaint_id = await lapor_sim_admin.forward(
        title="Air PDAM keruh", content="Sudah tiga hari keruh.", category_id=145
    )
    await poll(sync_app)
    async with sync_app.state.db.session() as session:
        imported = list(await session.scalars(select(Case).where(Case.channel == "lapor")))
    if VARIANTS[variant][1].search:
        [case] = imported
        assert case.lapor_complaint_id == complaint_id and case.category_code == "AIRMINUM"
    else:  # no national list: callbacks or the export import bring it (test_lapor_import)
        assert imported == []


async def add_photo(app, case_id: int) -> None:
    """A stored JPEG on the case, as intake keeps one (``data/attachments/<key>``)."""
    from pathlib import Path

    root = Path(app.state.ctx.settings.data_dir) / "attachments"
    root.mkdir(parents=True, exist_ok=True)
    (root / f"photo{case_id}").write_bytes(b"\xff\xd8\xff\xe0foto")
    async with app.state.db.session() as session:
        session.add(
            Attachment(
                case_id=case_id,
                filename="lubang.jpg",
                content_type="image/jpeg",
                storage_key=f"photo{case_id}",
            )
        )


async def test_done_when_configured_like_the_public_integrator(
    sync_app, lapor_sim, lapor_sim_admin
):
    """Header ``auth``, its own create path, top-level ``complaint_id``, photo uploads
    answered in ``images``, paged follow-ups, no search, no callbacks: a backlog mirrored
    both ways under faults, zero duplicates, zero losses, every uncertain create settled
    by an operator."""
    switches, profile = VARIANTS["integrator"]
    await lapor_sim_admin.faults(
        **switches, commit_then_timeout_rate=0.3, error_rate=0.1, timeout_s=1.0
    )
    await use_client(sync_app, fast_client(lapor_sim, profile=profile))
    cases = [await open_case(sync_app, description=f"Jalan berlubang {i}.") for i in range(5)]
    for i, (case_id, _) in enumerate(cases):
        if i % 2 == 0:
            await add_photo(sync_app, case_id)
        await act(sync_app, case_id, "case.verified", "verified")
        await act(sync_app, case_id, "case.responded", "in_progress", data={"message": f"TL {i}."})
    await settle(sync_app, operator=lapor_sim_admin, timeout_s=30)
    await lapor_sim_admin.faults(commit_then_timeout_rate=0.0, error_rate=0.0)
    assert await unconfirmed_count(sync_app) == 0
    complaints = await lapor_sim_admin.complaints()
    assert len(complaints) == len(cases)
    for i, (_, tracking_id) in enumerate(cases):
        [national] = by_tag(complaints, tracking_id)
        contents = [f["content"] for f in national["followups"]]
        assert len(contents) == len(set(contents)) == 2 and contents[-1] == f"TL {i}."
        assert bool(national["attachments"]) == (i % 2 == 0)  # the photo went with it
        complaint_id = national["complaint_id"]
        for n in range(3):  # more than a page (2) of reporter follow-ups
            await lapor_sim_admin.reporter_followup(complaint_id, f"Tambahan {i}.{n}")
        await lapor_sim_admin.set_status(complaint_id, mapping.STATUS_SELESAI)
        await lapor_sim_admin.rate(complaint_id, 4)
    await lapor_sim_admin.faults(error_rate=0.2)  # reads fail too; polling tries again
    for _ in range(8):
        await poll_once(sync_app.state.ctx)
    await lapor_sim_admin.faults(error_rate=0.0)
    await poll(sync_app)
    for case_id, _ in cases:
        assert len(await events_of(sync_app, "lapor.followup_received", case_id)) == 3
        assert len(await events_of(sync_app, "lapor.status_changed", case_id)) == 1
        assert len(await events_of(sync_app, "case.rated", case_id)) == 1
    assert (await lapor_sim_admin.stats())["callbacks_sent"] == 0
