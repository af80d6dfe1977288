"""The inbound jobs (safe in N processes: cases and callbacks are claimed).

``lapor-poll`` re-reads due cases (and discovers forwarded ones); it starts a new round
5 s after the last one ended, and a round drains everything due at its start, so a
backlog is read as fast as the poller's share of the rate limit allows.
``lapor-callbacks`` acts on new callbacks every second, apart from any backlog.
"""

from __future__ import annotations

from services.sync.inbound.service import callback_round, poll_round
from shared.events import PeriodicJob

POLL_INTERVAL_S = 5.0
CALLBACK_INTERVAL_S = 1.0


def lapor_poller(interval_s: float = POLL_INTERVAL_S) -> PeriodicJob:
    return PeriodicJob(name="lapor-poll", func=poll_round, interval_s=interval_s)


def lapor_callbacks(interval_s: float = CALLBACK_INTERVAL_S) -> PeriodicJob:
    return PeriodicJob(name="lapor-callbacks", func=callback_round, interval_s=interval_s)
