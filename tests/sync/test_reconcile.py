"""Reconciliation: a case the mirror never sent is re-queued; national changes not yet read
are re-read; a status national admins changed is reported as drift, not overwritten."""

# The shared ``sync_app`` fixture is imported (tests/sync/conftest.py is not ours to edit).
# ruff: noqa: F811

from __future__ import annotations

from sqlalchemy import update

from services.sync.lapor import mapping
from services.sync.reconcile.service import reconcile
from shared.models import EventDelivery
from tests.sync.test_mirror_support import (  # noqa: F401 - fixtures
    by_tag,
    events_of,
    open_case,
    settle,
    sync_app,
)


async def test_a_case_never_mirrored_is_requeued_and_created_once(sync_app, lapor_sim_admin):
    _, tracking_id = await open_case(sync_app)
    async with sync_app.state.db.session() as session:  # as if its delivery was lost
        await session.execute(
            update(EventDelivery).where(EventDelivery.consumer == "sync").values(status="done")
        )
    result = await reconcile(sync_app.state.ctx)
    assert result["requeued"] == 1
    assert (await reconcile(sync_app.state.ctx))["requeued"] == 0  # queued once
    await settle(sync_app)
    assert len(by_tag(await lapor_sim_admin.complaints(), tracking_id)) == 1
    assert len(await events_of(sync_app, "lapor.resync_requested")) == 1


async def test_drift_is_reported_and_unread_changes_are_reread(
    sync_app, client, admin_headers, lapor_sim_admin
):
    case_id, tracking_id = await open_case(sync_app)
    await settle(sync_app)
    [national] = by_tag(await lapor_sim_admin.complaints(), tracking_id)
    await lapor_sim_admin.set_status(national["complaint_id"], mapping.STATUS_DIARSIPKAN)
    await lapor_sim_admin.reporter_followup(national["complaint_id"], "Halo?")
    result = await reconcile(sync_app.state.ctx)
    assert result["compared"] == 1 and result["drift"] == 1

    response = await client.get("/admin/sync/drift", headers=admin_headers)
    assert response.status_code == 200
    [item] = response.json()["items"]
    assert item["tracking_id"] == tracking_id
    assert item["drift"]["status"] == {
        "local": "received",
        "expected_code": mapping.STATUS_BELUM_TERVERIFIKASI,
        "national_code": mapping.STATUS_DIARSIPKAN,
    }
    assert item["drift"]["reporter_followups"] == {"national": 1, "local": 0}
    assert "simpul_lapor_drift_cases 1.0" in (await client.get("/metrics")).text

    from services.sync.inbound.service import check_due

    await check_due(sync_app.state.ctx)  # the re-read the reconciliation scheduled
    assert len(await events_of(sync_app, "lapor.followup_received", case_id)) == 1
    assert len(await events_of(sync_app, "lapor.status_changed", case_id)) == 1
