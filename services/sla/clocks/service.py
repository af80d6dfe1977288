"""How case events move the clocks (the rules; no HTTP, no commits).

Decisions (DESIGN.md, "The case lifecycle"; all times are the event's ``occurred_at``, so
a late consumer never shifts a clock):

* ``received`` starts *verification* (3 WD).
* ``info_requested`` pauses verification and starts *missing_info* (10 WD; at its deadline
  the sweeper archives the case as incomplete). ``info_provided`` meets missing_info and
  resumes verification with the working days it had left (paused days never count); with
  no paused verification (the case had been verified already) a fresh one starts.
* ``verified`` meets verification; ``disposed`` meets it too and starts *resolution* for the
  case's SLA class (5/14/60 WD) with the OPD.
* ``returned`` cancels the OPD's resolution clock: the case is back with Admin Instansi, and
  the next disposal starts a new clock with the new OPD's full time.
* ``responded`` changes nothing; ``resolved`` meets resolution and starts *closure* (10 WD of
  reporter silence, then the sweeper closes the case); a reporter's message restarts it.
* ``reopened`` cancels closure and starts a new resolution clock (full time): the reporter
  disputes the answer, which is new work for the OPD.
* ``referred_apip`` meets verification, cancels the OPD's resolution and starts a resolution
  clock for the Inspektorat (opd from the event, else none: Admin Instansi is escalated to).
* ``closed``, ``archived``, ``forwarded_national`` stop every open clock (verification still
  running counts as met: the decision was taken; others are cancelled).

A clock stopped as met after its deadline (the sweeper had not run yet) is recorded as
breached at its deadline, so reports never flatter. Redelivered events change nothing: the
consumer is ordered per case and every change records ``last_event_id``, so an event not
newer than the newest applied one is skipped (and starts are keyed by the starting event).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

import structlog
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.calendar import WorkingCalendar
from shared.config import Settings
from shared.lifecycle import TRANSITIONS, Action, Role, Status, TransitionRefused, check
from shared.models import Case, Event, utcnow
from shared.models.sla import SlaClock

from . import repository
from .rules import (
    CLOSURE,
    MISSING_INFO,
    RESOLUTION_BY_CLASS,
    VERIFICATION,
    ClockKind,
    ClockRule,
    ClockState,
    resolution_class,
)

log = structlog.get_logger("simpul.sla")

_OPEN = (ClockState.RUNNING, ClockState.PAUSED, ClockState.BREACHED)


# -- one clock ---------------------------------------------------------------------------------


def segment_start(clock: SlaClock) -> dt.datetime:
    return clock.resumed_at or clock.started_at


def schedule(
    clock: SlaClock, calendar: WorkingCalendar, start: dt.datetime, warn_in_working_days: bool
) -> None:
    """Set ``deadline_at`` and ``warning_at`` for a clock (re)starting at ``start``.

    With no working day left (paused on its last day), the deadline is the end of the resume
    day. A warning lead as long as the time left warns at once (``warning_at = start``).
    """
    if clock.working_days - clock.used_working_days >= 1:
        deadline = calendar.working_days_after(
            start, clock.working_days, used=clock.used_working_days
        )
    else:
        deadline = calendar.end_of_day(calendar.local_date(start))
    clock.deadline_at = deadline
    if clock.warning_days is None:
        clock.warning_at = None
    else:
        warning = calendar.warning_before(
            deadline, clock.warning_days, working_days=warn_in_working_days
        )
        clock.warning_at = max(warning, start)


async def start_clock(
    session: AsyncSession,
    calendar: WorkingCalendar,
    settings: Settings,
    *,
    case_id: int,
    kind: ClockKind,
    rule: ClockRule,
    at: dt.datetime,
    event_id: int | None,
    opd_code: str | None = None,
    sla_class: str | None = None,
) -> SlaClock:
    """Start a new generation of ``kind`` for the case (once per starting event)."""
    if event_id is not None:
        existing = await repository.clock_started_by(session, case_id, kind, event_id)
        if existing is not None:
            return existing
    clock = SlaClock(
        case_id=case_id,
        kind=str(kind),
        generation=await repository.last_generation(session, case_id, kind) + 1,
        opd_code=opd_code,
        sla_class=sla_class,
        working_days=rule.working_days,
        warning_days=rule.warning_days,
        used_working_days=0,
        started_at=at,
        state=ClockState.RUNNING,
        start_event_id=event_id,
        last_event_id=event_id,
    )
    schedule(clock, calendar, at, settings.warning_in_working_days)
    session.add(clock)
    await session.flush()
    return clock


def pause(
    clock: SlaClock, calendar: WorkingCalendar, at: dt.datetime, event_id: int | None
) -> None:
    """Stop counting (waiting for the reporter). A clock already breached is simply stopped:
    the late verification stays on record and a fresh clock follows the reporter's answer."""
    if clock.state == ClockState.RUNNING:
        used = calendar.working_days_between(segment_start(clock), at)
        clock.used_working_days += max(used, 0)
        clock.state, clock.paused_at = ClockState.PAUSED, at
    elif clock.state == ClockState.BREACHED:
        clock.stopped_at = at
    clock.last_event_id = event_id


