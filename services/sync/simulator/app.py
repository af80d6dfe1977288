"""A simulator of the SP4N-LAPOR! API (``contracts/lapor-api.md``) as a FastAPI app.

It speaks the national API's **[seen]** shapes by default — the static auth headers, the
``results`` envelope, integer ids, ``d-m-Y H:i:s`` Jakarta dates, statuses by name — over
an in-memory store, and like the real one it is **not idempotent on create**. Variants
(auth header name, create path, search on/off, our older answer shapes), faults,
national-side actions and inspection live under ``/_sim/`` (no auth, loopback clients
only). Routes are relative, so the app runs standalone (``serve()``) or mounted
(``app.mount("/lapor-sim", sim_app)``).

Its parts: :mod:`.endpoints` (routes), :mod:`.service` (the store and the API's writes),
:mod:`.actions` (what the national side does), :mod:`.rendering` (answers per variant),
:mod:`.gate` (auth, limits, faults), :mod:`.repository` (the store and its snapshot).

When mounted, Starlette does not run a sub-app's lifespan: the callback client is made
lazily, and the host app must ``await close_simulator(sim_app)`` on shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.sync.simulator.endpoints import api_router, sim_router
from services.sync.simulator.rendering import error_body
from services.sync.simulator.service import (
    DEMO_AUTH_KEY,
    DEMO_CALLBACK_SECRET,
    DEMO_INSTITUTION_ID,
    DEMO_TOKEN,
    Simulator,
)
from services.sync.simulator.validation import SimHTTPError
from shared.config import DEMO_LAPOR_ADMIN_USER_ID, DEMO_LAPOR_REPLY_TEMPLATE_CODE

__all__ = [
    "DEMO_AUTH_KEY",
    "DEMO_CALLBACK_SECRET",
    "DEMO_INSTITUTION_ID",
    "DEMO_TOKEN",
    "SimHTTPError",
    "Simulator",
    "close_simulator",
    "create_simulator_app",
    "get_simulator",
]


def _error(status_code: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(message), status_code=status_code, headers=headers)


def create_simulator_app(
    *,
    auth_key: str = DEMO_AUTH_KEY,
    token: str = DEMO_TOKEN,
    institution_id: int = DEMO_INSTITUTION_ID,
    callback_url: str | None = None,
    callback_secret: str = DEMO_CALLBACK_SECRET,
    state_file: str | None = None,
    admin_user_id: int = DEMO_LAPOR_ADMIN_USER_ID,
    reply_template_code: str = DEMO_LAPOR_REPLY_TEMPLATE_CODE,
) -> FastAPI:
    """The simulator app. ``app.state.simulator`` is its :class:`Simulator`."""
    sim = Simulator(
        auth_key=auth_key,
        token=token,
        institution_id=institution_id,
        callback_url=callback_url,
        callback_secret=callback_secret,
        state_file=state_file,
        admin_user_id=admin_user_id,
        reply_template_code=reply_template_code,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield  # standalone only: a mounted sub-app's lifespan is not run
        await sim.aclose()

    app = FastAPI(
        title="SP4N-LAPOR! simulator",
        description=__doc__,
        version="3.0.0-sim",
        lifespan=lifespan,
    )
    app.state.simulator = sim

    @app.exception_handler(SimHTTPError)
    async def sim_error(_: Request, exc: SimHTTPError) -> JSONResponse:
        return _error(exc.status_code, exc.message, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, f"invalid request: {exc.errors()}")

    app.include_router(api_router(sim))
    app.include_router(sim_router(sim))
    return app


def get_simulator(app: FastAPI) -> Simulator:
    return app.state.simulator


async def close_simulator(app: FastAPI) -> None:
    """Shutdown hook for a mounted simulator (its own lifespan does not run then)."""
    await get_simulator(app).aclose()
