"""The SP4N-LAPOR! simulator: a real HTTP server modelling the national API, for tests,
the benchmark and the demo (``simpul lapor-sim``; mounted at ``/lapor-sim`` when embedded).

Standalone::

    serve(port=8009, callback_url="http://127.0.0.1:8000/webhooks/lapor")

Mounted::

    sim_app = create_simulator_app(**simulator_kwargs_from_settings(settings))
    app.mount("/lapor-sim", sim_app)
    ...  # on shutdown (a mounted app's lifespan does not run):
    await close_simulator(sim_app)
"""

from __future__ import annotations

from typing import Any

from services.sync.simulator.app import (
    SimHTTPError,
    Simulator,
    close_simulator,
    create_simulator_app,
    get_simulator,
)
from services.sync.simulator.faults import Faults
from shared.config import LAPOR_SIM_PORT

__all__ = [
    "Faults",
    "SimHTTPError",
    "Simulator",
    "close_simulator",
    "create_simulator_app",
    "get_simulator",
    "serve",
    "simulator_kwargs_from_settings",
]

#: Where Simpul receives national callbacks (CONTRACT.md, "Intake — channels").
CALLBACK_PATH = "/webhooks/lapor"


def simulator_kwargs_from_settings(settings: Any = None) -> dict[str, Any]:
    """``create_simulator_app`` arguments matching this deployment's ``SIMPUL_LAPOR_*``,
    calling back to ``SIMPUL_PUBLIC_BASE_URL`` + ``/webhooks/lapor``."""
    if settings is None:
        from shared.config import get_settings

        settings = get_settings()
    return {
        "auth_key": settings.lapor_auth_key.get_secret_value(),
        "token": settings.lapor_token.get_secret_value(),
        "institution_id": settings.lapor_institution_id,
        "admin_user_id": settings.lapor_admin_user_id,
        "reply_template_code": settings.lapor_reply_template_code,
        "callback_secret": settings.lapor_webhook_secret.get_secret_value(),
        "callback_url": settings.public_base_url.rstrip("/") + CALLBACK_PATH,
    }


def serve(
    host: str = "127.0.0.1", port: int = LAPOR_SIM_PORT, *, log_level: str = "info", **kw: Any
) -> None:
    """Run the simulator with uvicorn until interrupted; ``kw`` go to
    :func:`create_simulator_app` (``auth_key``, ``token``, ``institution_id``,
    ``callback_url``, ``callback_secret``, ``state_file``)."""
    import uvicorn

    uvicorn.run(create_simulator_app(**kw), host=host, port=port, log_level=log_level)
