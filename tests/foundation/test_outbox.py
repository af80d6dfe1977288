"""The event log and transactional outbox (DESIGN.md: "a change and its event commit together;
each consumer processes each event at least once and idempotently").

A probe consumer subscribed to ``probe.*`` (see conftest) stands in for a service's consumer.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from shared.auth import SYSTEM
from shared.cases.service import NewCase, create_case
from shared.events import Consumer, Defer, emit
from shared.events.consumer import BACKOFF_BASE_S, BACKOFF_CAP_S, backlog, backoff_seconds
from shared.events.outbox import list_dead_letters, replay
from shared.models import ClientApp, Event, EventDelivery, OutboundMessage


class Recorder:
    """A handler that records what it saw, and can be told to fail or defer on some events."""

    def __init__(self) -> None:
        self.seen: list[tuple[int | None, str]] = []
        self.fail_on: set[str] = set()
        self.defer_on: dict[str, float] = {}

    async def __call__(self, session, event, ctx) -> None:
        self.seen.append((event.case_id, event.data.get("n")))
        key = event.data.get("n")
        if key in self.defer_on:
            raise Defer(self.defer_on[key], reason="mirror paused")
        if key in self.fail_on:
            raise RuntimeError(f"handler broke on {key}")


async def _emit(db, n: str, case_id: int | None = None) -> int:
    async with db.session() as session:
        event = await emit(session, "probe.happened", SYSTEM, case_id=case_id, data={"n": n})
        return event.id


async def _deliveries(db, consumer: str = "probe") -> list[EventDelivery]:
    async with db.session() as session:
        return list(
            (
                await session.scalars(
                    select(EventDelivery)
                    .where(EventDelivery.consumer == consumer)
                    .order_by(EventDelivery.id)
                )
            ).all()
        )


async def _case(db, description: str = "Jalan rusak") -> int:
    async with db.session() as session:
        return (
            await create_case(session, NewCase(channel="web", description=description), SYSTEM)
        ).id


async def test_emit_fans_out_to_subscribed_consumers_and_the_consumer_handles_it(
    db, ctx, probe_subscription
):
    recorder = Recorder()
    event_id = await _emit(db, "a")
    rows = await _deliveries(db)
    assert [(r.event_id, r.status, r.attempts) for r in rows] == [(event_id, "pending", 0)]
    # case.* events do not reach the probe; probe.* events reach no one else
    async with db.session() as session:
        others = await session.scalar(
            select(func.count())
            .select_from(EventDelivery)
            .where(EventDelivery.event_id == event_id, EventDelivery.consumer != "probe")
        )
    assert others == 0

    consumer = Consumer("probe", recorder)
    assert await consumer.drain(ctx) == 1
    assert recorder.seen == [(None, "a")]
    [row] = await _deliveries(db)
    assert row.status == "done" and row.done_at is not None and row.locked_until is None
    assert await consumer.drain(ctx) == 0


async def test_the_change_and_its_event_commit_together_or_not_at_all(db, probe_subscription):
    with pytest.raises(RuntimeError):
        async with db.session() as session:
            session.add(ClientApp(name="aplikasi-kabupaten", key_prefix="smp_x", key_hash="h" * 64))
            await emit(session, "probe.happened", SYSTEM, data={"n": "rolled back"})
            raise RuntimeError("the unit of work fails after the emit")
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(ClientApp)) == 0
        assert (
            await session.scalar(
                select(func.count()).select_from(Event).where(Event.type == "probe.happened")
            )
            == 0
        )
        assert await session.scalar(select(func.count()).select_from(EventDelivery)) == 0

    async with db.session() as session:
        session.add(ClientApp(name="aplikasi-kabupaten", key_prefix="smp_x", key_hash="h" * 64))
        await emit(session, "probe.happened", SYSTEM, data={"n": "kept"})
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(ClientApp)) == 1
        assert await session.scalar(select(func.count()).select_from(EventDelivery)) == 1


async def test_a_failing_handler_rolls_back_its_own_work(db, ctx, probe_subscription, clock):
    async def writes_then_fails(session, event, _ctx):
        session.add(
            ClientApp(name=f"from-{event.id}", key_prefix="smp_x", key_hash=f"{event.id:064d}")
        )
        await session.flush()
        raise RuntimeError("after writing")

    await _emit(db, "a")
    assert await Consumer("probe", writes_then_fails).run_once(ctx) == 1
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(ClientApp)) == 0


async def test_failures_back_off_then_park_as_a_dead_letter_and_replay_brings_it_back(
    db, ctx, probe_subscription, clock
):
    recorder = Recorder()
    recorder.fail_on = {"bad"}
    consumer = Consumer("probe", recorder, max_attempts=3)
    await _emit(db, "bad")

    for attempt in (1, 2):
        assert await consumer.run_once(ctx) == 1
        [row] = await _deliveries(db)
        assert (row.status, row.attempts) == ("pending", attempt)
        assert "handler broke on bad" in row.last_error
        assert row.next_attempt_at > clock.now  # backed off: not due again at once
        assert await consumer.run_once(ctx) == 0
        clock.advance(BACKOFF_CAP_S + 1)

    assert await consumer.run_once(ctx) == 1
    [row] = await _deliveries(db)
    assert (row.status, row.attempts) == ("dead", 3)
    clock.advance(BACKOFF_CAP_S * 10)
    assert await consumer.run_once(ctx) == 0  # parked: never retried by itself
    assert len(recorder.seen) == 3

    async with db.session() as session:
        dead = await list_dead_letters(session, consumer="probe")
        assert [(d.id, e.type) for d, e in dead] == [(row.id, "probe.happened")]
        assert await list_dead_letters(session, consumer="sync") == []
    assert (await backlog(db))["probe"]["dead"] == 1

    recorder.fail_on.clear()
    async with db.session() as session:
        assert await replay(session, delivery_id=row.id) == 1
    assert await consumer.run_once(ctx) == 1
    [row] = await _deliveries(db)
    assert row.status == "done"
    async with db.session() as session:
        assert await list_dead_letters(session) == []


def test_backoff_grows_and_is_capped():
    for attempts in range(1, 20):
        ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (attempts - 1))
        samples = [backoff_seconds(attempts) for _ in range(200)]
        assert all(0 <= s <= ceiling for s in samples)
    assert max(backoff_seconds(12) for _ in range(200)) > BACKOFF_BASE_S * 8


async def test_replay_of_all_dead_letters_of_one_consumer(db, ctx, probe_subscription, clock):
    recorder = Recorder()
    recorder.fail_on = {"x", "y"}
    consumer = Consumer("probe", recorder, max_attempts=1)
    await _emit(db, "x")
    await _emit(db, "y")
    assert await consumer.run_once(ctx) == 2
    async with db.session() as session:
        assert len(await list_dead_letters(session)) == 2
        assert await replay(session, consumer="probe") == 2
    recorder.fail_on.clear()
    assert await consumer.drain(ctx) == 2
    assert {r.status for r in await _deliveries(db)} == {"done"}


async def test_defer_postpones_without_counting_a_failure(db, ctx, probe_subscription, clock):
    recorder = Recorder()
    recorder.defer_on = {"later": 30.0}
    consumer = Consumer("probe", recorder, max_attempts=1)
    await _emit(db, "later")
    for _ in range(3):  # deferring again and again never makes a dead letter
        assert await consumer.run_once(ctx) == 1
        [row] = await _deliveries(db)
        assert (row.status, row.attempts) == ("pending", 0)
        assert row.last_error == "deferred: mirror paused"
        clock.advance(29)
        assert await consumer.run_once(ctx) == 0
        clock.advance(2)
    recorder.defer_on.clear()
    assert await consumer.run_once(ctx) == 1
    [row] = await _deliveries(db)
    assert row.status == "done"


async def test_a_worker_killed_mid_batch_loses_nothing(db, ctx, probe_subscription, clock):
    recorder = Recorder()
    consumer = Consumer("probe", recorder, lease_s=60)
    for n in "abcde":
        await _emit(db, n)
    claimed = await consumer.claim(db, "worker-that-dies")
    assert len(claimed) == 5
    # the dead worker's leases hold: nobody else takes those rows yet
    assert await consumer.run_once(ctx, "survivor") == 0
    clock.advance(61)
    assert await consumer.run_once(ctx, "survivor") == 5
    assert sorted(n for _case, n in recorder.seen) == list("abcde")
    assert {(r.status, r.locked_by) for r in await _deliveries(db)} == {("done", "survivor")}


async def test_redelivery_is_harmless_for_an_idempotent_handler(db, ctx, probe_subscription, clock):
    """At least once: a worker that lost its lease may still run the handler; the handler's own
    dedup key (here ``OutboundMessage.dedup_key``) makes the second run a no-op, and the slow
    worker's late outcome does not undo the survivor's."""

    async def notify_once(session, event, _ctx):
        key = f"probe:{event.id}"
        if (
            await session.scalar(select(OutboundMessage.id).where(OutboundMessage.dedup_key == key))
            is None
        ):
            session.add(
                OutboundMessage(
                    audience="staff",
                    channel="email",
                    recipient="ops@example.go.id",
                    template="probe",
                    body="ada kejadian",
                    dedup_key=key,
                    status="pending",
                    attempts=0,
                    next_attempt_at=clock.now,
                )
            )

    consumer = Consumer("probe", notify_once, lease_s=5)
    await _emit(db, "a")
    [(delivery_id, event_id, attempts)] = await consumer.claim(db, "slow")
    clock.advance(6)
    assert await consumer.run_once(ctx, "fast") == 1
    # the slow worker wakes up and finishes its stale claim: handled twice, one message
    assert await consumer.handle_one(ctx, delivery_id, event_id, attempts, "slow") == "done"
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(OutboundMessage)) == 1
    [row] = await _deliveries(db)
    assert (row.status, row.locked_by) == ("done", "fast")


async def test_a_stale_workers_failure_does_not_reopen_a_finished_delivery(
    db, ctx, probe_subscription, clock
):
    recorder = Recorder()
    consumer = Consumer("probe", recorder, lease_s=5, max_attempts=1)
    await _emit(db, "a")
    [(delivery_id, event_id, attempts)] = await consumer.claim(db, "slow")
    clock.advance(6)
    assert await consumer.run_once(ctx, "fast") == 1
    recorder.fail_on = {"a"}
    await consumer.handle_one(ctx, delivery_id, event_id, attempts, "slow")
    [row] = await _deliveries(db)
    assert (row.status, row.locked_by) == ("done", "fast")


async def test_ordered_per_case_keeps_order_and_a_dead_letter_holds_that_case_only(
    db, ctx, probe_subscription, clock
):
    case_a, case_b = await _case(db, "A"), await _case(db, "B")
    for n in ("a1", "a2", "a3"):
        await _emit(db, n, case_a)
    for n in ("b1", "b2"):
        await _emit(db, n, case_b)
    recorder = Recorder()
    recorder.fail_on = {"a2"}
    consumer = Consumer("probe", recorder, ordered_per_case=True, max_attempts=1, concurrency=4)

    await consumer.drain(ctx)
    assert [n for c, n in recorder.seen if c == case_a] == [
        "a1",
        "a2",
    ]  # a3 waits behind the dead a2
    assert [n for c, n in recorder.seen if c == case_b] == ["b1", "b2"]
    by_n = {}
    async with db.session() as session:
        for delivery, event in (
            await session.execute(
                select(EventDelivery, Event)
                .join(Event, Event.id == EventDelivery.event_id)
                .where(EventDelivery.consumer == "probe")
            )
        ).all():
            by_n[event.data["n"]] = delivery.status
    assert by_n == {"a1": "done", "a2": "dead", "a3": "pending", "b1": "done", "b2": "done"}

    recorder.fail_on.clear()
    async with db.session() as session:
        assert await replay(session, consumer="probe") == 1
    await consumer.drain(ctx)
    assert [n for c, n in recorder.seen if c == case_a] == ["a1", "a2", "a2", "a3"]
    assert {r.status for r in await _deliveries(db)} == {"done"}


async def test_ordered_per_case_waits_for_a_retry_in_backoff(db, ctx, probe_subscription, clock):
    case_a = await _case(db)
    await _emit(db, "a1", case_a)
    await _emit(db, "a2", case_a)
    recorder = Recorder()
    recorder.fail_on = {"a1"}
    consumer = Consumer("probe", recorder, ordered_per_case=True, max_attempts=5)
    await consumer.drain(ctx)
    assert [n for _c, n in recorder.seen] == ["a1"]
    recorder.fail_on.clear()
    clock.advance(BACKOFF_CAP_S + 1)
    await consumer.drain(ctx)
    assert [n for _c, n in recorder.seen] == ["a1", "a1", "a2"]


async def test_ordered_per_case_handles_events_of_no_case(db, ctx, probe_subscription):
    """Ordering is per case; an event with no case waits for nothing."""
    case_a = await _case(db)
    await _emit(db, "a1", case_a)
    await _emit(db, "none-1")
    await _emit(db, "none-2")
    recorder = Recorder()
    recorder.fail_on = {"a1"}
    consumer = Consumer("probe", recorder, ordered_per_case=True, max_attempts=5)
    await consumer.drain(ctx)
    names = [n for _c, n in recorder.seen]
    # a1's retry may come round in the same drain (full-jitter backoff can be ~0 s): what
    # matters is that the caseless events were handled once each, not held behind it.
    assert "a1" in names and names.count("none-1") == names.count("none-2") == 1


async def test_a_late_committed_event_is_not_skipped(db, ctx, probe_subscription):
    """An event whose id was drawn before others' but committed after them is still handled."""
    if db.is_sqlite:
        pytest.skip("SQLite has one writer at a time: no transaction can commit 'late'")
    recorder = Recorder()
    consumer = Consumer("probe", recorder)
    async with db.session() as slow:
        early = await emit(slow, "probe.happened", SYSTEM, data={"n": "early-id"})
        later = [await _emit(db, n) for n in ("later-1", "later-2")]
        assert early.id < min(later)
        assert await consumer.drain(ctx) == 2  # the later ones, committed first
    assert await consumer.drain(ctx) == 1  # and the early one, once it commits
    assert sorted(n for _c, n in recorder.seen) == ["early-id", "later-1", "later-2"]


