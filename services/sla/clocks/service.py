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
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from shared.calendar import WorkingCalendar
from shared.cases.events import CaseEvent, case_event, payload_of
from shared.config import Settings
from shared.models import Case, Event
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


@dataclass
class _Move:
    """One event's work on one case's clocks: what the steps of ``CLOCK_RULES`` act on."""

    session: AsyncSession
    calendar: WorkingCalendar
    settings: Settings
    event: Event
    clocks: _Clocks

    @property
    def at(self) -> dt.datetime:
        return self.event.occurred_at

    async def start(self, kind: ClockKind, rule: ClockRule, **extra: Any) -> SlaClock:
        return await start_clock(
            self.session,
            self.calendar,
            self.settings,
            case_id=self.event.case_id,
            kind=kind,
            rule=rule,
            at=self.at,
            event_id=self.event.id,
            **extra,
        )

    async def case(self) -> Case | None:
        return await self.session.get(Case, self.event.case_id)


@dataclass(frozen=True, slots=True)
class Stop:
    """End the open clocks of ``kind`` as ``outcome`` (met after the deadline: breached)."""

    kind: ClockKind
    outcome: ClockState

    async def run(self, move: _Move) -> None:
        move.clocks.stop(self.kind, move.at, self.outcome)


@dataclass(frozen=True, slots=True)
class StopAll:
    """The case has ended: a running verification counts as met, everything else cancelled."""

    async def run(self, move: _Move) -> None:
        move.clocks.stop_all(move.at)


@dataclass(frozen=True, slots=True)
class Start:
    kind: ClockKind
    rule: ClockRule

    async def run(self, move: _Move) -> None:
        await move.start(self.kind, self.rule)


@dataclass(frozen=True, slots=True)
class Pause:
    kind: ClockKind

    async def run(self, move: _Move) -> None:
        for clock in move.clocks.of(self.kind):
            pause(clock, move.calendar, move.at, move.event.id)


@dataclass(frozen=True, slots=True)
class ResumeOrStart:
    """Resume the paused clocks of ``kind`` with the days they had left; none paused (the
    case had moved past it): start a fresh one."""

    kind: ClockKind
    rule: ClockRule

    async def run(self, move: _Move) -> None:
        paused = [c for c in move.clocks.of(self.kind) if c.state == ClockState.PAUSED]
        for clock in paused:
            resume(
                clock, move.calendar, move.at, move.event.id, move.settings.warning_in_working_days
            )
        if not paused:
            await move.start(self.kind, self.rule)


@dataclass(frozen=True, slots=True)
class Restart:
    """Start ``kind`` afresh if one is open (a reporter's message restarts the silence)."""

    kind: ClockKind
    rule: ClockRule

    async def run(self, move: _Move) -> None:
        if move.clocks.of(self.kind):
            move.clocks.stop(self.kind, move.at, ClockState.CANCELLED)
            await move.start(self.kind, self.rule)


#: Where a new resolution clock's OPD comes from.
EVENT_OPD, EVENT_OR_CASE_OPD, CASE_OPD = "event", "event_or_case", "case"


@dataclass(frozen=True, slots=True)
class StartResolution:
    """A resolution clock for the case's SLA class (the event's, else the case's; default by
    kind), held by the OPD the event names (``EVENT_OPD``), or the case's own."""

    opd_from: str

    async def run(self, move: _Move) -> None:
        payload = payload_of(move.event)
        case = await move.case()
        opd = getattr(payload, "opd", None) if self.opd_from != CASE_OPD else None
        if opd is None and self.opd_from != EVENT_OPD:
            opd = case.opd_code if case else None
        sla_class = resolution_class(
            getattr(payload, "sla_class", None) or (case.sla_class if case else None),
            case.kind if case else None,
        )
        await move.start(
            ClockKind.RESOLUTION, RESOLUTION_BY_CLASS[sla_class], opd_code=opd, sla_class=sla_class
        )


VER, MISSING, RES, CLOS = (
    ClockKind.VERIFICATION,
    ClockKind.MISSING_INFO,
    ClockKind.RESOLUTION,
    ClockKind.CLOSURE,
)
MET, CANCELLED = ClockState.MET, ClockState.CANCELLED

#: The event → clock rules (see the module docstring), in the order each event applies them.
#: An event not named here moves no clock.
CLOCK_RULES: dict[CaseEvent, tuple[Any, ...]] = {
    CaseEvent.RECEIVED: (Start(VER, VERIFICATION),),
    CaseEvent.INFO_REQUESTED: (Pause(VER), Stop(MISSING, CANCELLED), Start(MISSING, MISSING_INFO)),
    CaseEvent.INFO_PROVIDED: (Stop(MISSING, MET), ResumeOrStart(VER, VERIFICATION)),
    CaseEvent.VERIFIED: (Stop(VER, MET),),
    CaseEvent.DISPOSED: (Stop(VER, MET), Stop(RES, CANCELLED), StartResolution(EVENT_OR_CASE_OPD)),
    CaseEvent.RETURNED: (Stop(RES, CANCELLED),),
    CaseEvent.RESOLVED: (
        Stop(VER, MET),
        Stop(RES, MET),
        Stop(CLOS, CANCELLED),
        Start(CLOS, CLOSURE),
    ),
    CaseEvent.REOPENED: (Stop(CLOS, CANCELLED), Stop(RES, CANCELLED), StartResolution(CASE_OPD)),
    CaseEvent.REFERRED_APIP: (Stop(VER, MET), Stop(RES, CANCELLED), StartResolution(EVENT_OPD)),
    CaseEvent.MESSAGE_RECEIVED: (Restart(CLOS, CLOSURE),),
    CaseEvent.CLOSED: (Stop(CLOS, MET), StopAll()),
    CaseEvent.ARCHIVED: (StopAll(),),
    CaseEvent.FORWARDED_NATIONAL: (StopAll(),),
}


async def apply_case_event(
    session: AsyncSession,
    calendar: WorkingCalendar,
    settings: Settings,
    event: Event,
    *,
    lock: bool,
) -> None:
    """Move the case's clocks for one ``case.*`` event by ``CLOCK_RULES``."""
    if event.case_id is None:
        return
    open_clocks = await repository.open_clocks(session, event.case_id, lock=lock)
    if await repository.last_applied_event(session, event.case_id) >= event.id:
        return  # redelivered: events reach us in order per case, so this one was applied
    move = _Move(session, calendar, settings, event, _Clocks(open_clocks, event.id))
    for step in CLOCK_RULES.get(case_event(event.type), ()):
        await step.run(move)
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
