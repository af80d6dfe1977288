"""Load generators: ``wrk`` for throughput (closed loop, many connections), and an
open-loop Python generator for latency at a fixed rate.

The open-loop generator sends request *i* at ``start + i / rate`` whatever happened to the
earlier ones, and measures each latency from that scheduled moment, so a stalled server
cannot hide its stall by slowing the generator down (no coordinated omission). It reports
its own CPU use and how late it sent, to show it kept its schedule.
"""

from __future__ import annotations

import asyncio
import gc
import json
import re
import resource
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.procs import children, cpu_seconds

BODY = {
    "title": "Jalan berlubang",
    "description": "Jalan di depan SD 2 berlubang besar sejak sebulan, membahayakan pengendara.",
    "category": "ADMINDUK",
    "kind": "pengaduan",
    "reporter": {
        "name": "Budi Santoso",
        "phone": "0812-3456-7890",
        "email": "budi@example.id",
        "nik": "5102012345678901",
    },
    "location": {
        "kecamatan": "TABANAN",
        "desa": "Dauh Peken",
        "address": "Jl. Gajah Mada 1",
        "lat": -8.54,
        "lon": 115.12,
    },
    "occurred_at": "2026-01-05T08:00:00+08:00",
}
PATH = "/api/v1/complaints"


@dataclass
class Throughput:
    rps: float
    requests: int
    errors: int
    seconds: float
    generator: str
    generator_cpu_pct: float  # of one core
    server_cpu_pct: float  # sum over the server's workers (200 = two cores busy)
    latency: dict[str, str] = field(default_factory=dict)
    accepted: int = 0  # durable answers (rows written), when the caller counts them


def _lua(api_key: str) -> str:
    """The wrk script: the complaint, and a fresh ``Idempotency-Key`` per request, as a
    careful local app sends (unique per run, per wrk thread, per request)."""
    body = json.dumps(BODY, ensure_ascii=False)
    headers = {"Content-Type": "application/json", "X-API-Key": api_key}
    lines = ["wrk.method = 'POST'", f"wrk.body = [==[{body}]==]"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    lines += [
        f'local prefix = "bench-{uuid.uuid4().hex[:12]}-"',
        "local made = 0",
        'function setup(thread) made = made + 1; thread:set("tid", made) end',
        "local n = 0",
        "function request()",
        "  n = n + 1",
        '  wrk.headers["Idempotency-Key"] = prefix .. tid .. "-" .. n',
        "  return wrk.format()",
        "end",
    ]
    return "\n".join(lines) + "\n"


def ensure_wrk(say) -> str | None:  # noqa: ANN001
    """The ``wrk`` binary; installed with apt when missing and running as root."""
    path = shutil.which("wrk")
    if path:
        return path
    import os

    if os.geteuid() == 0 and shutil.which("apt-get"):
        say("  wrk missing: apt-get install -y wrk")
        subprocess.run(
            ["apt-get", "install", "-y", "wrk"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
        )  # fmt: skip
        return shutil.which("wrk")
    return None


def _server_cpu(master: int) -> float:
    total = 0.0
    for pid in children(master):
        try:
            total += cpu_seconds(pid)
        except OSError:
            pass
    return total


def run_wrk(
    wrk: str, port: int, api_key: str, seconds: int, master: int, *, threads: int = 2,
    connections: int = 64,
) -> Throughput:  # fmt: skip
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(_lua(api_key))
        script = f.name
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu0 = _server_cpu(master)
        t0 = time.perf_counter()
        out = subprocess.run(
            [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script,
             f"http://127.0.0.1:{port}{PATH}"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        wall = time.perf_counter() - t0
        server_cpu = _server_cpu(master) - cpu0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        Path(script).unlink(missing_ok=True)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_err = re.search(r"Socket errors:.*", out)
    latency = {
        m.group(1) + "%": m.group(2) for m in re.finditer(r"^\s+(50|99)%\s+(\S+)", out, re.M)
    }
    if socket_err:
        latency["socket_errors"] = socket_err.group(0)
    return Throughput(
        rps=rps, requests=total, errors=int(non2xx.group(1)) if non2xx else 0, seconds=wall,
        generator=f"wrk -t{threads} -c{connections}", generator_cpu_pct=100 * used / wall,
        server_cpu_pct=100 * server_cpu / wall, latency=latency,
    )  # fmt: skip


async def _closed_loop(
    port: int, api_key: str, seconds: float, connections: int
) -> tuple[int, int]:
    ok = bad = 0
    stop = time.perf_counter() + seconds
    headers = {"X-API-Key": api_key}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits) as client:

        async def loop() -> None:
            nonlocal ok, bad
            while time.perf_counter() < stop:
                r = await client.post(PATH, json=BODY, headers=headers)
                if r.status_code < 300:
                    ok += 1
                else:
                    bad += 1

        await asyncio.gather(*(loop() for _ in range(connections)))
    return ok, bad


def run_python_closed_loop(port: int, api_key: str, seconds: int, master: int) -> Throughput:
    """Fallback when wrk is unavailable (it will likely be the bottleneck; said so)."""
    cpu0, p0 = _server_cpu(master), time.process_time()
    t0 = time.perf_counter()
    ok, bad = asyncio.run(_closed_loop(port, api_key, seconds, 32))
    wall = time.perf_counter() - t0
    return Throughput(
        rps=(ok + bad) / wall, requests=ok + bad, errors=bad, seconds=wall,
        generator="python httpx closed loop (wrk unavailable)",
        generator_cpu_pct=100 * (time.process_time() - p0) / wall,
        server_cpu_pct=100 * (_server_cpu(master) - cpu0) / wall,
    )  # fmt: skip


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


def _pct(sorted_ms: list[float], q: float) -> float:
    if not sorted_ms:
        return float("nan")
    return sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))]


