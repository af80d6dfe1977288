"""The ``sla`` consumer (clocks follow case events) and the sweeper (warnings, breaches,
automatic archive and close).

The sweeper is safe in any number of processes and fires each warning and breach exactly
once: a batch is claimed by one conditional ``UPDATE ... WHERE id IN (due rows, FOR UPDATE
SKIP LOCKED on PostgreSQL) AND warned_at IS NULL RETURNING``, and the events and escalation
messages for the returned rows are written in the same transaction. Due rows are found by
range scans on partial indexes over running clocks only, in batches. A deadline is the last
second of its day (23:59:59 local): a clock breaches strictly after it; a warning likewise
fires once its moment has passed.

Deadlines fall at midnight, so thousands of clocks come due in the same sweep. A batch is
therefore written with a constant number of statements, whatever its size: the events and
their deliveries with ``emit_many``, the escalation messages with one insert; expired
reporter-side clocks move their cases with one conditional UPDATE (and are retried one by
one if a batch fails, so one bad case cannot hold up the others).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.sla.calendar.service import current_calendar
from services.sla.escalation.service import Escalation, queue_escalations
from shared.auth import SYSTEM
from shared.cases.events import EndedPayload
from shared.cases.workflow import apply_to_many
from shared.events import Consumer, NewEvent, PeriodicJob, WorkerContext, emit_many
from shared.lifecycle import Action
from shared.models import Case, Event, utcnow
from shared.models.sla import SlaClock

from .rules import (
    ARCHIVE_REASON_INCOMPLETE,
    CLOSE_REASON_SILENCE,
    ESCALATING,
    EXPIRING,
    ClockKind,
    ClockState,
)
from .service import apply_case_event

log = structlog.get_logger("simpul.sla")

CONSUMER_NAME = "sla"
SWEEP_INTERVAL_S = 30.0
SWEEP_BATCH = 500
EXPIRY_BATCH = 100


# -- consumer -----------------------------------------------------------------------------------


async def on_case_event(session: AsyncSession, event: Event, ctx: WorkerContext) -> None:
    calendar = await current_calendar(session, ctx)
    await apply_case_event(session, calendar, ctx.settings, event, lock=not ctx.db.is_sqlite)


def sla_consumer() -> Consumer:
    # Ordered per case: a pause must be applied before the resume that follows it.
    return Consumer(CONSUMER_NAME, on_case_event, ordered_per_case=True)


# -- sweeper ------------------------------------------------------------------------------------


_RETURNING = (
    SlaClock.id,
    SlaClock.case_id,
    SlaClock.kind,
    SlaClock.opd_code,
    SlaClock.sla_class,
    SlaClock.working_days,
    SlaClock.deadline_at,
    SlaClock.warning_at,
)


def _claim(ctx: WorkerContext, due, values: dict[str, Any], *guards):
    """One conditional UPDATE claiming the due rows (skipping rows another sweeper holds)."""
    if not ctx.db.is_sqlite:
        due = due.with_for_update(skip_locked=True)
    return (
        update(SlaClock)
        .where(
            SlaClock.id.in_(due.scalar_subquery()), SlaClock.state == ClockState.RUNNING, *guards
        )
        .values(**values)
        .returning(*_RETURNING)
        .execution_options(synchronize_session=False)
    )


async def _tracking_ids(session: AsyncSession, case_ids: set[int]) -> dict[int, str]:
    """Tracking ids of the batch's cases in one query (only the column the messages need)."""
    rows = await session.execute(select(Case.id, Case.tracking_id).where(Case.id.in_(case_ids)))
    return {case_id: tracking_id for case_id, tracking_id in rows}


def _clock_event(row: Any, tracking_id: str, *, breached: bool, now: dt.datetime) -> NewEvent:
    """``sla.warning``/``sla.breached`` for one claimed clock, as SYSTEM at ``now``."""
    return NewEvent(
        "sla.breached" if breached else "sla.warning",
        SYSTEM,
        case_id=row.case_id,
        occurred_at=now,
        data={
            "clock": row.kind,
            "clock_id": row.id,
            "tracking_id": tracking_id,
            "opd": row.opd_code,
            "sla_class": row.sla_class,
            "working_days": row.working_days,
            "deadline_at": row.deadline_at.isoformat(),
            "warning_at": row.warning_at.isoformat() if row.warning_at else None,
        },
    )


