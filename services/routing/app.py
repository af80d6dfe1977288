"""The routing service app: its routers, consumers and jobs (see ``spec``)."""

from __future__ import annotations

from fastapi import FastAPI

from services.routing.cases.endpoints import router as cases_router
from services.routing.reference.endpoints import router as reference_router
from services.routing.replies.endpoints import router as replies_router
from services.routing.rules.endpoints import router as rules_router
from services.routing.rules.tasks import routing_consumer
from services.routing.staff.endpoints import router as staff_router
from services.routing.worklists.endpoints import router as worklists_router
from shared.app import ServiceSpec, build_app
from shared.config import Settings


def spec() -> ServiceSpec:
    """Everything the routing service contributes to an app (alone or embedded)."""
    return ServiceSpec(
        name="routing",
        description=(
            "the workflow: OPD registry, categories, routing rules, verification, disposition, "
            "OPD actions, staff accounts"
        ),
        routers=[
            cases_router,
            reference_router,
            rules_router,
            worklists_router,
            replies_router,
            staff_router,
        ],
        consumers=[routing_consumer],
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app([spec()], settings)