def resume(
    clock: SlaClock,
    calendar: WorkingCalendar,
    at: dt.datetime,
    event_id: int | None,
    warn_in_working_days: bool,
) -> None:
    """Count again from ``at`` (day 0) with the working days left."""
    if clock.state != ClockState.PAUSED:
        return
    clock.state, clock.paused_at, clock.resumed_at = ClockState.RUNNING, None, at
    schedule(clock, calendar, at, warn_in_working_days)
    clock.last_event_id = event_id


def stop(clock: SlaClock, at: dt.datetime, event_id: int | None, outcome: ClockState) -> None:
    """End the clock as ``met`` or ``cancelled``; a breached clock stays breached."""
    if clock.stopped_at is not None:
        return
    if clock.state == ClockState.BREACHED:
        pass
    elif outcome == ClockState.MET and clock.state == ClockState.RUNNING and at > clock.deadline_at:
        clock.state, clock.breached_at = ClockState.BREACHED, clock.deadline_at
    else:
        clock.state = outcome
    clock.stopped_at = at
    clock.last_event_id = event_id


# -- case events -------------------------------------------------------------------------------


class _Clocks:
    """The open clocks of one case, as one event sees them (skipping those it already moved)."""

    def __init__(self, clocks: list[SlaClock], event_id: int) -> None:
        self.clocks = clocks
        self.event_id = event_id

    def of(self, kind: ClockKind) -> list[SlaClock]:
        return [
            c
            for c in self.clocks
            if c.kind == kind
            and c.stopped_at is None
            and (c.last_event_id is None or c.last_event_id < self.event_id)
        ]

    def stop(self, kind: ClockKind, at: dt.datetime, outcome: ClockState) -> None:
        for clock in self.of(kind):
            stop(clock, at, self.event_id, outcome)

    def stop_all(self, at: dt.datetime) -> None:
        for clock in self.of(ClockKind.VERIFICATION):
            stop(
                clock,
                at,
                self.event_id,
                ClockState.MET if clock.state == ClockState.RUNNING else ClockState.CANCELLED,
            )
        for kind in (ClockKind.MISSING_INFO, ClockKind.RESOLUTION, ClockKind.CLOSURE):
            self.stop(kind, at, ClockState.CANCELLED)


def _data(event: Event) -> dict[str, Any]:
    return event.data if isinstance(event.data, dict) else {}


async def apply_case_event(
    session: AsyncSession,
    calendar: WorkingCalendar,
    settings: Settings,
    event: Event,
    *,
    lock: bool,
) -> None:
    """Move the case's clocks for one ``case.*`` event (see the module docstring)."""
    if event.case_id is None:
        return
    at, event_id, kind = event.occurred_at, event.id, event.type.removeprefix("case.")
    open_clocks = await repository.open_clocks(session, event.case_id, lock=lock)
    if await repository.last_applied_event(session, event.case_id) >= event_id:
        return  # redelivered: events reach us in order per case, so this one was applied
    clocks = _Clocks(open_clocks, event_id)
    warn_wd = settings.warning_in_working_days

    async def start(clock_kind: ClockKind, rule: ClockRule, **extra: Any) -> SlaClock:
        return await start_clock(
            session,
            calendar,
            settings,
            case_id=event.case_id,
            kind=clock_kind,
            rule=rule,
            at=at,
            event_id=event_id,
            **extra,
        )

    async def start_resolution(opd_code: str | None) -> None:
        case = await session.get(Case, event.case_id)
        data = _data(event)
        sla_class = resolution_class(
            data.get("sla_class") or (case.sla_class if case else None), case.kind if case else None
        )
        await start(
            ClockKind.RESOLUTION,
            RESOLUTION_BY_CLASS[sla_class],
            opd_code=opd_code,
            sla_class=sla_class,
        )

    def opd_from_event() -> str | None:
        data = _data(event)
        return data.get("opd") or data.get("opd_code") or None

    if kind == "received":
        await start(ClockKind.VERIFICATION, VERIFICATION)
    elif kind == "info_requested":
        for clock in clocks.of(ClockKind.VERIFICATION):
            pause(clock, calendar, at, event_id)
        clocks.stop(ClockKind.MISSING_INFO, at, ClockState.CANCELLED)
        await start(ClockKind.MISSING_INFO, MISSING_INFO)
    elif kind == "info_provided":
        clocks.stop(ClockKind.MISSING_INFO, at, ClockState.MET)
        paused = [c for c in clocks.of(ClockKind.VERIFICATION) if c.state == ClockState.PAUSED]
        for clock in paused:
            resume(clock, calendar, at, event_id, warn_wd)
        if not paused:
            await start(ClockKind.VERIFICATION, VERIFICATION)
    elif kind == "verified":
        clocks.stop(ClockKind.VERIFICATION, at, ClockState.MET)
    elif kind == "disposed":
        clocks.stop(ClockKind.VERIFICATION, at, ClockState.MET)
        clocks.stop(ClockKind.RESOLUTION, at, ClockState.CANCELLED)
        opd = opd_from_event()
        if opd is None:
            case = await session.get(Case, event.case_id)
            opd = case.opd_code if case else None
        await start_resolution(opd)
    elif kind == "returned":
        clocks.stop(ClockKind.RESOLUTION, at, ClockState.CANCELLED)
    elif kind == "resolved":
        clocks.stop(ClockKind.VERIFICATION, at, ClockState.MET)
        clocks.stop(ClockKind.RESOLUTION, at, ClockState.MET)
        clocks.stop(ClockKind.CLOSURE, at, ClockState.CANCELLED)
        await start(ClockKind.CLOSURE, CLOSURE)
    elif kind == "reopened":
        clocks.stop(ClockKind.CLOSURE, at, ClockState.CANCELLED)
        clocks.stop(ClockKind.RESOLUTION, at, ClockState.CANCELLED)
        case = await session.get(Case, event.case_id)
        await start_resolution(case.opd_code if case else None)
    elif kind == "referred_apip":
        clocks.stop(ClockKind.VERIFICATION, at, ClockState.MET)
        clocks.stop(ClockKind.RESOLUTION, at, ClockState.CANCELLED)
        await start_resolution(opd_from_event())
    elif kind == "message_received":
        # "closes by itself when the reporter says nothing for 10 WD": a reply restarts it.
        if clocks.of(ClockKind.CLOSURE):
            clocks.stop(ClockKind.CLOSURE, at, ClockState.CANCELLED)
            await start(ClockKind.CLOSURE, CLOSURE)
    elif kind == "closed":
        clocks.stop(ClockKind.CLOSURE, at, ClockState.MET)
        clocks.stop_all(at)
    elif kind in ("archived", "forwarded_national"):
        clocks.stop_all(at)
    await session.flush()


