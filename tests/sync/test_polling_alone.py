"""Polling alone is enough (issue 18 item 6): with callbacks off, every national change to a
mirrored case — its status, the reporter's reply, the rating — arrives at the next read of
the integrators' schedule (15 min while young, 3 h after a good read), and a forward-in
arrives by the discovery job where the national list exists. Where it does not, and no
callbacks come either, Simpul says so: at startup, in ``/admin/sync/status`` and a gauge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from structlog.testing import capture_logs

from services.sync.inbound import coverage
from services.sync.inbound.check import check_case
from services.sync.inbound.service import discover_round, poll_round
from services.sync.inbound.tasks import DISCOVER_INTERVAL_S, lapor_discoverer
from services.sync.lapor import LaporProfile, mapping
from shared.config import Settings
from shared.events import WorkerContext
from shared.models import utcnow
from shared.models.sync import LaporMirror
from tests.sync.test_mirror_support import events_of, fast_client, open_case, settle, use_client
from tests.sync.test_poll_schedule import SCHEDULE, aware

#: The schedule's interval after a good read: young (first 24 h) and older cases.
INTERVALS = {"young": SCHEDULE.poll_young_s, "old": SCHEDULE.poll_after_read_s}


async def _due_in(app, case_id: int) -> timedelta:
    async with app.state.db.session() as session:
        mirror = await session.get(LaporMirror, case_id)
    return aware(mirror.next_check_at) - utcnow()


async def _let_time_pass(app, case_id: int, by: timedelta) -> None:
    """The clock moves ``by`` forward for this case's schedule (its next read comes closer)."""
    async with app.state.db.session() as session:
        mirror = await session.get(LaporMirror, case_id)
        await session.execute(
            update(LaporMirror)
            .where(LaporMirror.case_id == case_id)
            .values(next_check_at=aware(mirror.next_check_at) - by)
        )


def _imported(events) -> list[int]:
    return [e.data["lapor_complaint_id"] for e in events if e.actor_type == "lapor"]


@pytest.mark.parametrize("search", [False, True], ids=["search_off", "search_on"])
@pytest.mark.parametrize("age", ["young", "old"])
async def test_with_callbacks_off_every_national_change_arrives_within_the_poll_schedule(
    sync_app, lapor_sim, lapor_sim_admin, age, search
):
    ctx = sync_app.state.ctx
    await use_client(sync_app, fast_client(lapor_sim, profile=LaporProfile(search=search)))
    await lapor_sim_admin.faults(callbacks=False, search=search)
    case_id, tracking_id = await open_case(sync_app)
    await settle(sync_app)
    ctx.resources["sync_tuning"] = SCHEDULE  # the integrators' schedule, not the tests' fast one
    if age == "old":
        async with sync_app.state.db.session() as session:
            await session.execute(
                update(LaporMirror)
                .where(LaporMirror.case_id == case_id)
                .values(created_at=utcnow() - timedelta(days=2))
            )
    assert await check_case(ctx, case_id) == "unchanged"  # a good read: the next one is due
    due_in = await _due_in(sync_app, case_id)  # by the schedule (or sooner, near a deadline)
    assert timedelta(0) < due_in <= timedelta(seconds=INTERVALS[age])

    [national] = [c for c in await lapor_sim_admin.complaints() if tracking_id in c["tags_raw"]]
    complaint_id = national["complaint_id"]
    await lapor_sim_admin.set_status(complaint_id, mapping.STATUS_DIPENDING)
    await lapor_sim_admin.reporter_followup(complaint_id, "Data KTP terlampir.")
    await lapor_sim_admin.rate(complaint_id, 4, "Cepat ditangani.")
    forwarded = await lapor_sim_admin.forward(title="Lampu mati", content="Lampu jalan mati.")

    # No callback comes, and the case is not due yet: nothing is known so far.
    assert (await poll_round(ctx))["checked"] == {}
    assert await events_of(sync_app, "lapor.status_changed", case_id) == []

    await _let_time_pass(sync_app, case_id, due_in)  # the next read of the schedule
    assert (await poll_round(ctx))["checked"] == {"changed": 1}
    [status] = await events_of(sync_app, "lapor.status_changed", case_id)
    assert status.data["to_code"] == mapping.STATUS_DIPENDING
    [reply] = await events_of(sync_app, "lapor.followup_received", case_id)
    assert reply.data["lapor_complaint_id"] == complaint_id
    [rated] = await events_of(sync_app, "case.rated", case_id)
    assert rated.actor_type == "lapor" and rated.data["rating"] == 4

    # A forward-in: the discovery job (every minute) finds it on the national list; without
    # the list, polling cannot (callbacks or the export import bring it: test_lapor_import).
    assert lapor_discoverer().interval_s == DISCOVER_INTERVAL_S <= 60
    discovered = await discover_round(ctx)
    if search:
        assert discovered["imported"] == 1
        assert _imported(await events_of(sync_app, "case.received")) == [forwarded]
    else:
        assert discovered == {"off": 1}
        assert _imported(await events_of(sync_app, "case.received")) == []
    assert (await lapor_sim_admin.stats())["callbacks_sent"] == 0


async def test_status_says_where_forward_ins_come_only_by_the_export_import(
    sync_app, client, admin_headers, lapor_sim
):
    ctx = sync_app.state.ctx
    embedded = (await client.get("/admin/sync/status", headers=admin_headers)).json()
    # The test app mounts the simulator, which calls back: forward-ins come by callback.
    assert embedded["forward_in"]["paths"] == ["callbacks", "export_import"]
    assert embedded["forward_in"]["flag"] == coverage.NOT_POLLED
    assert embedded["forward_in"]["export_import_only"] is False

    ctx.settings = ctx.settings.model_copy(update={"lapor_callbacks": False})
    body = (await client.get("/admin/sync/status", headers=admin_headers)).json()["forward_in"]
    assert body["paths"] == ["export_import"] and body["by_polling"] is False
    assert body["export_import_only"] is True
    assert body["flag"].startswith("forward-in only through callbacks or the export import")
    assert "simpul_lapor_forward_in_polled 0.0" in (await client.get("/metrics")).text

    await use_client(sync_app, fast_client(lapor_sim, profile=LaporProfile(search=True)))
    body = (await client.get("/admin/sync/status", headers=admin_headers)).json()["forward_in"]
    assert body["paths"] == ["national_list", "export_import"] and body["flag"] is None
    assert "simpul_lapor_forward_in_polled 1.0" in (await client.get("/metrics")).text


REAL = {"_env_file": None, "lapor_base_url": "https://api.lapor.example/lapor/3.0.0"}


@pytest.mark.parametrize(
    ("values", "warned"),
    [
        ({}, True),  # a real national API, the defaults: no list, no callbacks
        ({"lapor_search": True}, False),
        ({"lapor_callbacks": True}, False),
        ({"lapor_sync_enabled": False}, False),
        ({"lapor_base_url": ""}, False),  # the embedded simulator calls back
    ],
)
async def test_startup_warns_where_only_the_export_import_brings_forward_ins(values, warned):
    ctx = WorkerContext(settings=Settings(**{**REAL, **values}), db=None)
    with capture_logs() as logs:
        await coverage.warn_if_forward_ins_are_not_polled(ctx)
    warnings = [e for e in logs if e["event"] == "lapor_forward_in_not_polled"]
    assert bool(warnings) is warned
    if warned:
        assert warnings[0]["log_level"] == "warning"
        assert "simpul lapor import" in warnings[0]["detail"]
