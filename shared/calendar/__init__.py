"""Indonesian working days (*hari kerja*) for Simpul's SLA clocks.

A working day is Monday to Friday, not a national holiday (libur nasional), not cuti bersama,
not a regional day off of the pemda's province, and not a local day off set by Admin Instansi;
a local override can also make a day a working day again, and overrides win over everything
(DESIGN.md, "Counting working days"). National days and cuti bersama come from the
``holidays`` package (the yearly SKB 3 Menteri); Bali's Galungan and Kuningan are built in;
other provinces' days are supplied as data.

>>> import datetime as dt
>>> from shared.calendar import WorkingCalendar
>>> cal = WorkingCalendar("Asia/Jakarta", region="ID-BA")
>>> cal.is_working_day(dt.date(2026, 6, 17))  # Galungan
False
>>> received = dt.datetime(2026, 12, 23, 9, 0, tzinfo=dt.UTC)
>>> cal.working_days_after(received, 3)  # 24 CB, 25 LN, weekend -> end of Wed 30 Dec (WIB)
datetime.datetime(2026, 12, 30, 16, 59, 59, tzinfo=datetime.timezone.utc)

Inputs are aware datetimes (naive ones are refused), dates are taken in the deployment's
timezone, outputs are aware UTC datetimes.
"""

from .model import CalendarRangeError, DaySource, NonWorkingDay, Override, OverrideKind, RegionalDay
from .regional import PROVINCE_CODES, galungan_dates, read_regional_days, regional_days_from_rows
from .working import (
    END_OF_DAY,
    MAX_WORKING_DAYS,
    MAX_YEAR,
    MIN_YEAR,
    WorkingCalendar,
    base_calendar,
    calendar_from_settings,
)

__all__ = [
    "END_OF_DAY",
    "MAX_WORKING_DAYS",
    "MAX_YEAR",
    "MIN_YEAR",
    "PROVINCE_CODES",
    "CalendarRangeError",
    "DaySource",
    "NonWorkingDay",
    "Override",
    "OverrideKind",
    "RegionalDay",
    "WorkingCalendar",
    "base_calendar",
    "calendar_from_settings",
    "galungan_dates",
    "read_regional_days",
    "regional_days_from_rows",
]