# -- calendar changes --------------------------------------------------------------------------


async def reschedule_around(
    session: AsyncSession, calendar: WorkingCalendar, settings: Settings, day: dt.date
) -> int:
    """Recompute the deadlines of running clocks that a changed ``day`` can move (an override
    added or revoked). A warning already sent is not sent again. Returns how many moved.

    Cost: the running clocks spanning the day (indexed on the deadline); fine for the tens
    of thousands of open clocks of a pemda, done inside the admin's request.
    """
    after = calendar.end_of_day(day - dt.timedelta(days=1))
    until = calendar.end_of_day(day)
    moved = 0
    for clock in await repository.running_spanning(session, after, until):
        before = clock.deadline_at
        schedule(clock, calendar, segment_start(clock), settings.warning_in_working_days)
        moved += clock.deadline_at != before
    await session.flush()
    return moved


# -- lifecycle actions taken by the sweeper --------------------------------------------------------


def _system_sources(action: Action, reason: str) -> list[str]:
    """The statuses from which SYSTEM may take ``action`` (the lifecycle table decides);
    archiving is the missing-data clock's alone, so only a case still awaiting info."""
    sources = []
    for status in Status:
        try:
            check(status, action, Role.SYSTEM, reason)
        except TransitionRefused:
            continue
        if action == Action.ARCHIVE and status != Status.AWAITING_INFO:
            continue
        sources.append(status.value)
    return sources


async def system_actions(
    session: AsyncSession,
    case_ids: Collection[int],
    action: Action,
    *,
    reason: str,
    at: dt.datetime,
) -> set[int]:
    """Apply ``action`` as SYSTEM to many cases (archive incomplete ones, close silent ones)
    with one conditional UPDATE; returns the ids of the cases it moved. A case that has moved
    on (the transition no longer applies) is left alone. The status test runs in the UPDATE
    itself, so a concurrent change is never overwritten, and ``version`` is bumped as the
    ORM would, so a writer holding the old version gets its usual conflict. The caller
    writes the events."""
    if not case_ids:
        return set()
    rule = TRANSITIONS[action]
    values: dict[str, Any] = {
        "status": str(rule.target),
        "status_changed_at": at,
        "updated_at": utcnow(),
        "version": Case.version + 1,
    }
    if action == Action.ARCHIVE:
        values.update(archived_at=at, archive_reason=reason)
    elif action == Action.CLOSE:
        values["closed_at"] = at
    stmt = (
        update(Case)
        .where(Case.id.in_(case_ids), Case.status.in_(_system_sources(action, reason)))
        .values(**values)
        .returning(Case.id)
        .execution_options(synchronize_session=False)
    )
    return set((await session.scalars(stmt)).all())
