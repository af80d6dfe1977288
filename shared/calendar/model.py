"""The value types of the working-day calendar: what a non-working day is and where it came from.

They are frozen dataclasses so a calendar built from them can be shared between tasks and
threads without copying, and so a day's provenance (``source``) can be shown to Admin Instansi
when a deadline looks surprising ("why is 20 March not counted?" -> cuti bersama).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "CalendarRangeError",
    "DaySource",
    "NonWorkingDay",
    "Override",
    "OverrideKind",
    "RegionalDay",
]


class CalendarRangeError(ValueError):
    """A date (or a count of working days from it) falls outside the years the calendar covers.

    A ``ValueError`` so callers validating input can catch one family; its own class so a
    service can tell "the calendar cannot answer" apart from "the caller passed nonsense".
    """


class DaySource(StrEnum):
    """Why a day is not a working day. Values are stable strings, fit for JSON and DB columns."""

    NATIONAL = "national"
    """Libur nasional, from the yearly SKB 3 Menteri (``holidays`` category PUBLIC)."""
    CUTI_BERSAMA = "cuti_bersama"
    """Cuti bersama, from the same SKB (``holidays`` category GOVERNMENT)."""
    REGIONAL = "regional"
    """A day off of the pemda's province: built-in overlay (e.g. Bali) or supplied as data."""
    LOCAL_OVERRIDE = "local_override"
    """Set by Admin Instansi (e.g. a Perbup day off)."""


class OverrideKind(StrEnum):
    """What a local override does to its date. Overrides win over every other source."""

    ADD = "add"
    """The date is *not* a working day (a local day off)."""
    REMOVE = "remove"
    """The date *is* a working day, even if a holiday or a weekend (e.g. a Perbup decision
    that offices stay open on a cuti bersama, or a Saturday made up for a bridge day)."""


@dataclass(frozen=True, slots=True)
class NonWorkingDay:
    """One non-working day other than an ordinary weekend, with its name and provenance.

    ``name`` is Bahasa Indonesia as published (the ``holidays`` package's ``id`` locale for
    national days and cuti bersama; the overlay's or admin's text otherwise). When several
    sources name the same date, the calendar reports one entry with the most authoritative
    source (national > cuti bersama > regional > local override).
    """

    date: dt.date
    name: str
    source: DaySource


@dataclass(frozen=True, slots=True)
class RegionalDay:
    """A regional day off supplied as data, e.g. from a governor's yearly Surat Edaran.

    This is the shape a deployment ships for its province (see
    :func:`shared.calendar.read_regional_days` for the CSV form)::

        RegionalDay(dt.date(2026, 6, 18), "Umanis Galungan")
    """

    date: dt.date
    name: str

    def __post_init__(self) -> None:
        if not isinstance(self.date, dt.date) or isinstance(self.date, dt.datetime):
            raise TypeError(f"RegionalDay.date must be a date, not {type(self.date).__name__}")
        if not self.name.strip():
            raise ValueError(f"RegionalDay on {self.date} needs a name")


@dataclass(frozen=True, slots=True)
class Override:
    """A local decision by Admin Instansi about one date; it beats every other source.

    ``kind=ADD`` makes the date a non-working day (listed with source ``local_override`` and
    ``reason`` as its name); ``kind=REMOVE`` makes it a working day (it then disappears from
    :meth:`WorkingCalendar.non_working_days`).
    """

    date: dt.date
    kind: OverrideKind
    reason: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.date, dt.date) or isinstance(self.date, dt.datetime):
            raise TypeError(f"Override.date must be a date, not {type(self.date).__name__}")
        # Accept the plain strings a DB row carries ("add"/"remove"); fail loudly on others.
        object.__setattr__(self, "kind", OverrideKind(self.kind))
