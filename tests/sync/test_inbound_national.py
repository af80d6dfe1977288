"""What national changes do locally (issue 20 item 22): "Diarsipkan" tells Admin Instansi
and shows on the case without moving it; a LAPOR! rating never overwrites the reporter's
Simpul rating, both stay on the timeline, and reports use the Simpul one."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from services.intake.web import rating
from services.sync.inbound.service import poll_once
from services.sync.lapor import mapping
from services.sync.ops.service import mirror_state
from shared.models import Case, OutboundMessage
from tests.sync.test_mirror_support import (
    events_of,
    open_case,
    settle,
)


async def mirrored(app, lapor_sim_admin, **kwargs) -> tuple[int, str, int]:
    case_id, tracking_id = await open_case(app, **kwargs)
    await settle(app)
    [national] = [
        c
        for c in await lapor_sim_admin.complaints()
        if tracking_id.lower() in (c["tags_raw"] or "").lower()
    ]
    return case_id, tracking_id, national["complaint_id"]


async def staff_notices(app, case_id: int) -> list[OutboundMessage]:
    async with app.state.db.session() as session:
        return list(
            await session.scalars(
                select(OutboundMessage).where(
                    OutboundMessage.case_id == case_id, OutboundMessage.audience == "staff"
                )
            )
        )


async def test_a_national_archive_tells_admin_instansi_once_and_leaves_the_case(
    sync_app, lapor_sim_admin
):
    case_id, tracking_id, complaint_id = await mirrored(sync_app, lapor_sim_admin)
    await lapor_sim_admin.set_status(complaint_id, mapping.STATUS_DIARSIPKAN)
    for _ in range(3):
        await poll_once(sync_app.state.ctx)

    [changed] = await events_of(sync_app, "lapor.status_changed", case_id)
    assert changed.data["national_status"] == "archived"
    [notice] = await staff_notices(sync_app, case_id)
    assert notice.recipient == "admin_instansi" and notice.template == "lapor_archived"
    assert notice.event_id == changed.id and notice.channel == "log"
    assert tracking_id in notice.body and "Diarsipkan" in notice.body
    assert "Budi" not in notice.body  # never the reporter's identity
    async with sync_app.state.db.session() as session:
        case = await session.get(Case, case_id)
        state = await mirror_state(session, case_id)
    assert case.status == "received"  # the rule: the local case is not moved
    assert state["national_archived"] is True


async def test_other_national_statuses_send_no_notice(sync_app, lapor_sim_admin):
    case_id, _, complaint_id = await mirrored(sync_app, lapor_sim_admin)
    await lapor_sim_admin.set_status(complaint_id, mapping.STATUS_DITINDAKLANJUTI)
    await poll_once(sync_app.state.ctx)
    assert len(await events_of(sync_app, "lapor.status_changed", case_id)) == 1
    assert await staff_notices(sync_app, case_id) == []
    async with sync_app.state.db.session() as session:
        assert (await mirror_state(session, case_id))["national_archived"] is False


async def _resolve(app, case_id: int) -> None:
    from shared.models import utcnow

    async with app.state.db.session() as session:
        await session.execute(
            update(Case).where(Case.id == case_id).values(status="resolved", resolved_at=utcnow())
        )


async def _web_rate(client, app, tracking_id: str, score: int) -> int:
    token = rating.rating_token(app.state.settings, tracking_id)
    form = await client.get(f"/lacak/{tracking_id}/nilai", params={"t": token})
    if form.status_code != 200:
        return form.status_code
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    posted = await client.post(
        f"/lacak/{tracking_id}/nilai",
        data={"csrf_token": csrf, "t": token, "nilai": str(score)},
    )
    return posted.status_code


async def test_a_lapor_rating_does_not_overwrite_the_reporters_web_rating(
    sync_app, client, lapor_sim_admin
):
    case_id, tracking_id, complaint_id = await mirrored(sync_app, lapor_sim_admin)
    await _resolve(sync_app, case_id)
    assert await _web_rate(client, sync_app, tracking_id, 5) == 303
    await lapor_sim_admin.rate(complaint_id, 2, "Lambat")
    for _ in range(2):
        await poll_once(sync_app.state.ctx)

    async with sync_app.state.db.session() as session:
        case = await session.get(Case, case_id)
        state = await mirror_state(session, case_id)
    assert (case.rating, case.rating_source) == (5, None)  # reports use the Simpul rating
    assert state["national_rating"] == 2
    web, national = await events_of(sync_app, "case.rated", case_id)  # both on the timeline
    assert web.actor_type == "reporter" and web.data["rating"] == 5
    assert national.actor_type == "lapor" and national.data["rating"] == 2
    assert national.data["counted_in_reports"] is False


async def test_a_lapor_rating_counts_until_the_reporter_rates_in_simpul(
    sync_app, client, lapor_sim_admin
):
    case_id, tracking_id, complaint_id = await mirrored(sync_app, lapor_sim_admin)
    await _resolve(sync_app, case_id)
    await lapor_sim_admin.rate(complaint_id, 3, "")
    await poll_once(sync_app.state.ctx)
    async with sync_app.state.db.session() as session:
        case = await session.get(Case, case_id)
    assert (case.rating, case.rating_source) == (3, "lapor")
    [national] = await events_of(sync_app, "case.rated", case_id)
    assert national.data["counted_in_reports"] is True

    # The reporter may still rate in Simpul, and that rating is the one reports use.
    assert await _web_rate(client, sync_app, tracking_id, 5) == 303
    async with sync_app.state.db.session() as session:
        case = await session.get(Case, case_id, populate_existing=True)
    assert (case.rating, case.rating_source) == (5, None)
    assert len(await events_of(sync_app, "case.rated", case_id)) == 2
    assert await _web_rate(client, sync_app, tracking_id, 1) == 409  # rated once in Simpul
