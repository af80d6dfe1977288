"""The simulator's fault knobs and variant switches (``GET``/``PUT``/``DELETE /_sim/faults``)
and its limiter.

The defaults speak the **[seen]** shapes of ``contracts/lapor-api.md``; the variant switches
bring back what differs between environments and integrators (the auth header's name, the
create path, whether search exists) and the older answer shapes our first simulator spoke
(:data:`LEGACY_VARIANTS`). ``PUT`` merges the given knobs into the current ones; ``DELETE``
restores the defaults.
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

CreateAnswerShape = Literal[
    "complaint_id",
    "data.complaint_id",
    "data.results.complaint.id",
    "results.complaint.id",
    "rotate",
]
#: Every create answer seen, newest first (``rotate`` cycles through them).
CREATE_ANSWER_SHAPES: tuple[CreateAnswerShape, ...] = (
    "complaint_id",
    "data.complaint_id",
    "data.results.complaint.id",
    "results.complaint.id",
)
#: ``images_docs`` [seen]: pictures in ``results.images``, documents in ``results.docs``;
#: ``docs``: every file in ``results.docs`` (our older shape).
UploadAnswerShape = Literal["images_docs", "docs"]
#: ``seen``: logs with ``{id, name}`` institutions, placeholder templates and statuses in a
#: ``data`` JSON string, plus ``status_logs``; ``flat``: the same with ``*_name`` fields;
#: ``legacy``: names as strings, statuses as codes, no ``status_logs`` (our older shape).
DetailShape = Literal["seen", "flat", "legacy"]
#: ``paged`` [seen]: ``next_page_url``, no author field; ``legacy``: one page with ``from``.
FollowupsShape = Literal["paged", "legacy"]

#: Our older shapes, as one set of switches (``PUT /_sim/faults`` with these values).
LEGACY_VARIANTS = {
    "create_answer_shape": "data.complaint_id",
    "upload_answer_shape": "docs",
    "detail_shape": "legacy",
    "followups_shape": "legacy",
}
#: Configured like the public integrator: header ``auth``, its own create path, no search.
INTEGRATOR_VARIANTS = {
    "auth_header": "auth",
    "create_path": "/complaints/complaint-simpul",
    "search": False,
    "callbacks": False,
}


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
    # -- variants: what differs between environments, and our older answer shapes --------
    auth_header: str = Field("Authorization", min_length=1, description="the auth key's header")
    create_path: str = Field(
        "/complaints/complaint", pattern=r"^/complaints/[A-Za-z0-9_-]+$", description="[seen]"
    )
    search: bool = Field(True, description="GET /complaints exists (list and tag search)")
    create_answer_shape: CreateAnswerShape = "complaint_id"
    upload_answer_shape: UploadAnswerShape = "images_docs"
    detail_shape: DetailShape = "seen"
    followups_shape: FollowupsShape = "paged"
    followups_page_size: int = Field(5, ge=1, le=100)
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
