"""A deadline as a person reads it: working days left in the pemda's calendar, and how
urgent ("sisa 2 hari kerja"; red past the early warning). The worklists, the case view and
the console all show a clock through :func:`due_view`, so the wording lives here once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shared.calendar import WorkingCalendar
from shared.cases.labels import CLOCK_LABELS
from shared.models.sla import SlaClock

#: Clock states that still count for a case (a breached clock runs on until stopped).
OPEN_CLOCK_STATES = frozenset({"running", "breached", "paused"})

#: Levels of a deadline: how the console colours it.
OK, WARNING, BREACHED, PAUSED = "ok", "warning", "breached", "paused"


@dataclass(frozen=True, slots=True)
class DueView:
    """One clock as a person reads it: how many working days are left, and how urgent."""

    kind: str
    kind_label: str
    state: str
    deadline_at: str | None
    #: Working days from today (excluded) to the deadline's day (included); negative: late.
    working_days_left: int | None
    level: str
    label: str


def due_label(left: int | None, level: str) -> str:
    """ "sisa 2 hari kerja", "batas hari ini", "lewat 3 hari kerja" (Bahasa Indonesia)."""
    if level == PAUSED or left is None:
        return "dijeda (menunggu pelapor)"
    if left < 0:
        return f"lewat {-left} hari kerja"
    if level == BREACHED:
        return "lewat batas waktu"
    if left == 0:
        return "batas hari ini"
    return f"sisa {left} hari kerja"


def due_view(clock: SlaClock, calendar: WorkingCalendar, now: dt.datetime) -> DueView:
    """``clock`` seen ``now``: working days left in the pemda's calendar, and its level."""
    if clock.state == "paused":
        left, level = None, PAUSED
    else:
        left = calendar.working_days_between(now, clock.deadline_at)
        if clock.state == "breached" or clock.deadline_at < now:
            level = BREACHED
        elif clock.warned_at is not None or (
            clock.warning_at is not None and clock.warning_at <= now
        ):
            level = WARNING
        else:
            level = OK
    return DueView(
        kind=clock.kind,
        kind_label=CLOCK_LABELS.get(clock.kind, clock.kind),
        state=clock.state,
        deadline_at=clock.deadline_at.isoformat() if clock.deadline_at else None,
        working_days_left=left,
        level=level,
        label=due_label(left, level),
    )


def primary_clock(clocks: list[SlaClock]) -> SlaClock | None:
    """The clock a list shows: the earliest counting deadline, else a paused one."""
    counting = [c for c in clocks if c.state != "paused"]
    pool = counting or clocks
    return min(pool, key=lambda c: c.deadline_at) if pool else None
