"""Closed-loop load for throughput: ``wrk`` (many connections), or a Python fallback where
wrk is missing. The open-loop generator for latency is :mod:`bench.openloop`."""

from __future__ import annotations

import asyncio
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


def ensure_wrk(say) -> str | None:
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