async def _announce(
    session: AsyncSession,
    ctx: WorkerContext,
    rows: Sequence[Any],
    *,
    breached: bool,
    now: dt.datetime,
) -> None:
    """Write ``sla.warning``/``sla.breached`` and queue the escalations for a claimed batch.

    Built in memory and written with multi-row inserts (events, their deliveries, the
    messages): a constant handful of statements per batch, not a few per clock. Event ids
    come back in ``rows`` order, so each message points at its own clock's event.
    """
    if not rows:
        return
    calendar = await current_calendar(session, ctx)
    tracking = await _tracking_ids(session, {row.case_id for row in rows})
    tracking_ids = [tracking.get(row.case_id, str(row.case_id)) for row in rows]
    event_ids = await emit_many(
        session,
        [
            _clock_event(row, tracking_id, breached=breached, now=now)
            for row, tracking_id in zip(rows, tracking_ids, strict=True)
        ],
    )
    await queue_escalations(
        session,
        [
            Escalation(
                event_id=event_id,
                case_id=row.case_id,
                breached=breached,
                tracking_id=tracking_id,
                clock_kind=row.kind,
                deadline_local=row.deadline_at.astimezone(calendar.tz),
                opd_code=row.opd_code,
            )
            for row, tracking_id, event_id in zip(rows, tracking_ids, event_ids, strict=True)
        ],
        ctx.settings,
    )


async def _warn_batch(ctx: WorkerContext, now: dt.datetime, limit: int) -> int:
    due = (
        select(SlaClock.id)
        .where(
            SlaClock.state == ClockState.RUNNING,
            SlaClock.warned_at.is_(None),
            SlaClock.warning_at < now,
            SlaClock.deadline_at >= now,  # past the deadline the breach says it all
        )
        .order_by(SlaClock.warning_at)
        .limit(limit)
    )
    stmt = _claim(
        ctx, due, {"warned_at": now, "updated_at": utcnow()}, SlaClock.warned_at.is_(None)
    )
    async with ctx.db.session() as session:
        rows = (await session.execute(stmt)).all()
        await _announce(session, ctx, rows, breached=False, now=now)
    return len(rows)


async def _breach_batch(ctx: WorkerContext, now: dt.datetime, limit: int) -> int:
    due = (
        select(SlaClock.id)
        .where(
            SlaClock.state == ClockState.RUNNING,
            SlaClock.deadline_at < now,
            SlaClock.kind.in_([str(k) for k in ESCALATING]),
        )
        .order_by(SlaClock.deadline_at)
        .limit(limit)
    )
    values = {"state": ClockState.BREACHED.value, "breached_at": now, "updated_at": utcnow()}
    stmt = _claim(ctx, due, values, SlaClock.breached_at.is_(None))
    async with ctx.db.session() as session:
        rows = (await session.execute(stmt)).all()
        await _announce(session, ctx, rows, breached=True, now=now)
    return len(rows)


@dataclass(frozen=True, slots=True)
class _Expiry:
    """What an expired reporter-side clock becomes and the lifecycle action that follows."""

    clock_state: ClockState
    action: Action
    reason: str
    reason_code: str
    outcome: str  # the count when the case moved: archived | closed


_EXPIRIES = {
    ClockKind.MISSING_INFO: _Expiry(
        ClockState.BREACHED, Action.ARCHIVE, ARCHIVE_REASON_INCOMPLETE, "incomplete", "archived"
    ),
    ClockKind.CLOSURE: _Expiry(
        ClockState.MET, Action.CLOSE, CLOSE_REASON_SILENCE, "no_reporter_reply", "closed"
    ),
}


async def _due_expired(
    ctx: WorkerContext, kind: ClockKind, now: dt.datetime, limit: int, skip: set[int]
) -> list[int]:
    """Ids of up to ``limit`` expired clocks of ``kind``, oldest deadline first, leaving out
    those that failed earlier in this sweep (read only: the claim re-checks each row)."""
    stmt = (
        select(SlaClock.id)
        .where(
            SlaClock.state == ClockState.RUNNING,
            SlaClock.deadline_at < now,
            SlaClock.kind == kind.value,
        )
        .order_by(SlaClock.deadline_at)
        .limit(limit)
    )
    if skip:
        stmt = stmt.where(SlaClock.id.not_in(skip))
    async with ctx.db.session() as session:
        return list((await session.scalars(stmt)).all())


