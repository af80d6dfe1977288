"""Building a Simpul FastAPI app from one or more service specs.

Each service (``services/<name>/app.py``) describes itself as a :class:`ServiceSpec`: its
routers, event consumers, periodic jobs and start/stop hooks. ``build_app([spec])`` makes
that service's own app; the embedded app passes all four specs to the same function, so a
service behaves the same alone or together.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import structlog
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp

from shared.config import Settings, get_settings
from shared.db import Database
from shared.errors import error_response, install_error_handlers
from shared.events import Consumer, PeriodicJob, WorkerContext
from shared.fastpath import Endpoint, HotRoutesMiddleware
from shared.guard import RequestGuardMiddleware
from shared.identity.demo import refuse_demo_accounts
from shared.logfilter import register_secrets
from shared.migrate import heads
from shared.observability import (
    BodySizeLimitMiddleware,
    RequestContextMiddleware,
    configure_logging,
    metrics_endpoint,
)
from shared.openapi import install_openapi

#: Where the Swagger UI and ReDoc assets are served (fastapi-offline's files).
DOCS_ASSETS_URL = "/static-offline-docs"
log = structlog.get_logger("simpul.app")
Hook = Callable[[WorkerContext], Awaitable[None]]


@dataclass
class ServiceSpec:
    name: str
    description: str = ""
    routers: list[APIRouter] = field(default_factory=list)
    #: Endpoints of ``routers`` served straight from the middleware (``shared/fastpath.py``).
    hot_endpoints: list[Endpoint] = field(default_factory=list)
    consumers: list[Consumer] = field(default_factory=list)
    jobs: list[PeriodicJob] = field(default_factory=list)
    #: Run at start (e.g. open a long-lived httpx client into ``ctx.resources``) and stop.
    on_startup: list[Hook] = field(default_factory=list)
    on_shutdown: list[Hook] = field(default_factory=list)
    #: Sub-apps to mount, built from the settings: (path, factory).
    mounts: list[tuple[str, Callable[[Settings], ASGIApp | None]]] = field(default_factory=list)
    #: The service's own exception handlers (e.g. the console answers HTML pages, not JSON);
    #: exception classes of its own, so other services' answers are unchanged.
    exception_handlers: dict[type[Exception], Callable] = field(default_factory=dict)


class Workers:
    """The consumers and jobs of one process, started and stopped with the app."""

    def __init__(
        self, ctx: WorkerContext, consumers: list[Consumer], jobs: list[PeriodicJob]
    ) -> None:
        self.ctx, self.consumers, self.jobs = ctx, consumers, jobs
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task] = []

    def start(self) -> None:
        for consumer in self.consumers:
            self.tasks.append(
                asyncio.create_task(
                    consumer.run_forever(self.ctx, self.stop), name=f"consumer:{consumer.name}"
                )
            )
        for job in self.jobs:
            self.tasks.append(
                asyncio.create_task(job.run_forever(self.ctx, self.stop), name=f"job:{job.name}")
            )
        log.info(
            "workers_started",
            consumers=[c.name for c in self.consumers],
            jobs=[j.name for j in self.jobs],
        )

    async def shutdown(self, grace_s: float = 10.0) -> None:
        self.stop.set()
        if not self.tasks:
            return
        done, pending = await asyncio.wait(self.tasks, timeout=grace_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self.tasks.clear()


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])
    expected_heads = set(heads())

    @router.get("/healthz", summary="Alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Database reachable and schema at head")
    async def readyz(request: Request):
        db: Database = request.app.state.db
        try:
            async with db.engine.connect() as conn:
                current = set(
                    (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars()
                )
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            log.warning("not_ready", error_type=type(exc).__name__)
            return error_response(
                503,
                "database_unavailable",
                "the database cannot be reached or has no schema",
                {"Retry-After": "5"},
            )
        if current != expected_heads:
            return error_response(
                503,
                "schema_not_at_head",
                "run `simpul migrate`",
                {"Retry-After": "30"},
                current=sorted(current),
                expected=sorted(expected_heads),
            )
        return JSONResponse({"status": "ready", "schema": sorted(current)})

    return router


async def refuse_demo_accounts_in(db: Database) -> None:
    """Production does not start while a demo account (a published password) is active.
    A database without the accounts table yet (not migrated) is ``/readyz``'s to report."""
    try:
        async with db.session() as session:
            await refuse_demo_accounts(session)
    except DBAPIError as exc:
        log.warning("demo_account_check_skipped", error_type=type(exc.orig).__name__)


