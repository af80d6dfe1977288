"""Notify's consumer and jobs: queue reporter messages from events; send due messages."""

from __future__ import annotations

import httpx

from services.intake.notify import officers, service
from shared.events import Consumer, PeriodicJob, WorkerContext
from shared.models import Event

#: ``ctx.resources`` name of the process's long-lived outbound HTTP client (providers' send APIs).
HTTP_RESOURCE = "http"
_OWNED = "_intake_owns_http"
SEND_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
SEND_LIMITS = httpx.Limits(max_connections=50, max_keepalive_connections=20)
SENDER_INTERVAL_S = 1.0


async def handle_event(session, event: Event, ctx: WorkerContext) -> None:
    """The ``notify`` consumer: at most one reporter message per event (``<event id>:reporter``)
    and, for a disposal or a return, one message per officer concerned."""
    await service.notify_reporter(session, event, ctx.settings)
    await officers.notify_officers(session, event, ctx.settings)


notify_consumer = Consumer(name="notify", handler=handle_event, concurrency=4)


async def open_http_client(ctx: WorkerContext) -> None:
    """One long-lived client per process (shared with others that use ``ctx.resources['http']``)."""
    if HTTP_RESOURCE not in ctx.resources:
        ctx.resources[HTTP_RESOURCE] = httpx.AsyncClient(timeout=SEND_TIMEOUT, limits=SEND_LIMITS)
        ctx.resources[_OWNED] = True


async def close_http_client(ctx: WorkerContext) -> None:
    if ctx.resources.pop(_OWNED, False):
        client = ctx.resources.pop(HTTP_RESOURCE, None)
        if client is not None:
            await client.aclose()


def http_client(ctx: WorkerContext) -> httpx.AsyncClient:
    client = ctx.resources.get(HTTP_RESOURCE)
    if client is None:
        raise RuntimeError("the outbound HTTP client is not open (startup hook not run)")
    return client


async def send_outbound_messages(ctx: WorkerContext) -> int:
    """The sender: claim due messages and send them (until none is due, bounded)."""
    total = 0
    for _ in range(20):
        n = await service.send_due_messages(ctx.db, ctx.settings, http_client(ctx))
        total += n
        if n < service.SEND_BATCH:
            break
    return total


sender_job = PeriodicJob(
    name="outbound-sender", func=send_outbound_messages, interval_s=SENDER_INTERVAL_S
)
