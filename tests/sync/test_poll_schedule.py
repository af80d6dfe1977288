"""The poll schedule follows what integrators do (issue 18 item 6): 3 h after a good read,
60 min after an error, sooner while a case is young or just changed — all settings; a
round drains every due case with the rate it has; callbacks are read at once, ahead of a
backlog (issue 20 item 12)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from services.sync.inbound.check import check_case
from services.sync.inbound.service import callback_round, check_due
from services.sync.lapor import LaporProfile, mapping
from services.sync.lapor.pacing import Lane
from services.sync.mirror.tuning import TUNING_KEY, SyncTuning, tuning_of
from shared.config import Settings
from shared.events import WorkerContext
from shared.models import utcnow
from shared.models.sync import LaporCallback, LaporMirror
from tests.sync.test_callbacks import signed
from tests.sync.test_mirror_support import (
    FAST_TUNING,
    events_of,
    fast_client,
    open_case,
    settle,
    use_client,
)

SCHEDULE = replace(
    FAST_TUNING,
    poll_after_read_s=3 * 3600,
    poll_after_error_s=3600,
    poll_young_s=900,
    poll_young_for_s=24 * 3600,
)


def aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def test_the_schedule_comes_from_the_settings():
    tuning = SyncTuning.from_settings(
        Settings(
            lapor_poll_after_read_s=7200,
            lapor_poll_after_error_s=1800,
            lapor_poll_young_s=600,
            lapor_poll_young_for_s=3600,
            lapor_poll_concurrency=3,
        )
    )
    assert tuning.poll_interval(ok=True, changed=False, young=False) == 7200
    assert tuning.poll_interval(ok=True, changed=False, young=True) == 600
    assert tuning.poll_interval(ok=True, changed=True, young=False) == 600
    assert tuning.poll_interval(ok=False, changed=False, young=True) == 1800
    assert tuning.poll_concurrency == 3 and tuning.poll_young_for_s == 3600
    defaults = SyncTuning.from_settings(Settings())
    assert (defaults.poll_after_read_s, defaults.poll_after_error_s) == (3 * 3600, 3600)
    ctx = WorkerContext(settings=Settings(lapor_poll_after_read_s=60), db=None)
    assert tuning_of(ctx).poll_after_read_s == 60 and TUNING_KEY in ctx.resources


async def _mirrored(app) -> tuple[int, str]:
    case_id, tracking_id = await open_case(app)
    await settle(app)
    app.state.ctx.resources["sync_tuning"] = SCHEDULE
    return case_id, tracking_id


async def _interval(app, case_id: int) -> tuple[int, timedelta]:
    async with app.state.db.session() as session:
        mirror = await session.get(LaporMirror, case_id)
    return mirror.check_interval_s, aware(mirror.next_check_at) - utcnow()


async def test_young_cases_are_read_sooner_old_ones_every_three_hours(sync_app):
    case_id, _ = await _mirrored(sync_app)
    assert await check_case(sync_app.state.ctx, case_id) == "unchanged"
    interval, due_in = await _interval(sync_app, case_id)
    assert interval == 900 and timedelta(minutes=14) < due_in <= timedelta(minutes=15)

    async with sync_app.state.db.session() as session:  # the case is two days old now
        await session.execute(
            update(LaporMirror)
            .where(LaporMirror.case_id == case_id)
            .values(created_at=utcnow() - timedelta(days=2))
        )
    assert await check_case(sync_app.state.ctx, case_id) == "unchanged"
    interval, due_in = await _interval(sync_app, case_id)
    assert interval == 3 * 3600 and timedelta(hours=2, minutes=59) < due_in <= timedelta(hours=3)


async def test_after_an_error_the_case_is_read_again_in_an_hour(sync_app, lapor_sim_admin):
    case_id, _ = await _mirrored(sync_app)
    await lapor_sim_admin.faults(error_rate=1.0)
    assert await check_case(sync_app.state.ctx, case_id) == "error"
    interval, due_in = await _interval(sync_app, case_id)
    assert interval == 3600 and timedelta(minutes=59) < due_in <= timedelta(hours=1)


async def test_a_round_drains_every_due_case_once(sync_app):
    ids = []
    for _ in range(7):
        case_id, _ = await open_case(sync_app)
        ids.append(case_id)
    await settle(sync_app)
    sync_app.state.ctx.resources["sync_tuning"] = replace(
        FAST_TUNING, poll_claim=2, poll_concurrency=3
    )
    counts = await check_due(sync_app.state.ctx)
    assert sum(counts.values()) == 7  # more than one claim per worker; each case once
    assert counts == {"unchanged": 7}
    client = sync_app.state.ctx.resources["lapor"]
    assert client.limiter.granted[Lane.POLL] == 0  # the rate limit is off in these tests


async def test_a_callback_is_read_at_once_ahead_of_the_due_backlog(
    sync_app, client, lapor_sim, lapor_sim_admin
):
    case_id, tracking_id = await _mirrored(sync_app)
    await check_case(sync_app.state.ctx, case_id)  # next read in 15 minutes
    [national] = [c for c in await lapor_sim_admin.complaints() if tracking_id in c["tags_raw"]]
    # A backlog of overdue re-reads (others), and a slow, rate-limited national API.
    others = [(await open_case(sync_app))[0] for _ in range(3)]
    await settle(sync_app)
    async with sync_app.state.db.session() as session:
        await session.execute(
            update(LaporMirror)
            .where(LaporMirror.case_id.in_(others))
            .values(next_check_at=utcnow() - timedelta(hours=1))
        )
    lapor = await use_client(sync_app, fast_client(lapor_sim, rate_limit_per_s=50))
    await lapor_sim_admin.set_status(national["complaint_id"], mapping.STATUS_DITINDAKLANJUTI)
    body = (
        b'{"event_id": "ev-1", "type": "complaint.status_changed", "complaint_id": '
        + str(national["complaint_id"]).encode()
        + b"}"
    )
    response = await client.post("/webhooks/lapor", content=body, headers=signed(body))
    assert response.status_code == 200

    assert await callback_round(sync_app.state.ctx) == 1
    [changed] = await events_of(sync_app, "lapor.status_changed", case_id)
    assert changed.data["to_code"] == mapping.STATUS_DITINDAKLANJUTI
    assert lapor.limiter.granted[Lane.CALLBACK] >= 1 and lapor.limiter.granted[Lane.POLL] == 0
    async with sync_app.state.db.session() as session:
        pending = await session.scalar(
            select(func.count())
            .select_from(LaporCallback)
            .where(LaporCallback.processed_at.is_(None))
        )
    assert pending == 0
    assert await callback_round(sync_app.state.ctx) == 0  # acted on once


async def test_the_jobs_split_polling_discovery_and_callbacks(sync_app, lapor_sim_admin):
    from services.sync.inbound.service import discover_round, poll_round

    case_id, _ = await open_case(sync_app)
    await settle(sync_app)
    forwarded = await lapor_sim_admin.forward(title="Parkir liar", content="Di alun-alun.")
    assert (await poll_round(sync_app.state.ctx))["checked"] == {"unchanged": 1}
    # Discovery needs the national list: off (the default), it asks nothing.
    assert await discover_round(sync_app.state.ctx) == {"off": 1}
    client = sync_app.state.ctx.resources["lapor"]
    await use_client(sync_app, fast_client(str(client.base_url), profile=LaporProfile(search=True)))
    assert (await discover_round(sync_app.state.ctx))["imported"] == 1
    imported = [e for e in await events_of(sync_app, "case.received") if e.actor_type == "lapor"]
    assert [e.data["lapor_complaint_id"] for e in imported] == [forwarded]
