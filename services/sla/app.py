"""The sla service app: the working-day calendar, the clocks, early warnings, breaches and
escalation (see ``spec``)."""

from __future__ import annotations

from fastapi import FastAPI

from services.sla.calendar.endpoints import admin_router as calendar_admin_router
from services.sla.calendar.endpoints import public_router as calendar_router
from services.sla.calendar.service import calendar_provider
from services.sla.clocks.endpoints import router as clocks_router
from services.sla.clocks.tasks import sla_consumer, sla_sweeper
from services.sla.notify.digest import digest_job
from services.sla.reports import routers as report_routers
from shared.app import ServiceSpec, build_app
from shared.config import Settings
from shared.events import WorkerContext


async def _open_calendar(ctx: WorkerContext) -> None:
    calendar_provider(ctx)


def spec() -> ServiceSpec:
    """Everything the sla service contributes to an app (alone or embedded)."""
    return ServiceSpec(
        name="sla",
        description="Working-day calendar, SLA clocks, early warnings, breaches and escalation",
        routers=[calendar_router, calendar_admin_router, clocks_router, *report_routers()],
        consumers=[sla_consumer()],
        jobs=[sla_sweeper(), digest_job()],
        on_startup=[_open_calendar],
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app([spec()], settings)
