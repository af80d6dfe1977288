"""Rate limits (shared/ratelimit.py): token buckets per (scope, key), bounded memory."""

from __future__ import annotations

import pytest

from shared.errors import RateLimited
from shared.ratelimit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_up_to_the_limit_passes_then_429_with_retry_after():
    clock = FakeClock()
    limiter = RateLimiter({"sender": 3}, clock=clock)
    for _ in range(3):
        limiter.check("sender", "+6281234567890")
    with pytest.raises(RateLimited) as refused:
        limiter.check("sender", "+6281234567890")
    assert refused.value.status_code == 429
    assert refused.value.headers == {"Retry-After": "20"}  # 3/min: one token every 20 s


def test_tokens_come_back_over_time():
    clock = FakeClock()
    limiter = RateLimiter({"api_key": 60}, clock=clock)
    for _ in range(60):
        limiter.check("api_key", "app")
    with pytest.raises(RateLimited):
        limiter.check("api_key", "app")
    clock.now += 1.0
    limiter.check("api_key", "app")  # one per second at 60/min


def test_one_flooding_key_does_not_starve_others():
    limiter = RateLimiter({"sender": 2}, clock=FakeClock())
    limiter.check("sender", "flood")
    limiter.check("sender", "flood")
    with pytest.raises(RateLimited):
        limiter.check("sender", "flood")
    limiter.check("sender", "quiet")
    limiter.check("api_key", "flood", per_minute=1)  # scopes are separate buckets


def test_memory_is_bounded_least_recently_used_out():
    limiter = RateLimiter({"sender": 1}, max_keys=100, clock=FakeClock())
    for i in range(1000):
        limiter.check("sender", f"+62812{i:07d}")
    assert len(limiter) == 100


def test_unknown_scope_is_a_programming_error():
    with pytest.raises(KeyError):
        RateLimiter().check("nope", "x")
