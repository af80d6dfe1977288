"""The ``sla`` consumer (clocks follow case events) and the sweeper (warnings, breaches,
automatic archive and close).

The sweeper is safe in any number of processes and fires each warning and breach exactly
once: a batch is claimed by one conditional ``UPDATE ... WHERE id IN (due rows, FOR UPDATE
SKIP LOCKED on PostgreSQL) AND warned_at IS NULL RETURNING``, and the events and escalation
messages for the returned rows are written in the same transaction. Due rows are found by
range scans on partial indexes over running clocks only, in batches. A deadline is the last
second of its day (23:59:59 local): a clock breaches strictly after it; a warning likewise
fires once its moment has passed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.sla.calendar.service import current_calendar
from services.sla.escalation.service import Escalation, queue_escalations
from shared.auth import SYSTEM
from shared.events import Consumer, NewEvent, PeriodicJob, WorkerContext, emit_many
from shared.lifecycle import Action
from shared.models import Case, Event, Opd, utcnow
from shared.models.sla import SlaClock

from .rules import (
    ARCHIVE_REASON_INCOMPLETE,
    CLOSE_REASON_SILENCE,
    ESCALATING,
    ClockKind,
    ClockState,
)
from .service import apply_case_event, system_action

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


def _claim(ctx: WorkerContext, due, values: dict[str, Any], *guards):  # noqa: ANN001, ANN202
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


async def _opds(session: AsyncSession, codes: set[str]) -> dict[str, Opd]:
    """The batch's OPDs (contacts, names) in one query."""
    if not codes:
        return {}
    return {o.code: o for o in (await session.scalars(select(Opd).where(Opd.code.in_(codes))))}


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
    opds = await _opds(session, {row.opd_code for row in rows if row.opd_code})
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
                opd=opds.get(row.opd_code) if row.opd_code else None,
            )
            for row, tracking_id, event_id in zip(rows, tracking_ids, event_ids, strict=True)
        ],
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


async def _expire_one(ctx: WorkerContext, clock_id: int, kind: str, now: dt.datetime) -> str | None:
    """Claim one expired reporter-side clock and take its lifecycle action, in one transaction."""
    if kind == ClockKind.MISSING_INFO:
        values = {"state": ClockState.BREACHED.value, "breached_at": now, "stopped_at": now}
    else:
        values = {"state": ClockState.MET.value, "stopped_at": now}
    stmt = (
        update(SlaClock)
        .where(
            SlaClock.id == clock_id,
            SlaClock.state == ClockState.RUNNING,
            SlaClock.deadline_at < now,
        )
        .values(updated_at=utcnow(), **values)
        .returning(SlaClock.case_id, SlaClock.deadline_at)
        .execution_options(synchronize_session=False)
    )
    async with ctx.db.session() as session:
        row = (await session.execute(stmt)).first()
        if row is None:
            return None  # another sweeper took it, or the case moved on
        data = {
            "clock": kind,
            "clock_id": clock_id,
            "deadline_at": row.deadline_at.isoformat(),
            "by": "sla",
        }
        if kind == ClockKind.MISSING_INFO:
            event = await system_action(
                session,
                row.case_id,
                Action.ARCHIVE,
                reason=ARCHIVE_REASON_INCOMPLETE,
                data={**data, "reason_code": "incomplete"},
                at=now,
            )
            return "archived" if event else "expired"
        event = await system_action(
            session,
            row.case_id,
            Action.CLOSE,
            reason=CLOSE_REASON_SILENCE,
            data={**data, "reason_code": "no_reporter_reply"},
            at=now,
        )
        return "closed" if event else "expired"


async def _expire(ctx: WorkerContext, now: dt.datetime, limit: int, counts: dict[str, int]) -> None:
    failed: set[int] = set()
    while True:
        async with ctx.db.session() as session:
            due = (
                await session.execute(
                    select(SlaClock.id, SlaClock.kind)
                    .where(
                        SlaClock.state == ClockState.RUNNING,
                        SlaClock.deadline_at < now,
                        SlaClock.kind.in_([ClockKind.MISSING_INFO.value, ClockKind.CLOSURE.value]),
                    )
                    .order_by(SlaClock.deadline_at)
                    .limit(limit + len(failed))
                )
            ).all()
        todo = [(cid, kind) for cid, kind in due if cid not in failed]
        if not todo:
            return
        for clock_id, kind in todo:
            try:
                outcome = await _expire_one(ctx, clock_id, kind, now)
            except Exception as exc:  # noqa: BLE001 - one bad case must not stop the others
                log.warning("sla_expiry_failed", clock_id=clock_id, error_type=type(exc).__name__)
                failed.add(clock_id)
                continue
            if outcome:
                counts[outcome] += 1
        if len(todo) < limit:
            return


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
