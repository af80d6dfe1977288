"""The intake service app: its routers, consumers and jobs (see ``spec``)."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake.complaints.endpoints import push_complaint
from services.intake.complaints.endpoints import router as complaints_router
from services.intake.complaints.group_commit import close_group_writer
from services.intake.complaints.tasks import idempotency_purge_job
from services.intake.media.tasks import media_consumer
from services.intake.notify.endpoints import router as outbound_router
from services.intake.notify.tasks import (
    close_http_client,
    notify_consumer,
    open_http_client,
    sender_job,
)
from services.intake.open311.endpoints import router as open311_router
from shared.app import ServiceSpec, build_app
from shared.config import Settings

# -- REST push API and reporter notifications (complaints/, notify/) ----------------------------
PUSH_API_ROUTERS = [complaints_router, outbound_router]
NOTIFY_CONSUMERS = [notify_consumer]
PUSH_AND_NOTIFY_JOBS = [sender_job, idempotency_purge_job]
# -- end REST push API and notifications --------------------------------------------------------

# -- channel webhooks and citizen web pages (webhooks/, web/) ---------------------------------
from services.intake.web.endpoints import router as web_router  # noqa: E402
from services.intake.webhooks.endpoints import admin_router as quarantine_router  # noqa: E402
from services.intake.webhooks.endpoints import router as webhooks_router  # noqa: E402

CHANNEL_ROUTERS = [webhooks_router, quarantine_router, web_router]
# -- end channel webhooks and web pages -----------------------------------------------------------


def spec() -> ServiceSpec:
    """Everything the intake service contributes to an app (alone or embedded)."""
    return ServiceSpec(
        name="intake",
        description="Intake: REST push API, Open311, channels, notifications to reporters",
        routers=[*PUSH_API_ROUTERS, open311_router, *CHANNEL_ROUTERS],
        hot_endpoints=[push_complaint],
        consumers=[*NOTIFY_CONSUMERS, media_consumer],
        jobs=[*PUSH_AND_NOTIFY_JOBS],
        on_startup=[open_http_client],
        on_shutdown=[close_group_writer, close_http_client],
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app([spec()], settings)
