"""The console service: its own FastAPI app (port 8005 when run alone), also part of
the embedded app. Pages only; the rules it shows are the other services' own."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import Response

from services.console.admin.endpoints import router as admin_router
from services.console.cases.endpoints import router as cases_router
from services.console.deps import EXCEPTION_HANDLERS
from services.console.home.endpoints import router as home_router
from services.console.identity.account import router as account_router
from services.console.identity.api_tokens import router as tokens_router
from services.console.identity.login import router as login_router
from services.console.operations.endpoints import router as operations_router
from services.console.pages import CSS_URL, STATIC_DIR
from services.console.reports.endpoints import router as reports_router
from services.console.worklists.endpoints import router as worklists_router
from shared.app import ServiceSpec, build_app
from shared.config import Settings

_CSS = (STATIC_DIR / "konsol.css").read_bytes()
static_router = APIRouter(include_in_schema=False)


@static_router.get(CSS_URL)
async def stylesheet() -> Response:
    return Response(_CSS, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


def spec() -> ServiceSpec:
    return ServiceSpec(
        name="console",
        description="Staff console: server-rendered pages for officers (/konsol)",
        routers=[
            static_router,
            login_router,
            account_router,
            tokens_router,
            home_router,
            worklists_router,
            cases_router,
            reports_router,
            admin_router,
            operations_router,
        ],
        exception_handlers=dict(EXCEPTION_HANDLERS),
    )


def create_app(settings: Settings | None = None, *, run_workers: bool | None = None) -> FastAPI:
    return build_app([spec()], settings, run_workers=run_workers)
