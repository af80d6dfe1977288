"""The SLA clocks: their kinds and states. How long each runs and how early it warns are
the case's numbers, in ``shared.cases.deadlines`` (re-exported here for the clocks' code).
"""

from __future__ import annotations

from enum import StrEnum

from shared.cases.deadlines import (
    ARCHIVE_REASON_INCOMPLETE,
    CLOSE_REASON_SILENCE,
    CLOSURE,
    DEFAULT_SLA_CLASS,
    MISSING_INFO,
    RESOLUTION_BY_CLASS,
    VERIFICATION,
    Deadline,
    resolution_class,
)

__all__ = [
    "ARCHIVE_REASON_INCOMPLETE",
    "CLOSE_REASON_SILENCE",
    "CLOSURE",
    "DEFAULT_SLA_CLASS",
    "ESCALATING",
    "EXPIRING",
    "MISSING_INFO",
    "RESOLUTION_BY_CLASS",
    "VERIFICATION",
    "ClockKind",
    "ClockRule",
    "ClockState",
    "resolution_class",
]


class ClockKind(StrEnum):
    VERIFICATION = "verification"  # Admin Instansi verifies within 3 WD of receipt
    MISSING_INFO = "missing_info"  # the reporter completes the data within 10 WD, else archived
    RESOLUTION = "resolution"  # the OPD answers within 5/14/60 WD of disposal
    CLOSURE = "closure"  # a final answer closes by itself after 10 WD of silence (LAPOR! practice)


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    CANCELLED = "cancelled"


#: A clock's length and warning lead (``shared.cases.deadlines`` holds the numbers).
ClockRule = Deadline

#: Clocks whose warning and breach are staff matters (events ``sla.warning``/``sla.breached``
#: and escalation). The reporter's clock (missing_info) and closure expire into a lifecycle
#: action instead.
ESCALATING = (ClockKind.VERIFICATION, ClockKind.RESOLUTION)
EXPIRING = (ClockKind.MISSING_INFO, ClockKind.CLOSURE)
