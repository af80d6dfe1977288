"""How every SP4N-LAPOR! call goes out: one long-lived ``httpx.AsyncClient``, one fair token
bucket, one circuit breaker, bounded retries of safe calls, and the answer read into JSON or
a typed error.

Apart from :mod:`client` (which says *what* each national call sends and reads) because
this part never changes with the API's shapes: it decides only whether a call may be sent
again. Safe calls (GETs) are retried — exponential backoff with jitter, honouring
``Retry-After``; non-idempotent ones (create, follow-up, reject, upload) never are, and a
lost answer becomes :class:`LaporUncertainOutcome` for the caller to settle.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
)

from services.sync.lapor import answers
from services.sync.lapor.errors import (
    LaporAuthError,
    LaporNotFound,
    LaporProtocolError,
    LaporTerminalError,
    LaporTransientError,
    LaporUncertainOutcome,
)
from services.sync.lapor.pacing import DEFAULT_POLL_SHARE, FairTokenBucket
from services.sync.lapor.resilience import (
    DEFAULT_FAILURE_THRESHOLD,
    DEFAULT_RESET_TIMEOUT_S,
    BreakerState,
    CircuitBreaker,
    Clock,
    Sleep,
)

DEFAULT_TIMEOUT_S = 30.0  # the public integrator's for every call but create
DEFAULT_CREATE_TIMEOUT_S = 90.0
DEFAULT_CONNECT_TIMEOUT_S = 5.0
DEFAULT_RATE_LIMIT_PER_S = 15.0  # below the national 20/s, leaving room for other callers
DEFAULT_MAX_CONNECTIONS = 16
DEFAULT_RETRY_ATTEMPTS = 4  # the first try included
DEFAULT_RETRY_BACKOFF_S = 0.5
DEFAULT_RETRY_BACKOFF_MAX_S = 8.0
#: A ``Retry-After`` longer than this (e.g. a maintenance window) is not slept through:
#: the error goes to the caller, whose outbox schedules the next attempt.
DEFAULT_MAX_RETRY_AFTER_S = 30.0


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date), ``None`` if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _worth_retrying(exc: BaseException) -> bool:
    """A safe call is retried on transient trouble, not on an answer we cannot read."""
    return isinstance(exc, LaporTransientError) and not isinstance(exc, LaporProtocolError)


class LaporTransport:
    """The resilient HTTP side of :class:`~services.sync.lapor.client.LaporClient`."""

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        create_timeout_s: float | None = None,
        rate_limit_per_s: float = DEFAULT_RATE_LIMIT_PER_S,
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        retry_attempts: int = DEFAULT_RETRY_ATTEMPTS,
        retry_backoff_s: float = DEFAULT_RETRY_BACKOFF_S,
        retry_backoff_max_s: float = DEFAULT_RETRY_BACKOFF_MAX_S,
        max_retry_after_s: float = DEFAULT_MAX_RETRY_AFTER_S,
        breaker_failure_threshold: int = DEFAULT_FAILURE_THRESHOLD,
        breaker_reset_timeout_s: float = DEFAULT_RESET_TIMEOUT_S,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        poll_share: float = DEFAULT_POLL_SHARE,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        #: A create may take longer than other calls (90 s / 30 s by default) [seen].
        self.create_timeout = httpx.Timeout(
            create_timeout_s or timeout_s,
            connect=min(timeout_s, DEFAULT_CONNECT_TIMEOUT_S),
            pool=timeout_s,
        )
        self.retry_attempts = max(1, retry_attempts)
        self.max_retry_after_s = max_retry_after_s
        self._sleep = sleep
        self.retry_backoff_s = retry_backoff_s
        self.retry_backoff_max_s = retry_backoff_max_s
        #: One rate for every call, shared fairly by lane (``pacing.py``).
        self.limiter = FairTokenBucket(
            rate_limit_per_s, poll_share=poll_share, clock=clock, sleep=sleep
        )
        self.breaker = CircuitBreaker(
            failure_threshold=breaker_failure_threshold,
            reset_timeout_s=breaker_reset_timeout_s,
            clock=clock,
        )
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={
                **headers,
                "Accept": "application/json",
                "User-Agent": "simpul-lapor-client/1",
            },
            timeout=httpx.Timeout(
                timeout_s, connect=min(timeout_s, DEFAULT_CONNECT_TIMEOUT_S), pool=timeout_s
            ),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            transport=transport,
        )

    # -- lifecycle -------------------------------------------------------------------
    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def breaker_state(self) -> BreakerState:
        """``closed`` / ``half_open`` / ``open``; ``self.breaker.gauge_value`` is 0/1/2."""
        return self.breaker.state

    # -- the machinery ---------------------------------------------------------------
    async def _call(
        self, operation: str, method: str, path: str, *, idempotent: bool, **kwargs: Any
    ) -> Any:
        if not idempotent:
            return await self._attempt(operation, method, path, idempotent=False, **kwargs)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retry_attempts) | self._retry_after_too_long,
            wait=self._wait,
            retry=retry_if_exception(_worth_retrying),
            sleep=self._sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(operation, method, path, idempotent=True, **kwargs)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    def _retry_after_too_long(self, retry_state: RetryCallState) -> bool:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        return retry_after is not None and retry_after > self.max_retry_after_s

    def _wait(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return float(retry_after)  # the server said when; do not come earlier
        # Exponential backoff with full-size jitter (written out: tenacity's
        # wait_exponential_jitter changed its arguments between versions).
        exponent = max(0, retry_state.attempt_number - 1)
        backoff = min(self.retry_backoff_max_s, self.retry_backoff_s * 2**exponent)
        return backoff + random.uniform(0, self.retry_backoff_s)

    async def _attempt(
        self, operation: str, method: str, path: str, *, idempotent: bool, **kwargs: Any
    ) -> Any:
        self.breaker.before_call(operation)
        healthy: bool | None = None  # None: says nothing about the server's health
        try:
            await self.limiter.acquire()
            try:
                response = await self._http.request(method, path, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                healthy = False  # never reached the server: safe to send again
                raise LaporTransientError(
                    f"SP4N-LAPOR! unreachable ({type(exc).__name__})", operation=operation
                ) from exc
            except httpx.TransportError as exc:
                healthy = False  # sent, answer lost (timeout, dropped connection)
                message = f"SP4N-LAPOR! {operation}: no answer ({type(exc).__name__})"
                if idempotent:
                    raise LaporTransientError(message, operation=operation) from exc
                raise LaporUncertainOutcome(message, operation=operation) from exc
            status = response.status_code
            # 5xx: the server is failing; 429: we were too fast, it is fine (neutral);
            # anything else (2xx, other 4xx): the server is up and answering.
            healthy = False if status >= 500 else (None if status == 429 else True)
            return self._read(operation, response, idempotent=idempotent)
        finally:
            if healthy is True:
                self.breaker.record_success()
            elif healthy is False:
                self.breaker.record_failure()
            else:
                self.breaker.record_neutral()

    @staticmethod
    def _read(operation: str, response: httpx.Response, *, idempotent: bool) -> Any:
        """The JSON of a 2xx answer, or the typed error for any other."""
        status = response.status_code
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        label = f"SP4N-LAPOR! {operation}: HTTP {status}"
        if 200 <= status < 300:
            if isinstance(body, str):
                if idempotent:
                    raise LaporProtocolError(f"{label}: not JSON", operation=operation, body=body)
                raise LaporUncertainOutcome(f"{label}: not JSON", operation=operation)
            return body
        message = f"{label} {answers.error_message(body) or response.reason_phrase}".strip()
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status in (429, 503):
            # Rate limit / maintenance: the server says it did not process the request.
            raise LaporTransientError(
                message, operation=operation, status_code=status, retry_after=retry_after
            )
        if status >= 500:
            if idempotent:
                raise LaporTransientError(
                    message, operation=operation, status_code=status, retry_after=retry_after
                )
            # The request went out; it may have committed before the server failed.
            raise LaporUncertainOutcome(message, operation=operation, status_code=status)
        if 400 <= status < 500:
            error_class: type[LaporTerminalError] = LaporTerminalError
            if status in (401, 403):
                error_class = LaporAuthError
            elif status == 404:
                error_class = LaporNotFound
            raise error_class(message, operation=operation, status_code=status, body=body)
        raise LaporProtocolError(message, operation=operation, body=body)
