"""The console as the bench serves it: the console service's own app (its worklist and case
pages included) inside a timer that records how long each request spends in the app.

The timer is pure ASGI around everything (routing, session look-up, queries, rendering):
from the request's arrival to the last byte of its answer being handed to uvicorn. Each
worker process appends ``<kind> <ms>`` lines to its own file under
``SIMPUL_BENCH_TIMINGS_DIR``, so nothing is shared between workers and the writing
happens after the clock stopped.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Which figure a path belongs to.
KINDS = (("/konsol/antrian", "queue"), ("/konsol/cari", "search"), ("/konsol/kasus/", "case"))


def kind_of(path: str) -> str:
    for prefix, kind in KINDS:
        if path.startswith(prefix):
            return kind
    return "other"


class Timer:
    def __init__(self, app: ASGIApp, out_dir: Path) -> None:
        self.app, self.out_dir, self._out = app, out_dir, None

    def _write(self, line: str) -> None:
        if self._out is None:  # opened in the worker process, after uvicorn forked it
            self._out = (self.out_dir / f"timings-{os.getpid()}.txt").open("a", buffering=1)
        self._out.write(line)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = 0

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            if message["type"] == "http.response.body" and not message.get("more_body"):
                elapsed = (time.perf_counter() - t0) * 1000
                await send(message)
                self._write(f"{kind_of(scope['path'])} {status} {elapsed:.3f}\n")
                return
            await send(message)

        await self.app(scope, receive, timed_send)


def create_app() -> ASGIApp:
    from services.console import app as console
    from services.console.cases.endpoints import router as cases
    from services.console.worklists.endpoints import router as worklists
    from shared.app import build_app

    spec = console.spec()
    # Until the console service registers its work pages itself, the bench adds them.
    for router in (worklists, cases):
        if router not in spec.routers:
            spec.routers.append(router)
    app = build_app([spec], run_workers=False)
    return Timer(app, Path(os.environ["SIMPUL_BENCH_TIMINGS_DIR"]))
