"""Fixtures for tests that talk to the SP4N-LAPOR! simulator over real HTTP.

``lapor_sim`` — the base URL of a simulator (uvicorn, background thread, free
127.0.0.1 port; one per session), reset (store, faults, stats) before each test::

    async def test_something(lapor_sim):
        async with LaporClient(lapor_sim, "demo-auth-key", "demo-token") as lapor: ...

``lapor_sim_admin`` — async helpers over its ``/_sim/`` endpoints (faults, forward, …).
``sync_app`` — the embedded app whose mirror talks to ``lapor_sim`` (short timings);
``search_mode`` — runs a test with the national search off and on.
``lapor_callback_receiver`` — a second server recording what is POSTed to it
(``.url``, ``.requests``, ``.respond_with``), for callback tests.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn

from services.sync.lapor import LaporProfile
from services.sync.simulator import create_simulator_app
from tests.sync.test_mirror_support import FAST_TUNING, fast_client, use_client

SERVER_START_TIMEOUT_S = 10.0


class ServerThread:
    """A uvicorn server on a free loopback port, in a daemon thread."""

    def __init__(self, app: Any) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            log_level="warning",
            lifespan="on",
            ws="none",
            loop="asyncio",
            timeout_graceful_shutdown=3,
        )
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


@dataclass
class RunningSimulator:
    base_url: str
    app: Any


@pytest.fixture(scope="session")
def lapor_sim_server() -> Iterator[RunningSimulator]:
    app = create_simulator_app()
    server = ServerThread(app).start()
    try:
        yield RunningSimulator(base_url=server.base_url, app=app)
    finally:
        server.stop()


@pytest.fixture
def lapor_sim(lapor_sim_server: RunningSimulator) -> str:
    """Base URL of a freshly reset simulator (demo keys, institution 9001, 20 req/s)."""
    response = httpx.post(f"{lapor_sim_server.base_url}/_sim/reset", timeout=10)
    response.raise_for_status()
    return lapor_sim_server.base_url


class SimAdmin:
    """Async helpers over the simulator's ``/_sim/`` endpoints."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    async def _call(self, method: str, path: str, json: Any = None) -> Any:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=15) as client:
            response = await client.request(method, f"/_sim{path}", json=json)
        response.raise_for_status()
        return response.json()

    async def faults(self, **knobs: Any) -> dict[str, Any]:
        return await self._call("PUT", "/faults", knobs)

    async def clear_faults(self) -> dict[str, Any]:
        return await self._call("DELETE", "/faults")

    async def complaints(self) -> list[dict[str, Any]]:
        return (await self._call("GET", "/complaints"))["complaints"]

    async def complaint(self, complaint_id: int) -> dict[str, Any]:
        return await self._call("GET", f"/complaints/{complaint_id}")

    async def stats(self) -> dict[str, int]:
        return await self._call("GET", "/stats")

    async def forward(self, **body: Any) -> int:
        return (await self._call("POST", "/national/forward", body))["complaint_id"]

    async def set_status(self, complaint_id: int, status_code: int) -> dict[str, Any]:
        return await self._call(
            "POST", f"/complaints/{complaint_id}/status", {"status_code": status_code}
        )

    async def reporter_followup(self, complaint_id: int, content: str) -> int:
        body = {"content": content}
        return (await self._call("POST", f"/complaints/{complaint_id}/followups", body))[
            "followup_id"
        ]

    async def rate(self, complaint_id: int, score: int, comment: str = "") -> None:
        body = {"score": score, "comment": comment}
        await self._call("POST", f"/complaints/{complaint_id}/rating", body)

    async def drain_callbacks(self) -> dict[str, int]:
        return await self._call("POST", "/callbacks/drain")


@pytest.fixture
def lapor_sim_admin(lapor_sim: str) -> SimAdmin:
    return SimAdmin(lapor_sim)


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class CallbackReceiver:
    """Records every POST; answers ``respond_with`` (pop from the front, then 200)."""

    url: str = ""
    requests: list[RecordedRequest] = field(default_factory=list)
    respond_with: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        with self._lock:
            status = self.respond_with.pop(0) if self.respond_with else 200
            self.requests.append(RecordedRequest(scope["path"], headers, body))
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
            self.respond_with.clear()

    async def wait_for(self, count: int, timeout_s: float = 10.0) -> list[RecordedRequest]:
        """Wait until at least ``count`` requests arrived (a deadline, not an assertion)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if len(self.requests) >= count:
                break
            await asyncio.sleep(0.02)
        return list(self.requests)


@pytest.fixture(scope="session")
def _callback_receiver_server() -> Iterator[CallbackReceiver]:
    receiver = CallbackReceiver()
    server = ServerThread(receiver).start()
    receiver.url = f"{server.base_url}/webhooks/lapor"
    try:
        yield receiver
    finally:
        server.stop()


@pytest.fixture
def lapor_callback_receiver(_callback_receiver_server: CallbackReceiver) -> CallbackReceiver:
    _callback_receiver_server.clear()
    return _callback_receiver_server


# -- the embedded app mirroring to the simulator (every sync test may ask for these) ----
@pytest.fixture
async def sync_app(app: Any, lapor_sim: str) -> Any:
    """The embedded app whose mirror talks to the simulator fixture, with short timings."""
    await use_client(app, fast_client(lapor_sim))
    app.state.ctx.resources["sync_tuning"] = FAST_TUNING
    return app


@pytest.fixture(params=["search_off", "search_on"])
async def search_mode(request: Any, sync_app: Any, lapor_sim: str) -> bool:
    """Both ways of settling an uncertain create: an operator (search off, the default) or
    the national tag search (``SIMPUL_LAPOR_SEARCH=true``)."""
    search = request.param == "search_on"
    await use_client(sync_app, fast_client(lapor_sim, profile=LaporProfile(search=search)))
    return search
