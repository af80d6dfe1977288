"""Signed callbacks from the simulated national side to Simpul's ``/webhooks/lapor``.

At least once, retried with backoff, optionally duplicated and reordered (fault knobs),
signed as ``contracts/lapor-api.md`` says. One long-lived ``httpx.AsyncClient``, created
lazily on first use (a mounted sub-app's lifespan does not run) and closed by
:meth:`CallbackSender.aclose`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import Callable
from typing import Any

import httpx

from services.sync.lapor import signing
from services.sync.simulator.faults import Faults

EVENT_FORWARDED_IN = "complaint.forwarded_in"
EVENT_STATUS_CHANGED = "complaint.status_changed"
EVENT_FOLLOWUP_ADDED = "complaint.followup_added"
EVENT_RATED = "complaint.rated"


class CallbackStats:
    def __init__(self) -> None:
        self.sent = 0
        self.failed = 0


class CallbackSender:
    def __init__(
        self,
        *,
        secret: str,
        faults: Callable[[], Faults],
        rng: Callable[[], random.Random],
        stats: CallbackStats,
    ) -> None:
        self._secret = secret
        self._faults = faults
        self._rng = rng
        self.stats = stats
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(10.0, connect=5.0),
                limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
                headers={"User-Agent": "lapor-simulator-callbacks/1"},
            )
        return self._client

    @property
    def pending(self) -> int:
        return len(self._tasks)

    def emit(self, event: dict[str, Any]) -> None:
        """Schedule delivery of ``event`` (when callbacks are on and a URL is set)."""
        faults = self._faults()
        if not faults.callbacks or not faults.callback_url:
            return
        rng = self._rng()
        body = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
        copies = 2 if rng.random() < faults.callback_duplicate_rate else 1
        for copy in range(copies):
            delay = 0.0
            if faults.callback_reorder and rng.random() < 0.5:
                # Hold this one back so later events overtake it.
                delay = faults.callback_reorder_delay_ms / 1000 * (1 + rng.random())
            delay += 0.02 * copy  # the duplicate trails the original a little
            task = asyncio.get_running_loop().create_task(
                self._deliver(faults.callback_url, event["event_id"], body, delay, faults)
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(
        self, url: str, event_id: str, body: bytes, delay: float, faults: Faults
    ) -> None:
        if delay:
            await asyncio.sleep(delay)
        client = self._http()
        for attempt in range(faults.callback_max_attempts):
            timestamp = str(int(time.time()))  # re-signed per attempt: stays fresh
            headers = {
                "Content-Type": "application/json",
                signing.EVENT_ID_HEADER: event_id,
                signing.TIMESTAMP_HEADER: timestamp,
                signing.SIGNATURE_HEADER: signing.sign(self._secret, timestamp, body),
            }
            try:
                response = await client.post(
                    url, content=body, headers=headers, timeout=faults.callback_timeout_s
                )
            except httpx.HTTPError:
                pass
            else:
                if response.is_success:
                    self.stats.sent += 1
                    return
                if response.status_code < 500 and response.status_code not in (408, 429):
                    break  # the receiver refuses it; resending the same bytes will not help
            if attempt + 1 < faults.callback_max_attempts:
                await asyncio.sleep(faults.callback_backoff_ms / 1000 * 2**attempt)
        self.stats.failed += 1

    async def drain(self, timeout_s: float = 10.0) -> None:
        """Wait until every scheduled delivery finished (or ``timeout_s`` passed)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout_s)

    async def cancel_pending(self) -> None:
        tasks = set(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    async def aclose(self) -> None:
        await self.cancel_pending()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