_startup_frozen = False


def freeze_startup_objects() -> None:
    """Move everything alive after the process's first start-up (modules, models, compiled
    schemas, caches) out of the garbage collector's reach: a full collection then scans only
    what requests created. Measured on an intake worker under load: the longest collection
    pause went from 90-175 ms to 15-18 ms (docs/performance.md). Once per process, so that
    a test run building many apps does not keep each of them forever."""
    global _startup_frozen
    if _startup_frozen:
        return
    _startup_frozen = True
    gc.collect()
    gc.freeze()


def _telemetry(settings: Settings) -> dict[str, object]:
    """FastAPI's own OpenTelemetry hook, off unless ``SIMPUL_OPENTELEMETRY`` asks for it:
    when on (its default) it looks up the global tracer, meter and logger providers on every
    request — ~3 % of an intake worker's CPU under load (docs/performance.md) — for
    instrumentation nobody here configured. Releases before the hook have no such option."""
    if "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    on = settings.opentelemetry
    return {"telemetry": {"tracing": on, "metrics": on, "logs": on}}


def build_app(
    specs: list[ServiceSpec], settings: Settings | None = None, *, run_workers: bool | None = None
) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.json_logs)
    register_secrets(settings.secret_values())
    names = [s.name for s in specs]
    workers_on = settings.run_workers if run_workers is None else run_workers
    db = Database(
        settings.database_url,
        pool_size=settings.pool_size_for(names, workers=workers_on),
        max_overflow=settings.db_max_overflow,
    )
    ctx = WorkerContext(settings=settings, db=db)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if settings.env == "production":
            await refuse_demo_accounts_in(db)
        for spec in specs:
            for hook in spec.on_startup:
                await hook(ctx)
        workers = Workers(
            ctx, [c for s in specs for c in s.consumers], [j for s in specs for j in s.jobs]
        )
        app.state.workers = workers
        if workers_on:
            workers.start()
        freeze_startup_objects()
        try:
            yield
        finally:
            await workers.shutdown()
            for spec in reversed(specs):
                for hook in spec.on_shutdown:
                    try:
                        await hook(ctx)
                    except Exception:
                        log.exception("shutdown_hook_failed", service=spec.name)
            await db.dispose()

    title = "Simpul" if len(specs) > 1 else f"Simpul {specs[0].name}"
    # /docs and /redoc with their assets served from the package (DOCS_ASSETS_URL), never
    # from a CDN: Simpul runs where the internet may be slow or absent.
    app = FastAPIOffline(
        static_url=DOCS_ASSETS_URL,
        title=title,
        version="0.1.0",
        description="; ".join(s.description for s in specs if s.description) or None,
        lifespan=lifespan,
        **_telemetry(settings),
    )
    app.state.settings = settings
    app.state.db = db
    app.state.ctx = ctx
    app.state.services = names
    app.state.specs = specs
    install_error_handlers(app)
    install_openapi(app)
    for spec in specs:
        for exc_class, handler in spec.exception_handlers.items():
            app.add_exception_handler(exc_class, handler)
    hot = [endpoint for spec in specs for endpoint in spec.hot_endpoints]
    if hot:  # innermost of the app's own middlewares: after the body limit and the access line
        routes = [route for spec in specs for router in spec.routers for route in router.routes]
        app.add_middleware(HotRoutesMiddleware, routes=routes, hot=hot)
    app.add_middleware(RequestGuardMiddleware)  # NUL, lone surrogates, deep JSON: one 400
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(health_router())
    app.router.routes.append(
        Route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)
    )
    for spec in specs:
        for router in spec.routers:
            app.include_router(router)
    for spec in specs:
        for path, factory in spec.mounts:
            sub = factory(settings)
            if sub is not None:
                app.mount(path, sub)
    return app
