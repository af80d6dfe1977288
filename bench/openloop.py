"""Open-loop load at a fixed rate, for the intake latency figures.

Request *i* is sent at ``start + i / rate`` whatever happened to the earlier ones, and its
latency counts from that scheduled moment, so a stalled server cannot hide its stall by
slowing the generator down (no coordinated omission). The generator reports its own CPU
use and how late it sent, to show it kept its schedule.

It shares the box with the server it measures, so it is built to cost little: raw
HTTP/1.1 on keep-alive connections, one request in flight per connection, each response
parsed in the connection's ``data_received`` callback (status line and Content-Length;
the body is skipped), no task or coroutine per request, the garbage collector off for
the run. A task and a stream reader per request cost a third more (docs/performance.md),
taken from the server.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
import uuid
from dataclasses import dataclass

from bench.load import BODY, PATH

#: A request not answered this long after it was due counts as an error (one still
#: unanswered this long after the last one was due is given up on).
TIMEOUT_S = 30.0
#: Connections opened before the clock starts (more are opened when all are busy).
INITIAL_CONNECTIONS = 16


@dataclass
class OpenLoop:
    rate: float
    sent: int
    errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    generator_cpu_pct: float
    max_send_lag_ms: float


def percentile(sorted_ms: list[float], q: float) -> float:
    """The ``q`` quantile (a fraction: 0.95 for p95) of already sorted latencies."""
    if not 0 <= q <= 1:
        raise ValueError(f"q is a fraction between 0 and 1, not {q}")
    if not sorted_ms:
        return float("nan")
    return sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))]


def _content_length(head: bytes | bytearray) -> int | None:
    for line in bytes(head).split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            return int(line[15:])
    return None


class _Tally:
    """What the run has seen: latencies, errors, idle connections, requests in flight."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0
        self.in_flight = 0
        self.idle: list[_Connection] = []
        self.opened: list[_Connection] = []
        self.drained: asyncio.Future[None] | None = None

    def settle(self, scheduled: float, ok: bool) -> None:
        waited = time.perf_counter() - scheduled
        self.latencies.append(waited * 1000)
        if not ok or waited > TIMEOUT_S:
            self.errors += 1
        self.in_flight -= 1
        if self.in_flight == 0 and self.drained is not None and not self.drained.done():
            self.drained.set_result(None)

    def take_idle(self) -> _Connection | None:
        while self.idle:
            conn = self.idle.pop()
            if not conn.closed:
                return conn
        return None


class _Connection(asyncio.Protocol):
    """One keep-alive connection, at most one request in flight."""

    def __init__(self, tally: _Tally) -> None:
        self.tally = tally
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.scheduled: float | None = None  # the request in flight: when it was due
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def send(self, request: bytes, scheduled: float) -> None:
        self.scheduled = scheduled
        assert self.transport is not None
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        length = _content_length(self.buffer[:end])
        if length is None or self.scheduled is None:  # no length, or unasked-for bytes
            self.give_up()
            return
        if len(self.buffer) < end + 4 + length:
            return
        status = int(self.buffer[9:12])
        del self.buffer[: end + 4 + length]
        scheduled, self.scheduled = self.scheduled, None
        self.tally.idle.append(self)
        self.tally.settle(scheduled, status < 300)

    def give_up(self) -> None:
        """Close; the request in flight, if any, counts as an error."""
        if self.transport is not None:
            self.transport.close()  # connection_lost counts the request in flight

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.scheduled is not None:
            scheduled, self.scheduled = self.scheduled, None
            self.tally.settle(scheduled, False)


async def _open(port: int, tally: _Tally) -> _Connection:
    loop = asyncio.get_running_loop()
    _, conn = await loop.create_connection(lambda: _Connection(tally), "127.0.0.1", port)
    tally.opened.append(conn)
    return conn


async def _send_on_new(port: int, tally: _Tally, request: bytes, scheduled: float) -> None:
    try:
        conn = await _open(port, tally)
    except OSError:
        tally.settle(scheduled, False)
        return
    conn.send(request, scheduled)


async def _run(port: int, api_key: str, rate: float, seconds: float) -> OpenLoop:
    n = int(rate * seconds)
    body = json.dumps(BODY).encode()
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-API-Key: {api_key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    ).encode()
    prefix = f"bench-open-{uuid.uuid4().hex[:12]}-"
    tally = _Tally()
    tally.idle = [await _open(port, tally) for _ in range(INITIAL_CONNECTIONS)]
    new_connections: set[asyncio.Task[None]] = set()
    lag = 0.0
    # The generator's own garbage collector would stall its schedule, and a late send
    # counts as latency.
    gc.collect()
    gc.disable()
    try:
        cpu0 = time.process_time()
        start = time.perf_counter() + 0.05
        for i in range(n):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                lag = max(lag, -delay)
            request = head + f"Idempotency-Key: {prefix}{i}\r\n\r\n".encode() + body
            tally.in_flight += 1
            conn = tally.take_idle()
            if conn is not None:
                conn.send(request, scheduled)
            else:
                task = asyncio.create_task(_send_on_new(port, tally, request, scheduled))
                new_connections.add(task)
                task.add_done_callback(new_connections.discard)
        await _drain(tally, start + (n - 1) / rate + TIMEOUT_S)
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu0
    finally:
        gc.enable()
        for conn in tally.opened:
            if conn.transport is not None:
                conn.transport.close()
    ms = sorted(tally.latencies)
    return OpenLoop(
        rate=rate, sent=n, errors=tally.errors, p50_ms=percentile(ms, 0.50),
        p99_ms=percentile(ms, 0.99), max_ms=ms[-1] if ms else float("nan"),
        generator_cpu_pct=100 * cpu / wall, max_send_lag_ms=lag * 1000,
    )  # fmt: skip


async def _drain(tally: _Tally, give_up_at: float) -> None:
    """Wait for every answer; what is still unanswered at ``give_up_at`` is an error."""
    loop = asyncio.get_running_loop()
    while tally.in_flight and (remaining := give_up_at - time.perf_counter()) > 0:
        tally.drained = loop.create_future()
        try:
            await asyncio.wait_for(tally.drained, min(remaining, 1.0))
        except TimeoutError:
            pass
    if tally.in_flight:
        for conn in tally.opened:
            conn.give_up()
        await asyncio.sleep(0.1)  # their connection_lost settles them
        tally.errors += tally.in_flight  # any still opening a connection
        tally.in_flight = 0


def run_open_loop(port: int, api_key: str, rate: float, seconds: float) -> OpenLoop:
    """On uvloop (uvicorn's loop, so installed): less of the generator's CPU than asyncio's
    own loop, on a box the generator shares with the server."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        return asyncio.run(_run(port, api_key, rate, seconds))
    return uvloop.run(_run(port, api_key, rate, seconds))
