"""What every simulated API call passes before it reaches the store: maintenance, the
auth headers (under the variant's header name), the rate limit, latency and the faults
that strike before or after a commit."""

from __future__ import annotations

import asyncio
import hmac
import random
from typing import Any

from fastapi import Request

from services.sync.simulator.faults import Faults, RateLimiter, retry_after_header
from services.sync.simulator.validation import SimHTTPError

HANG_POLL_S = 0.05


class Gate:
    """Faults, limiter and counters of one simulator; ``faults`` is swapped by ``/_sim/``."""

    def __init__(self, *, auth_key: str, token: str, faults: Faults) -> None:
        self.auth_key = auth_key
        self.token = token
        self.default_faults = faults
        self.faults = faults.model_copy()
        self.rng = random.Random(self.faults.seed)
        self.limiter = RateLimiter(self.faults.rate_limit_per_s, self.faults.rate_limit_burst)
        self.requests = 0
        self.errors_injected = 0
        self.rate_limited = 0

    # -- the knobs ---------------------------------------------------------------------
    def update(self, changes: dict[str, Any]) -> Faults:
        from pydantic import ValidationError

        try:
            faults = Faults.model_validate({**self.faults.model_dump(), **changes})
        except ValidationError as exc:
            raise SimHTTPError(422, f"invalid faults: {exc.errors(include_url=False)}") from exc
        self._apply(faults, reseed="seed" in changes)
        return faults

    def _apply(self, faults: Faults, *, reseed: bool) -> None:
        old = self.faults
        self.faults = faults
        if reseed:
            self.rng.seed(faults.seed)
        if (old.rate_limit_per_s, old.rate_limit_burst) != (
            faults.rate_limit_per_s,
            faults.rate_limit_burst,
        ) or reseed:
            self.limiter.configure(faults.rate_limit_per_s, faults.rate_limit_burst)

    def reset(self) -> Faults:
        self._apply(self.default_faults.model_copy(), reseed=True)
        self.limiter.configure(self.faults.rate_limit_per_s, self.faults.rate_limit_burst)
        return self.faults

    def clear_counters(self) -> None:
        self.requests = self.errors_injected = self.rate_limited = 0

    # -- the checks --------------------------------------------------------------------
    def _in_scope(self, request: Request) -> bool:
        scope = self.faults.fault_scope
        is_write = request.method not in ("GET", "HEAD")
        return scope == "all" or (scope == "writes") == is_write

    def _authorised(self, request: Request) -> bool:
        """The key under the variant's header, as issued (``Bearer`` before it is
        accepted too: one integrator's older client sent ``auth: Bearer <key>``)."""
        value = request.headers.get(self.faults.auth_header, "")
        value = value[7:] if value.lower().startswith("bearer ") else value
        token = request.headers.get("token", "").encode()
        return hmac.compare_digest(value.encode(), self.auth_key.encode()) and hmac.compare_digest(
            token, self.token.encode()
        )

    async def __call__(self, request: Request) -> None:
        """Maintenance, auth, rate limit, latency and the pre-commit faults."""
        self.requests += 1
        faults = self.faults
        if faults.maintenance:
            self.errors_injected += 1
            raise SimHTTPError(
                503,
                "Layanan SP4N-LAPOR! sedang dalam pemeliharaan",
                {"Retry-After": str(faults.maintenance_retry_after_s)},
            )
        if not self._authorised(request):
            raise SimHTTPError(401, f"Unauthorized: invalid {faults.auth_header} or token header")
        wait = self.limiter.take()
        if wait is not None:
            self.rate_limited += 1
            raise SimHTTPError(429, "Too Many Requests", {"Retry-After": retry_after_header(wait)})
        delay_ms = faults.latency_ms
        if faults.jitter_ms:
            delay_ms += self.rng.uniform(0, faults.jitter_ms)
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        if not self._in_scope(request):
            return
        if faults.error_rate and self.rng.random() < faults.error_rate:
            self.errors_injected += 1
            raise SimHTTPError(500, "Internal Server Error")
        if faults.timeout_rate and self.rng.random() < faults.timeout_rate:
            self.errors_injected += 1
            await self.hang(request)

    async def after_commit(self, request: Request) -> None:
        """``commit_then_timeout_rate``: the change is stored, the answer never comes."""
        rate = self.faults.commit_then_timeout_rate
        if rate and self._in_scope(request) and self.rng.random() < rate:
            self.errors_injected += 1
            await self.hang(request)

    async def hang(self, request: Request) -> None:
        """Hold the request until the client gives up (or ``timeout_s``), then 504."""
        try:
            await request.body()  # consume the body, so a disconnect is what receive() reports
        except RuntimeError:
            pass  # the endpoint has read it already (after_commit): nothing left to consume
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.faults.timeout_s
        while loop.time() < deadline:
            if await request.is_disconnected():
                break
            await asyncio.sleep(HANG_POLL_S)
        raise SimHTTPError(504, "Gateway Timeout")
