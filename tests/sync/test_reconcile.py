"""Reconciliation: a case the mirror never sent is re-queued; national changes not yet read
are re-read; a status national admins changed is reported as drift, not overwritten."""

from __future__ import annotations

from sqlalchemy import update

from services.sync.lapor import mapping
from services.sync.reconcile.service import reconcile
from shared.models import EventDelivery
from tests.sync.test_mirror_support import (
    by_tag,
    events_of,
    open_case,
    settle,
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


async def test_cases_in_step_are_not_listed_as_drift(sync_app, client, admin_headers):
    """Issue 20 item 14: "in step" was stored as JSON null and counted by IS NOT NULL."""
    from sqlalchemy import func, select

    from shared.models.sync import LaporMirror

    for _ in range(2):
        await open_case(sync_app)
    await settle(sync_app)
    result = await reconcile(sync_app.state.ctx)
    assert result["compared"] == 2 and result["drift"] == 0

    response = await client.get("/admin/sync/drift", headers=admin_headers)
    assert response.json() == {"count": 0, "items": []}
    status = await client.get("/admin/sync/status", headers=admin_headers)
    assert status.json()["drift_cases"] == 0
    async with sync_app.state.db.session() as session:
        sql_null = await session.scalar(
            select(func.count()).select_from(LaporMirror).where(LaporMirror.drift.is_(None))
        )
    assert sql_null == 2


async def _wait_for_runs(app) -> None:
    import asyncio

    from services.sync.reconcile.jobs import TASKS_KEY

    tasks = list(app.state.ctx.resources.get(TASKS_KEY) or ())
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 20)


async def test_reconcile_is_a_background_job_one_at_a_time(
    sync_app, client, admin_headers, lapor_sim_admin
):
    """Issue 20 item 13: 202 with a job id at once; one run at a time; progress and result
    readable; other endpoints keep answering while it runs."""
    import asyncio

    for _ in range(3):
        await open_case(sync_app)
    await settle(sync_app)
    await lapor_sim_admin.faults(latency_ms=150)

    starts = await asyncio.gather(
        *(client.post("/admin/sync/reconcile", headers=admin_headers) for _ in range(5))
    )
    assert sorted(r.status_code for r in starts) == [202, 409, 409, 409, 409]
    [started] = [r.json() for r in starts if r.status_code == 202]
    job_id = started["job_id"]
    assert started["state"] == "running"
    for refused in (r for r in starts if r.status_code == 409):
        assert refused.json()["error"]["code"] == "reconcile_running"
        assert refused.json()["error"]["job_id"] == job_id

    # While it reads nationally, the API answers (no pooled connection is held for it).
    for _ in range(5):
        assert (await client.get("/admin/sync/status", headers=admin_headers)).status_code == 200
    running = (await client.get(f"/admin/sync/reconcile/{job_id}", headers=admin_headers)).json()
    assert running["state"] == "running" and running["progress"]["total"] == 3

    await _wait_for_runs(sync_app)
    done = (await client.get(f"/admin/sync/reconcile/{job_id}", headers=admin_headers)).json()
    assert done["state"] == "done"
    assert done["result"]["compared"] == 3 and done["result"]["drift"] == 0
    assert done["finished_at"] is not None
    latest = await client.get("/admin/sync/reconcile/latest", headers=admin_headers)
    assert latest.json()["job_id"] == job_id

    again = await client.post("/admin/sync/reconcile", headers=admin_headers)
    assert again.status_code == 202 and again.json()["job_id"] != job_id
    await _wait_for_runs(sync_app)
    missing = await client.get("/admin/sync/reconcile/nope", headers=admin_headers)
    assert missing.status_code == 404


async def test_a_run_whose_process_died_does_not_block_the_next(sync_app):
    from datetime import timedelta

    from services.sync.reconcile import jobs
    from shared.models import utcnow
    from shared.models.sync import LaporReconcileRun

    db = sync_app.state.db
    dead, created = await jobs.claim_run(db, "crashed")
    assert created
    assert (await jobs.claim_run(db, "second"))[1] is False  # still "running"
    async with db.session() as session:
        row = await session.get(LaporReconcileRun, dead.id)
        row.heartbeat_at = utcnow() - timedelta(seconds=jobs.STALE_AFTER_S + 1)
    fresh, created = await jobs.claim_run(db, "third")
    assert created and fresh.id != dead.id
    assert (await jobs.get_run(db, dead.id)).state == "failed"
    await jobs.execute_run(sync_app.state.ctx, fresh.id)
    assert (await jobs.get_run(db, fresh.id)).state == "done"


async def test_the_hourly_job_skips_its_turn_at_start_and_while_one_runs(sync_app):
    from services.sync.reconcile import jobs

    ctx = sync_app.state.ctx
    assert (await jobs.scheduled_run(ctx))["skipped"] == "first turn after start"
    running, _ = await jobs.claim_run(sync_app.state.db, "operator")
    assert (await jobs.scheduled_run(ctx))["job_id"] == running.id
    await jobs.execute_run(ctx, running.id)
    assert "compared" in await jobs.scheduled_run(ctx)
