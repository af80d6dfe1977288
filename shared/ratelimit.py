"""Rate limits for intake: token buckets per (scope, key), answered as 429 + ``Retry-After``.

Each local app's API key and each sender (a phone number, a chat id, a web client) has its
own bucket, so a flood from one key or one number empties only its own bucket and never
starves the others.

The buckets live in process memory: cheap (no database write per request) and good enough
against floods. With N processes behind the proxy the effective limit is N times the
setting; operators who need an exact global limit put one in the reverse proxy. Memory is
bounded: at most ``max_keys`` buckets are kept, least recently used first out (a bucket
dropped is a full bucket, so eviction only ever errs on the side of letting a request in).

>>> limiter = RateLimiter({"api_key": 2})
>>> limiter.check("api_key", "app-1"); limiter.check("api_key", "app-1")
>>> limiter.check("api_key", "app-1")
Traceback (most recent call last):
...
shared.errors.RateLimited: too many requests; retry in 30 s
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.errors import RateLimited

#: Scopes the app's limiter knows (their per-minute rates come from the settings).
SCOPE_API_KEY = "api_key"
SCOPE_SENDER = "sender"
#: Buckets kept in memory at most (about 100 bytes each).
DEFAULT_MAX_KEYS = 50_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets: ``per_minute`` tokens refill evenly over a minute, burst = ``per_minute``.

    ``limits`` maps a scope to its per-minute rate; :meth:`check` may override it per call.
    Thread-safe (one lock; the work under it is a few float operations).
    """

    def __init__(
        self,
        limits: Mapping[str, int] | None = None,
        *,
        max_keys: int = DEFAULT_MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = dict(limits or {})
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[tuple[str, str], _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, scope: str, key: str, per_minute: int | None = None, cost: float = 1.0) -> None:
        """Take ``cost`` tokens from the bucket of ``(scope, key)`` or raise :class:`RateLimited`.

        The 429 carries ``Retry-After`` (whole seconds until enough tokens are back).
        """
        rate = per_minute if per_minute is not None else self.limits.get(scope)
        if rate is None:
            raise KeyError(f"no rate limit configured for scope {scope!r}")
        wait = self._take(scope, key, max(int(rate), 1), cost)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise RateLimited(
                f"too many requests; retry in {retry_after} s",
                headers={"Retry-After": str(retry_after)},
                scope=scope,
                retry_after=retry_after,
            )

    def _take(self, scope: str, key: str, per_minute: int, cost: float) -> float:
        """Seconds to wait (0: taken)."""
        capacity = float(per_minute)
        refill_per_s = per_minute / 60.0
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get((scope, key))
            if bucket is None:
                bucket = _Bucket(tokens=capacity, updated=now)
                self._buckets[(scope, key)] = bucket
                while len(self._buckets) > self.max_keys:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end((scope, key))
                bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * refill_per_s)
                bucket.updated = now
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return 0.0
            return (cost - bucket.tokens) / refill_per_s

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()

    def __len__(self) -> int:
        return len(self._buckets)


def limiter_from_settings(settings: Any) -> RateLimiter:
    return RateLimiter(
        {
            SCOPE_API_KEY: settings.rate_limit_per_key_per_min,
            SCOPE_SENDER: settings.rate_limit_per_sender_per_min,
        }
    )


def get_rate_limiter(app: Any) -> RateLimiter:
    """The app's limiter, created on first use and kept on ``app.state.rate_limiter``.

    The per-scope rates are read from ``app.state.settings`` at every check, so a changed
    setting takes effect without a restart of the limiter.
    """
    limiter = getattr(app.state, "rate_limiter", None)
    if limiter is None:
        limiter = _SettingsLimiter(app)
        app.state.rate_limiter = limiter
    return limiter


class _SettingsLimiter(RateLimiter):
    def __init__(self, app: Any) -> None:
        super().__init__()
        self._app = app

    def check(self, scope: str, key: str, per_minute: int | None = None, cost: float = 1.0) -> None:
        if per_minute is None:
            settings = self._app.state.settings
            per_minute = {
                SCOPE_API_KEY: settings.rate_limit_per_key_per_min,
                SCOPE_SENDER: settings.rate_limit_per_sender_per_min,
            }.get(scope)
        super().check(scope, key, per_minute, cost)


__all__ = [
    "DEFAULT_MAX_KEYS",
    "SCOPE_API_KEY",
    "SCOPE_SENDER",
    "RateLimited",
    "RateLimiter",
    "get_rate_limiter",
    "limiter_from_settings",
]
