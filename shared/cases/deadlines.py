"""The numbers of a case — how many working days each step may take, and how early the
system warns — in one module that intake, Open311, the SLA clocks and the console import.

Permen 62/2018 (as written into Perbup Tanah Laut 11/2020): Admin Instansi verifies within
3 working days of receipt; the reporter completes missing data within 10 (else the case is
archived); the OPD answers within 5, 14 or 60 by the case's SLA class; a final answer
closes by itself after 10 working days of the reporter's silence (LAPOR! practice).
Warning leads are working days by default, calendar days when
``SIMPUL_WARNING_IN_WORKING_DAYS=false`` (DESIGN.md leaves the reading open).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Deadline:
    working_days: int
    #: Days before the deadline the early warning is due; None: the clock never warns.
    warning_days: int | None = None


#: Verification by Admin Instansi; warned one day before, the last day left (our choice).
VERIFICATION = Deadline(3, warning_days=1)
#: Permen 62/2018: 10 WD for missing data, then archived.
MISSING_INFO = Deadline(10)
#: Reporter silence after a final answer, then closed.
CLOSURE = Deadline(10)

SLA_CLASSES = ("informasi", "non_lapangan", "lapangan")
DEFAULT_SLA_CLASS = "non_lapangan"
RESOLUTION_BY_CLASS: dict[str, Deadline] = {
    "informasi": Deadline(5, warning_days=3),  # information request / normative complaint
    "non_lapangan": Deadline(14, warning_days=8),  # no supervision or field check
    "lapangan": Deadline(60, warning_days=35),  # needs supervision and a field check
}

#: Why the sweeper ends a case when a reporter-side clock runs out (Bahasa Indonesia).
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


def resolution_working_days(sla_class: str | None) -> int | None:
    """Working days the OPD has for a case of ``sla_class`` (None: no class yet)."""
    rule = RESOLUTION_BY_CLASS.get(sla_class or "")
    return rule.working_days if rule else None
