"""The sync service app: the SP4N-LAPOR! mirror, and the simulator when no LAPOR! URL is set."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp

from shared.app import ServiceSpec, build_app
from shared.config import Settings
from shared.events import WorkerContext

SIMULATOR_PATH = "/lapor-sim"


def _simulator_mount(spec_state: dict) -> tuple[str, object]:
    """Mount the simulator at ``/lapor-sim`` when ``SIMPUL_LAPOR_BASE_URL`` is unset (embedded demo)."""

    def factory(settings: Settings) -> ASGIApp | None:
        if not settings.embedded_simulator:
            return None
        from services.sync.simulator import create_simulator_app, simulator_kwargs_from_settings

        sim = create_simulator_app(**simulator_kwargs_from_settings(settings))
        spec_state["simulator"] = sim
        return sim

    return (SIMULATOR_PATH, factory)


def spec() -> ServiceSpec:
    """Everything the sync service contributes to an app (alone or embedded)."""
    state: dict = {}

    async def close_simulator(_ctx: WorkerContext) -> None:
        sim = state.pop("simulator", None)
        if sim is not None:
            from services.sync.simulator import close_simulator as close

            await close(sim)

    return ServiceSpec(
        name="sync",
        description="Mirror with SP4N-LAPOR!",
        mounts=[_simulator_mount(state)],
        on_shutdown=[close_simulator],
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app([spec()], settings)