async def _expire_clocks(
    ctx: WorkerContext, kind: ClockKind, now: dt.datetime, clock_ids: list[int]
) -> list[str]:
    """In one transaction: claim those of ``clock_ids`` still running and expired (skipping
    rows another sweeper holds), archive or close their cases with one conditional UPDATE,
    and write the events with one ``emit_many``. A case that moved on only has its clock
    stopped (``expired``). Returns one outcome per clock claimed here."""
    expiry = _EXPIRIES[kind]
    values = {"state": expiry.clock_state.value, "stopped_at": now, "updated_at": utcnow()}
    if expiry.clock_state == ClockState.BREACHED:
        values["breached_at"] = now
    due = select(SlaClock.id).where(
        SlaClock.id.in_(clock_ids),
        SlaClock.state == ClockState.RUNNING,
        SlaClock.deadline_at < now,
        SlaClock.kind == kind.value,
    )
    async with ctx.db.session() as session:
        rows = (await session.execute(_claim(ctx, due, values, SlaClock.deadline_at < now))).all()
        if not rows:
            return []
        payloads: dict[int, EndedPayload] = {}
        for row in rows:  # one event per case, as one clock at a time would write
            payloads.setdefault(row.case_id, _expiry_payload(expiry, row, kind))
        moved = await apply_to_many(session, payloads, expiry.action, reason=expiry.reason, at=now)
        outcomes = []
        for row in rows:
            if row.case_id in moved:
                moved.discard(row.case_id)
                outcomes.append(expiry.outcome)
            else:
                outcomes.append("expired")
    return outcomes


def _expiry_payload(expiry: _Expiry, row: Any, kind: ClockKind) -> EndedPayload:
    """What ``case.archived``/``case.closed`` says of the clock that ran out."""
    return EndedPayload(
        clock=kind.value,
        clock_id=row.id,
        deadline_at=row.deadline_at.isoformat(),
        by="sla",
        reason_code=expiry.reason_code,
    )


async def _expire_one_by_one(
    ctx: WorkerContext, kind: ClockKind, now: dt.datetime, clock_ids: list[int], failed: set[int]
) -> list[str]:
    """After a failed batch: each clock in its own transaction, so one bad case cannot stop
    the others; a clock that fails again is left running (retried next sweep)."""
    outcomes: list[str] = []
    for clock_id in clock_ids:
        try:
            outcomes += await _expire_clocks(ctx, kind, now, [clock_id])
        except Exception as exc:  # noqa: BLE001 - one bad case must not stop the others
            log.warning("sla_expiry_failed", clock_id=clock_id, error_type=type(exc).__name__)
            failed.add(clock_id)
    return outcomes


async def _expire(ctx: WorkerContext, now: dt.datetime, limit: int, counts: dict[str, int]) -> None:
    """Archive cases whose data never came and close silent resolved ones, a batch at a time."""
    failed: set[int] = set()
    for kind in EXPIRING:
        while True:
            due = await _due_expired(ctx, kind, now, limit, failed)
            if not due:
                break
            try:
                outcomes = await _expire_clocks(ctx, kind, now, due)
            except Exception as exc:  # noqa: BLE001 - retried clock by clock just below
                log.warning(
                    "sla_expiry_batch_failed", clocks=len(due), error_type=type(exc).__name__
                )
                outcomes = await _expire_one_by_one(ctx, kind, now, due, failed)
            for outcome in outcomes:
                counts[outcome] += 1
            if len(due) < limit:
                break
            if not outcomes and failed.isdisjoint(due):
                break  # another sweeper holds them all and will finish them


async def sweep(
    ctx: WorkerContext, now: dt.datetime | None = None, *, batch_size: int = SWEEP_BATCH
) -> dict[str, int]:
    """Fire due warnings and breaches, archive cases whose data never came, close silent
    resolved cases. ``now`` may be faked in tests. Returns counts per outcome."""
    now = now or utcnow()
    counts = {"warned": 0, "breached": 0, "archived": 0, "closed": 0, "expired": 0}
    for key, batch in (("warned", _warn_batch), ("breached", _breach_batch)):
        while True:
            n = await batch(ctx, now, batch_size)
            counts[key] += n
            if n < batch_size:
                break
    await _expire(ctx, now, min(batch_size, EXPIRY_BATCH), counts)
    if any(counts.values()):
        log.info("sla_sweep", **counts)
    return counts


async def _sweep_job(ctx: WorkerContext) -> None:
    await sweep(ctx)


def sla_sweeper() -> PeriodicJob:
    return PeriodicJob("sla-sweeper", _sweep_job, SWEEP_INTERVAL_S)
