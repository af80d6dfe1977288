"""The process's LAPOR! rate limit shared by lane: callbacks first, writes and polling by
weight while both wait, a lone lane takes the whole rate (``lapor/pacing.py``)."""

from __future__ import annotations

import asyncio

import pytest

from services.sync.lapor.pacing import FairTokenBucket, Lane, current_lane, use_lane
from tests.sync.test_lapor_client import FakeClock as _FakeClock


class FakeClock(_FakeClock):
    """The fake clock, but its sleep lets other tasks run (as a real sleep would)."""

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds)
        await asyncio.sleep(0)


async def _take(bucket: FairTokenBucket, lane: Lane, n: int, order: list[Lane]) -> None:
    with use_lane(lane):
        for _ in range(n):
            await bucket.acquire()
            order.append(lane)


async def test_a_lone_lane_gets_the_whole_rate():
    clock = FakeClock()
    bucket = FairTokenBucket(10, clock=clock, sleep=clock.sleep)
    order: list[Lane] = []
    start = clock.now
    await _take(bucket, Lane.POLL, 50, order)
    # 50 tokens at 10/s, the first from the burst: 4.9 s of the fake clock.
    assert clock.now - start == pytest.approx(4.9)
    assert bucket.granted[Lane.POLL] == 50


async def test_writes_and_polling_share_the_rate_while_both_wait():
    clock = FakeClock()
    bucket = FairTokenBucket(10, poll_share=0.5, clock=clock, sleep=clock.sleep)
    order: list[Lane] = []
    await asyncio.gather(
        *(_take(bucket, Lane.POLL, 1, order) for _ in range(40)),
        *(_take(bucket, Lane.WRITE, 1, order) for _ in range(40)),
    )
    first_half = order[:40]
    assert abs(first_half.count(Lane.POLL) - first_half.count(Lane.WRITE)) <= 2


async def test_the_poll_share_sets_the_split():
    clock = FakeClock()
    bucket = FairTokenBucket(10, poll_share=0.25, clock=clock, sleep=clock.sleep)
    order: list[Lane] = []
    await asyncio.gather(
        *(_take(bucket, Lane.POLL, 1, order) for _ in range(60)),
        *(_take(bucket, Lane.WRITE, 1, order) for _ in range(60)),
    )
    first = order[:40]
    assert 8 <= first.count(Lane.POLL) <= 12  # a quarter of the tokens


async def test_callbacks_jump_the_queue():
    clock = FakeClock()
    bucket = FairTokenBucket(10, clock=clock, sleep=clock.sleep)
    order: list[Lane] = []

    async def callback_later() -> None:
        await asyncio.sleep(0)  # arrives after the backlog queued
        await _take(bucket, Lane.CALLBACK, 2, order)

    await asyncio.gather(*(_take(bucket, Lane.POLL, 1, order) for _ in range(30)), callback_later())
    assert order.index(Lane.CALLBACK) <= 2
    assert order.count(Lane.CALLBACK) == 2 and order.count(Lane.POLL) == 30


async def test_an_idle_lane_banks_no_credit():
    clock = FakeClock()
    bucket = FairTokenBucket(10, clock=clock, sleep=clock.sleep)
    order: list[Lane] = []
    await _take(bucket, Lane.POLL, 20, order)  # polling alone for a while
    order.clear()
    await asyncio.gather(
        *(_take(bucket, Lane.POLL, 1, order) for _ in range(20)),
        *(_take(bucket, Lane.WRITE, 1, order) for _ in range(20)),
    )
    first = order[:20]
    assert first.count(Lane.POLL) >= 8  # writes did not get everything on arrival


async def test_a_cancelled_waiter_gives_its_turn_away_and_zero_rate_is_off():
    clock = FakeClock()
    bucket = FairTokenBucket(1, clock=clock, sleep=clock.sleep)
    await bucket.acquire()  # the burst
    waiter = asyncio.create_task(bucket.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    order: list[Lane] = []
    await _take(bucket, Lane.WRITE, 1, order)
    assert order == [Lane.WRITE]
    off = FairTokenBucket(0)
    for _ in range(1000):
        await off.acquire()
    assert current_lane.get() is Lane.WRITE