async def test_stuck_leases_do_not_count_as_done_in_the_backlog(db, probe_subscription):
    await _emit(db, "a")
    async with db.session() as session:
        await session.execute(update(EventDelivery).values(locked_by="ghost"))
    assert (await backlog(db))["probe"]["pending"] == 1


async def test_emit_many_writes_events_in_order_with_their_deliveries(
    db, probe_subscription
) -> None:
    from shared.events import NewEvent, emit_many

    case_id = await _case(db)
    async with db.session() as session:
        ids = await emit_many(
            session,
            [
                NewEvent("probe.happened", SYSTEM, case_id=case_id, data={"n": str(i)})
                for i in range(5)
            ]
            + [NewEvent("case.note_added", SYSTEM, case_id=case_id, reason="why")],
        )
    assert ids == sorted(ids) and len(set(ids)) == 6
    async with db.session() as session:
        events = (await session.scalars(select(Event).where(Event.id.in_(ids)))).all()
        by_id = {e.id: e for e in events}
        assert [by_id[i].data.get("n") for i in ids[:5]] == ["0", "1", "2", "3", "4"]
        assert by_id[ids[5]].reason == "why" and by_id[ids[5]].subject_id == str(case_id)
    probe = [d.event_id for d in await _deliveries(db)]
    assert probe == ids[:5]
    async with db.session() as session:
        assert await emit_many(session, []) == []
