"""Micro benchmark of deadline computation, for ``make bench``.

Measures :meth:`WorkingCalendar.working_days_after` on a warm calendar (table already built),
with starts spread over 2025-2027 and the three Permen 62/2018 clock lengths, because that is
what the SLA service does for every case event.
"""

from __future__ import annotations

import datetime as dt
import time

from .working import WorkingCalendar

__all__ = ["due_calc_per_second"]

_CLOCK_LENGTHS = (3, 5, 10, 14, 60)


def due_calc_per_second(seconds: float = 1.0, *, tz: str = "Asia/Jakarta") -> float:
    """Deadlines computed per second by one thread, measured for about ``seconds``."""
    if seconds <= 0:
        raise ValueError("seconds must be > 0")
    calendar = WorkingCalendar(tz, region="ID-BA")
    base = dt.datetime(2025, 1, 1, 1, 30, tzinfo=dt.UTC)
    starts = [base + dt.timedelta(hours=7 * i) for i in range(3 * 365 * 24 // 7)]
    work = [(start, _CLOCK_LENGTHS[i % len(_CLOCK_LENGTHS)]) for i, start in enumerate(starts)]
    for start, n in work[:: len(work) // 16]:  # warm up: build the decades involved
        calendar.working_days_after(start, n)
    after = calendar.working_days_after
    done = 0
    began = time.perf_counter()
    deadline = began + seconds
    while True:
        for start, n in work:
            after(start, n)
        done += len(work)
        now = time.perf_counter()
        if now >= deadline:
            return done / (now - began)


if __name__ == "__main__":  # pragma: no cover
    print(f"{due_calc_per_second():,.0f} deadlines/s")
