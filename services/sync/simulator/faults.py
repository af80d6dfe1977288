"""The simulator's fault knobs (``GET``/``PUT``/``DELETE /_sim/faults``) and its limiter.

``PUT`` merges the given knobs into the current ones; ``DELETE`` restores the defaults.
Every random decision comes from one ``random.Random`` seeded with ``seed``, so a test
that sets the same knobs and sends the same requests sees the same faults.
"""

from __future__ import annotations

import math
import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: contracts/lapor-api.md: "The simulator's default rate limit is 20 requests per second."
DEFAULT_RATE_LIMIT_PER_S = 20.0
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_SEED = 1337

CreateAnswerShape = Literal["data.complaint_id", "complaint_id", "results.complaint.id", "rotate"]
CREATE_ANSWER_SHAPES: tuple[CreateAnswerShape, ...] = (
    "data.complaint_id",
    "complaint_id",
    "results.complaint.id",
)


class Faults(BaseModel):
    """Fault and behaviour knobs. Rates are probabilities per request (0–1)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    latency_ms: float = Field(0.0, ge=0, description="added to every API call")
    jitter_ms: float = Field(0.0, ge=0, description="uniform 0..jitter added to latency")
    error_rate: float = Field(0.0, ge=0, le=1, description="500 before anything commits")
    timeout_rate: float = Field(0.0, ge=0, le=1, description="hang, commit nothing")
    commit_then_timeout_rate: float = Field(
        0.0, ge=0, le=1, description="create / follow-up: commit, then hang"
    )
    timeout_s: float = Field(DEFAULT_TIMEOUT_S, gt=0, description="how long a hang lasts")
    rate_limit_per_s: float = Field(DEFAULT_RATE_LIMIT_PER_S, ge=0, description="0: off")
    rate_limit_burst: float | None = Field(None, ge=1, description="default: one second's worth")
    maintenance: bool = False
    maintenance_retry_after_s: int = Field(30, ge=0)
    fault_scope: Literal["all", "reads", "writes"] = Field(
        "all", description="which calls error_rate / timeout_rate hit"
    )
    create_answer_shape: CreateAnswerShape = "data.complaint_id"
    callbacks: bool = True
    callback_url: str | None = None
    callback_duplicate_rate: float = Field(0.0, ge=0, le=1)
    callback_reorder: bool = False
    callback_reorder_delay_ms: float = Field(300.0, ge=0)
    callback_max_attempts: int = Field(5, ge=1, le=20)
    callback_backoff_ms: float = Field(200.0, ge=0)
    callback_timeout_s: float = Field(5.0, gt=0)
    clock_offset_s: float = Field(0.0, description="shift the national clock (updated_at)")
    seed: int = DEFAULT_SEED


class RateLimiter:
    """A token bucket that answers, without waiting, how long until the next token."""

    def __init__(self, rate_per_s: float, burst: float | None = None) -> None:
        self.configure(rate_per_s, burst)

    def configure(self, rate_per_s: float, burst: float | None = None) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst if burst is not None else max(1.0, rate_per_s)
        self._tokens = self.burst
        self._updated = time.monotonic()

    def take(self) -> float | None:
        """``None`` when a token was taken, else seconds until one is free."""
        if self.rate_per_s <= 0:
            return None
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate_per_s)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return None
        return (1.0 - self._tokens) / self.rate_per_s


def retry_after_header(seconds: float) -> str:
    """``Retry-After`` is whole seconds; never 0, so a client always backs off."""
    return str(max(1, math.ceil(seconds)))
