"""Client-side protection for the national API: a token bucket and a circuit breaker.

Both take an injectable clock (and the bucket an injectable sleep), so tests assert on
what they decide, never on wall-clock time.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Awaitable, Callable

from services.sync.lapor.errors import LaporUnavailable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


#: The default burst, in seconds of the rate: enough to make up for a late event loop,
#: small enough to leave the server's own bucket its slack (see :class:`TokenBucket`).
DEFAULT_BURST_S = 0.1


class TokenBucket:
    """An async token bucket shared by every call of one client.

    ``rate_per_s`` tokens refill per second up to ``burst``; :meth:`acquire` waits (FIFO)
    until a token is free. A rate of 0 or less turns the limiter off.

    The default burst is a tenth of a second's worth, not a whole second's: the client's
    pace is usually set to the server's limit, and a client that starts with a full
    second's burst empties the server's bucket, after which any jitter in arrival times
    turns into 429s (each costing a token and a ``Retry-After`` of at least a second).
    """

    def __init__(
        self,
        rate_per_s: float,
        *,
        burst: float | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.rate_per_s = float(rate_per_s)
        if burst is None:
            burst = rate_per_s * DEFAULT_BURST_S
        self.burst = max(1.0, float(burst))
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._updated = clock()
        self._lock = asyncio.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate_per_s > 0

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._updated = now
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate_per_s)

    async def acquire(self) -> None:
        if not self.enabled:
            return
        async with self._lock:  # FIFO: waiters are served in arrival order
            self._refill()
            if self._tokens < 1.0:
                await self._sleep((1.0 - self._tokens) / self.rate_per_s)
                self._refill()
            # After sleeping the whole deficit the token is ours, even if rounding (or a
            # sleep that ended a hair early) left 0.99…: the balance may dip below zero by
            # that much, and the next caller waits for it. Looping "until >= 1" instead
            # can spin on float residue without the clock ever moving.
            self._tokens -= 1.0


class BreakerState(enum.StrEnum):
    CLOSED = "closed"
    HALF_OPEN = "half_open"
    OPEN = "open"


#: Numeric values for a Prometheus gauge (``lapor_circuit_state``).
BREAKER_GAUGE_VALUES = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}

DEFAULT_FAILURE_THRESHOLD = 5
DEFAULT_RESET_TIMEOUT_S = 30.0


class CircuitBreaker:
    """Opens after ``failure_threshold`` consecutive transient failures; after
    ``reset_timeout_s`` lets one trial call through (half-open): success closes it,
    failure opens it again. 4xx answers count as success (the server is up); 429 is
    neutral (we were too fast, the server is fine)."""

    def __init__(
        self,
        *,
        failure_threshold: int = DEFAULT_FAILURE_THRESHOLD,
        reset_timeout_s: float = DEFAULT_RESET_TIMEOUT_S,
        clock: Clock = time.monotonic,
    ) -> None:
        self.failure_threshold = max(1, failure_threshold)
        self.reset_timeout_s = reset_timeout_s
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_in_flight = False

    @property
    def state(self) -> BreakerState:
        if (
            self._state is BreakerState.OPEN
            and self._clock() - self._opened_at >= self.reset_timeout_s
        ):
            self._state = BreakerState.HALF_OPEN
            self._trial_in_flight = False
        return self._state

    @property
    def gauge_value(self) -> int:
        return BREAKER_GAUGE_VALUES[self.state]

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def before_call(self, operation: str | None = None) -> None:
        """Let a call through or raise :class:`LaporUnavailable` (nothing is sent)."""
        state = self.state
        if state is BreakerState.OPEN:
            remaining = max(0.0, self.reset_timeout_s - (self._clock() - self._opened_at))
            raise LaporUnavailable(
                "SP4N-LAPOR! circuit open", operation=operation, retry_after=remaining
            )
        if state is BreakerState.HALF_OPEN:
            if self._trial_in_flight:
                raise LaporUnavailable(
                    "SP4N-LAPOR! circuit half-open, trial call in flight",
                    operation=operation,
                    retry_after=self.reset_timeout_s,
                )
            self._trial_in_flight = True

    def record_success(self) -> None:
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._trial_in_flight = False

    def record_failure(self) -> None:
        if self._state is BreakerState.HALF_OPEN:
            self._open()
            return
        self._failures += 1
        if self._failures >= self.failure_threshold:
            self._open()

    def record_neutral(self) -> None:
        """A call that says nothing about health (429, cancelled): free the trial slot."""
        self._trial_in_flight = False

    def _open(self) -> None:
        self._state = BreakerState.OPEN
        self._opened_at = self._clock()
        self._trial_in_flight = False
