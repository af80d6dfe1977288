"""The mirror's timings, in one object so tests (and operators) can shorten them.

Read with :func:`tuning_of`: ``ctx.resources["sync_tuning"]`` when set (tests), else
the production values with the polling schedule from the settings
(``SIMPUL_LAPOR_POLL_*``), made once per process.
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
#: Polling, as the public integrators do [seen]: 3 h after a good read, 60 min after an
#: error; sooner (15 min) while a case is young (its first 24 h on the mirror) or after a
#: read that found a change. ``SIMPUL_LAPOR_POLL_*`` set them.
POLL_AFTER_READ_S = 3 * 3600
POLL_AFTER_ERROR_S = 3600
POLL_YOUNG_S = 900
POLL_YOUNG_FOR_S = 24 * 3600
#: Discovery re-reads this much before its cursor: national clocks and commits are late.
DISCOVER_OVERLAP_S = 300
#: Cases one poll worker claims at a time; workers per process (the rate limit paces them).
POLL_CLAIM = 4
POLL_CONCURRENCY = 16
#: One poll round drains what was due at its start, for at most this long.
POLL_ROUND_S = 60.0
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
    poll_after_read_s: int = POLL_AFTER_READ_S
    poll_after_error_s: int = POLL_AFTER_ERROR_S
    poll_young_s: int = POLL_YOUNG_S
    poll_young_for_s: int = POLL_YOUNG_FOR_S
    discover_overlap_s: int = DISCOVER_OVERLAP_S
    poll_claim: int = POLL_CLAIM
    poll_concurrency: int = POLL_CONCURRENCY
    poll_round_s: float = POLL_ROUND_S
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

    @classmethod
    def from_settings(cls, settings: Any) -> SyncTuning:
        return cls(
            poll_after_read_s=settings.lapor_poll_after_read_s,
            poll_after_error_s=settings.lapor_poll_after_error_s,
            poll_young_s=settings.lapor_poll_young_s,
            poll_young_for_s=settings.lapor_poll_young_for_s,
            poll_concurrency=settings.lapor_poll_concurrency,
        )

    def poll_interval(self, *, ok: bool, changed: bool, young: bool) -> int:
        """Seconds to the next national re-read of a case (before the SLA cap)."""
        if not ok:
            return self.poll_after_error_s
        if changed or young:
            return min(self.poll_young_s, self.poll_after_read_s)
        return self.poll_after_read_s


DEFAULT_TUNING = SyncTuning()
TUNING_KEY = "sync_tuning"


def tuning_of(ctx: Any) -> SyncTuning:
    tuning = ctx.resources.get(TUNING_KEY)
    if tuning is None:
        settings = getattr(ctx, "settings", None)
        tuning = SyncTuning.from_settings(settings) if settings is not None else DEFAULT_TUNING
        ctx.resources[TUNING_KEY] = tuning
    return tuning
