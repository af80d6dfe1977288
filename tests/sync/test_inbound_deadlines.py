"""The poller re-reads a case sooner when its SLA warning or deadline is near: the next
check is capped by the nearest future point of a running verification/resolution clock
(at most 30 min apart within the last 24 h); stopped clocks and clockless cases keep the
plain backoff."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from services.sync.inbound.check import check_case, schedule_next_check
from shared.models import utcnow
from shared.models.sla import SlaClock
from shared.models.sync import LaporMirror
from tests.sync.test_mirror_support import (
    FAST_TUNING,
    open_case,
    settle,
)

#: Production polling intervals (3 h after a good read), so the schedule is long enough to
#: be capped; no case counts as young here.
REAL_POLLING = replace(
    FAST_TUNING,
    poll_after_read_s=3 * 3600,
    poll_after_error_s=3600,
    poll_young_s=900,
    poll_young_for_s=0,
)


def aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def mirrored(app) -> int:
    """A mirrored case already checked once and quiet (next read in 3 h)."""
    case_id, _ = await open_case(app)
    await settle(app)
    app.state.ctx.resources["sync_tuning"] = REAL_POLLING
    await check_case(app.state.ctx, case_id)
    async with app.state.db.session() as session:
        await session.execute(
            update(LaporMirror)
            .where(LaporMirror.case_id == case_id)
            .values(check_interval_s=REAL_POLLING.poll_after_read_s)
        )
    return case_id


async def add_clock(
    app, case_id: int, *, deadline_in: timedelta, state: str = "running"
) -> datetime:
    now = utcnow()
    deadline = now + deadline_in
    async with app.state.db.session() as session:
        session.add(
            SlaClock(
                case_id=case_id,
                kind="resolution",
                working_days=5,
                started_at=now - timedelta(days=5),
                deadline_at=deadline,
                state=state,
                stopped_at=now if state != "running" else None,
            )
        )
    return deadline


async def mirror_of(app, case_id: int) -> LaporMirror:
    async with app.state.db.session() as session:
        return await session.get(LaporMirror, case_id)


async def test_a_near_resolution_deadline_caps_the_next_check(sync_app):
    case_id = await mirrored(sync_app)
    deadline = await add_clock(sync_app, case_id, deadline_in=timedelta(minutes=40))
    before = utcnow()
    assert await check_case(sync_app.state.ctx, case_id) == "unchanged"
    mirror = await mirror_of(sync_app, case_id)
    assert mirror.check_interval_s == REAL_POLLING.poll_after_read_s  # the schedule says 3 h
    assert before <= aware(mirror.next_check_at) <= aware(deadline)


async def test_a_case_without_a_running_clock_keeps_the_plain_backoff(sync_app):
    case_id = await mirrored(sync_app)
    assert await check_case(sync_app.state.ctx, case_id) == "unchanged"
    mirror = await mirror_of(sync_app, case_id)
    assert mirror.check_interval_s == REAL_POLLING.poll_after_read_s
    assert aware(mirror.next_check_at) - aware(mirror.last_checked_at) == timedelta(
        seconds=mirror.check_interval_s
    )


async def test_a_met_clock_no_longer_shortens(sync_app):
    case_id = await mirrored(sync_app)
    await add_clock(sync_app, case_id, deadline_in=timedelta(minutes=40), state="met")
    assert await check_case(sync_app.state.ctx, case_id) == "unchanged"
    mirror = await mirror_of(sync_app, case_id)
    assert mirror.check_interval_s == REAL_POLLING.poll_after_read_s
    assert aware(mirror.next_check_at) - aware(mirror.last_checked_at) == timedelta(
        seconds=mirror.check_interval_s
    )


def test_the_schedule_rules():
    now = datetime(2026, 11, 23, 8, tzinfo=UTC)
    six_hours = 6 * 3600
    assert schedule_next_check(now, six_hours, None) == now + timedelta(hours=6)
    # A warning three days out is later than the backoff: no change.
    assert schedule_next_check(now, 300, now + timedelta(days=3)) == now + timedelta(minutes=5)
    # A deadline in 2 days: the check happens no later than it.
    assert schedule_next_check(now, six_hours * 16, now + timedelta(days=2)) == now + timedelta(
        days=2
    )
    # Within the last 24 h: at most 30 min apart.
    assert schedule_next_check(now, six_hours, now + timedelta(hours=20)) == now + timedelta(
        minutes=30
    )
    # Never in the past.
    assert schedule_next_check(now, -60, None) == now
