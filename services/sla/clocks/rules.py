"""The clocks of Permen 62/2018 (as written into Perbup Tanah Laut 11/2020): how long each
runs and how early it warns. Durations are working days; warning leads are working days by
default, calendar days when ``SIMPUL_WARNING_IN_WORKING_DAYS=false`` (DESIGN.md leaves the
reading open and asks for it to be explicit).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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


@dataclass(frozen=True, slots=True)
class ClockRule:
    working_days: int
    #: Days before the deadline the early warning is due; None: the clock never warns.
    warning_days: int | None = None


VERIFICATION = ClockRule(3, warning_days=1)  # our choice: one day before, the last day left
MISSING_INFO = ClockRule(10)  # Permen 62/2018: 10 WD for missing data, then archived
CLOSURE = ClockRule(10)

DEFAULT_SLA_CLASS = "non_lapangan"
RESOLUTION_BY_CLASS: dict[str, ClockRule] = {
    "informasi": ClockRule(5, warning_days=3),  # information request / normative complaint
    "non_lapangan": ClockRule(14, warning_days=8),  # no supervision or field check
    "lapangan": ClockRule(60, warning_days=35),  # needs supervision and a field check
}

#: Clocks whose warning and breach are staff matters (events ``sla.warning``/``sla.breached``
#: and escalation). The reporter's clock (missing_info) and closure expire into a lifecycle
#: action instead.
ESCALATING = (ClockKind.VERIFICATION, ClockKind.RESOLUTION)
EXPIRING = (ClockKind.MISSING_INFO, ClockKind.CLOSURE)

ARCHIVE_REASON_INCOMPLETE = "Data tidak dilengkapi dalam 10 hari kerja"
CLOSE_REASON_SILENCE = (
    "Ditutup otomatis: tidak ada tanggapan pelapor dalam 10 hari kerja setelah jawaban akhir"
)


def resolution_class(sla_class: str | None, case_kind: str | None) -> str:
    """The case's SLA class, or a default: an information request is ``informasi``, anything
    else ``non_lapangan`` until Admin Instansi says otherwise."""
    if sla_class in RESOLUTION_BY_CLASS:
        return sla_class
    return "informasi" if case_kind == "permintaan_informasi" else DEFAULT_SLA_CLASS