class _Conn:
    """One keep-alive HTTP/1.1 connection: send a prepared request, read one response.

    The open-loop generator speaks raw HTTP because httpx costs ~1.5 ms of CPU per request,
    which at several hundred requests a second would make the generator the bottleneck."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> _Conn:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def exchange(self, request: bytes) -> int:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        if length:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


async def _open_loop(port: int, api_key: str, rate: float, seconds: float) -> OpenLoop:
    n = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    lag = 0.0
    body = json.dumps(BODY).encode()
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-API-Key: {api_key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    ).encode()
    prefix = f"bench-open-{uuid.uuid4().hex[:12]}-"
    idle: list[_Conn] = [await _Conn.open(port) for _ in range(16)]  # opened before the clock
    opened = list(idle)

    def idle_conn() -> _Conn | None:
        while idle:
            conn = idle.pop()
            if not conn.reader.at_eof():
                return conn
            conn.close()  # the server closed it (keep-alive timeout): not an error of the run
        return None

    async def send(scheduled: float, i: int) -> None:
        nonlocal errors
        request = head + f"Idempotency-Key: {prefix}{i}\r\n\r\n".encode() + body
        conn = idle_conn()
        try:
            if conn is None:
                conn = await _Conn.open(port)
                opened.append(conn)
            status = await asyncio.wait_for(conn.exchange(request), 30)
            if status >= 300:
                errors += 1
            idle.append(conn)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            errors += 1
            if conn is not None:
                conn.close()
        latencies.append((time.perf_counter() - scheduled) * 1000)

    pending: set[asyncio.Task[None]] = set()  # finished ones are dropped, not kept to the end
    # The generator's own garbage collector would stall its schedule (a full collection
    # among thousands of live tasks: over 100 ms seen), and a late send counts as latency.
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
            task = asyncio.create_task(send(scheduled, i))
            pending.add(task)
            task.add_done_callback(pending.discard)
        while pending:
            await asyncio.gather(*pending)
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu0
    finally:
        gc.enable()
    for conn in opened:
        conn.close()
    ms = sorted(latencies)
    return OpenLoop(
        rate=rate, sent=n, errors=errors, p50_ms=_pct(ms, 0.50), p99_ms=_pct(ms, 0.99),
        max_ms=ms[-1] if ms else float("nan"), generator_cpu_pct=100 * cpu / wall,
        max_send_lag_ms=lag * 1000,
    )  # fmt: skip


def run_open_loop(port: int, api_key: str, rate: float, seconds: float) -> OpenLoop:
    """On uvloop (uvicorn's loop, so installed): a third less of the generator's CPU than
    asyncio's own loop, on a box the generator shares with the server."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        return asyncio.run(_open_loop(port, api_key, rate, seconds))
    return uvloop.run(_open_loop(port, api_key, rate, seconds))
