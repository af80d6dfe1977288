"""How a case national admins forward to this instansi ("forward-in") can reach Simpul in
this deployment — and a loud word where polling cannot find one.

Polling re-reads the cases Simpul already mirrors, so every national change to *those*
(status, the reporter's follow-ups, the rating) arrives without callbacks. A forward-in is
a national id Simpul has never seen: polling finds it only through the national list
(``GET /complaints``, ``SIMPUL_LAPOR_SEARCH=true``), which no public integration uses.
Without the list a forward-in arrives by callback (``SIMPUL_LAPOR_CALLBACKS``) or by
importing the national export (``simpul lapor import``, ``POST /admin/sync/import``) —
never by polling. With neither the list nor callbacks, only the export import brings them:
startup logs a warning, ``GET /admin/sync/status`` says so under ``forward_in``, and the
gauge ``simpul_lapor_forward_in_polled`` is 0 (docs/lapor.md §4: what to ask for).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from prometheus_client import Gauge
from sqlalchemy import func, select

from shared.events import WorkerContext
from shared.models.sync import LaporCallback

log = structlog.get_logger("simpul.sync.inbound")

FORWARD_IN_POLLED = Gauge(
    "simpul_lapor_forward_in_polled",
    "1 where polling discovers forward-ins (the national list is on), else 0",
)
#: The operators' flag where polling cannot discover forward-ins.
NOT_POLLED = "forward-in only through callbacks or the export import"
#: And where no callbacks are expected either: the export import alone.
EXPORT_ONLY = (
    f"{NOT_POLLED}: no national list (SIMPUL_LAPOR_SEARCH=false) and no callbacks "
    "(SIMPUL_LAPOR_CALLBACKS=false) here, so cases forwarded to this instansi arrive only "
    "when the national export is imported (simpul lapor import); see docs/lapor.md"
)


def forward_in_paths(*, search: bool, callbacks: bool) -> list[str]:
    """The ways a forward-in can arrive here, in the order they would bring it."""
    return [
        *(["national_list"] if search else []),
        *(["callbacks"] if callbacks else []),
        "export_import",
    ]


def forward_in_coverage(
    *, search: bool, callbacks: bool, last_callback_at: datetime | None = None
) -> dict[str, Any]:
    """The ``forward_in`` block of ``/admin/sync/status``."""
    FORWARD_IN_POLLED.set(1 if search else 0)
    flag = None if search else (NOT_POLLED if callbacks else EXPORT_ONLY)
    return {
        "paths": forward_in_paths(search=search, callbacks=callbacks),
        "by_polling": search,
        "callbacks_expected": callbacks,
        "last_callback_at": last_callback_at.isoformat() if last_callback_at else None,
        "flag": flag,
        "export_import_only": not search and not callbacks,
    }


def search_of(ctx_resources: dict[str, Any], settings: Any) -> bool:
    """Whether the national list is used: the running client's profile, else the setting."""
    client = ctx_resources.get("lapor")
    return bool(client.profile.search) if client is not None else bool(settings.lapor_search)


async def last_callback_at(session: Any) -> datetime | None:
    return await session.scalar(select(func.max(LaporCallback.received_at)))


async def warn_if_forward_ins_are_not_polled(ctx: WorkerContext) -> None:
    """The sync service's startup hook: say once, loudly, where only the export import
    brings forward-ins (nothing is said where the list or callbacks bring them)."""
    settings = ctx.settings
    search = search_of(ctx.resources, settings)
    FORWARD_IN_POLLED.set(1 if search else 0)
    if not settings.lapor_sync_enabled or search or settings.lapor_callbacks_expected:
        return
    log.warning("lapor_forward_in_not_polled", detail=EXPORT_ONLY)
