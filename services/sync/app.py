"""The sync service app: the SP4N-LAPOR! mirror, and the simulator when no LAPOR! URL is set."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.types import ASGIApp

from services.sync.inbound.coverage import warn_if_forward_ins_are_not_polled
from services.sync.inbound.endpoints import router as callbacks_router
from services.sync.inbound.tasks import lapor_callbacks, lapor_discoverer, lapor_poller
from services.sync.mirror.tasks import close_lapor_client, open_lapor_client, sync_consumer
from services.sync.ops.endpoints import router as ops_router
from services.sync.ops.tasks import lapor_metrics
from services.sync.reconcile.jobs import stop_background_runs
from services.sync.reconcile.tasks import lapor_reconciler
from shared.app import ServiceSpec, build_app
from shared.config import Settings
from shared.events import WorkerContext

SIMULATOR_PATH = "/lapor-sim"
SIMULATOR_STATE_FILE = "lapor-sim.json"


def _simulator_mount(spec_state: dict) -> tuple[str, object]:
    """Mount the simulator at ``/lapor-sim`` when ``SIMPUL_LAPOR_BASE_URL`` is unset (demo)."""

    def factory(settings: Settings) -> ASGIApp | None:
        if not settings.embedded_simulator:
            return None
        from services.sync.simulator import create_simulator_app, simulator_kwargs_from_settings

        # Persisted beside the database: the demo's cases keep their national ids across
        # restarts, as the real national store would (an in-memory one would hand out the
        # same ids again and collide with those Simpul already holds).
        state_file = str(Path(settings.data_dir) / SIMULATOR_STATE_FILE)
        sim = create_simulator_app(
            **simulator_kwargs_from_settings(settings), state_file=state_file
        )
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
        routers=[callbacks_router, ops_router],
        consumers=[sync_consumer()],
        jobs=[
            lapor_poller(),
            lapor_callbacks(),
            lapor_discoverer(),
            lapor_reconciler(),
            lapor_metrics(),
        ],
        on_startup=[open_lapor_client, warn_if_forward_ins_are_not_polled],
        mounts=[_simulator_mount(state)],
        on_shutdown=[stop_background_runs, close_lapor_client, close_simulator],
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app([spec()], settings)
