"""The mirror's timings, in one object so tests (and operators) can shorten them.

Read with :func:`tuning_of` from ``ctx.resources["sync_tuning"]``; the defaults are the
production values.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

#: A paused mirror looks again this often (resume also makes everything due at once).
PAUSE_RECHECK_S = 30.0
#: A held case (operator must look) is retried this often; release makes it due at once.
HELD_RECHECK_S = 300.0
#: After an uncertain outcome, look (search by tag / re-read follow-ups) this soon.
UNCERTAIN_RECHECK_S = 2.0
TRANSIENT_BASE_S = 5.0
TRANSIENT_CAP_S = 300.0
#: Polling: 5 min after a change or an error, doubling to 6 h while nothing changes.
POLL_MIN_INTERVAL_S = 300
POLL_MAX_INTERVAL_S = 6 * 3600
#: Discovery re-reads this much before its cursor: national clocks and commits are late.
DISCOVER_OVERLAP_S = 300
POLL_BATCH = 100
POLL_CONCURRENCY = 4
#: A claimed case is not claimed again for this long (a crashed poller lets it lapse).
POLL_LEASE_S = 120
#: Reconciliation leaves cases younger than this alone (their events are still in flight).
RECONCILE_GRACE_S = 120


@dataclass
class SyncTuning:
    pause_recheck_s: float = PAUSE_RECHECK_S
    held_recheck_s: float = HELD_RECHECK_S
    uncertain_recheck_s: float = UNCERTAIN_RECHECK_S
    transient_base_s: float = TRANSIENT_BASE_S
    transient_cap_s: float = TRANSIENT_CAP_S
    #: Upper bound on every ``Defer`` (tests set it near 0 to run outages fast).
    max_defer_s: float | None = None
    poll_min_interval_s: int = POLL_MIN_INTERVAL_S
    poll_max_interval_s: int = POLL_MAX_INTERVAL_S
    discover_overlap_s: int = DISCOVER_OVERLAP_S
    poll_batch: int = POLL_BATCH
    poll_concurrency: int = POLL_CONCURRENCY
    poll_lease_s: int = POLL_LEASE_S
    reconcile_grace_s: int = RECONCILE_GRACE_S

    def defer(self, seconds: float) -> float:
        if self.max_defer_s is not None:
            return min(seconds, self.max_defer_s)
        return seconds

    def transient_backoff(self, attempts: int, retry_after: float | None = None) -> float:
        """The server's ``Retry-After`` when given, else exponential backoff with jitter."""
        if retry_after is not None:
            return self.defer(max(retry_after, 0.0))
        base = min(self.transient_cap_s, self.transient_base_s * 2 ** max(attempts - 1, 0))
        return self.defer(base / 2 + random.uniform(0, base / 2))


DEFAULT_TUNING = SyncTuning()


def tuning_of(ctx: Any) -> SyncTuning:
    return ctx.resources.get("sync_tuning") or DEFAULT_TUNING
