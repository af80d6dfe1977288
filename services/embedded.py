"""The embedded app: every service in one process (the default, on a SQLite file).

With no ``SIMPUL_LAPOR_BASE_URL`` the sync service mounts the LAPOR! simulator at
``/lapor-sim`` on the same port, so the demo runs end to end on one machine.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.console.app import spec as console_spec
from services.intake.app import spec as intake_spec
from services.routing.app import spec as routing_spec
from services.sla.app import spec as sla_spec
from services.sync.app import spec as sync_spec
from shared.app import ServiceSpec, build_app
from shared.config import Settings

SERVICES = ("intake", "routing", "sla", "sync", "console")


def specs(names: tuple[str, ...] = SERVICES) -> list[ServiceSpec]:
    factories = {
        "intake": intake_spec,
        "routing": routing_spec,
        "sla": sla_spec,
        "sync": sync_spec,
        "console": console_spec,
    }
    return [factories[n]() for n in names]


def create_app(settings: Settings | None = None, *, run_workers: bool | None = None) -> FastAPI:
    return build_app(specs(), settings, run_workers=run_workers)
