"""The inbound poller as a periodic job (safe in N processes: cases are claimed)."""

from __future__ import annotations

from services.sync.inbound.service import poll_once
from shared.events import PeriodicJob

POLL_INTERVAL_S = 30.0


def lapor_poller(interval_s: float = POLL_INTERVAL_S) -> PeriodicJob:
    return PeriodicJob(name="lapor-poll", func=poll_once, interval_s=interval_s)
