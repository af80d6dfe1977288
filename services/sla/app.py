"""The sla service app: its routers, consumers and jobs (see ``spec``)."""

from __future__ import annotations

from fastapi import FastAPI

from shared.app import ServiceSpec, build_app
from shared.config import Settings


def spec() -> ServiceSpec:
    """Everything the sla service contributes to an app (alone or embedded)."""
    return ServiceSpec(name="sla", description="")


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app([spec()], settings)
