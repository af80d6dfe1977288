"""The ``media`` consumer: each ``media.received`` event fetches its attachments once."""

from __future__ import annotations

from services.intake.media import service
from services.intake.notify.tasks import http_client
from shared.events import Consumer, WorkerContext
from shared.models import Event


async def handle_event(session, event: Event, ctx: WorkerContext) -> None:
    """Fetch outside the delivery's transaction (the provider may be slow); each outcome
    commits in its own session, so a retry never fetches a stored file twice."""
    ids = [i for i in (event.data or {}).get("attachment_ids", []) if isinstance(i, int)]
    if not ids:
        return
    await session.commit()  # nothing written yet: free the connection while providers answer
    await service.fetch_pending(ctx.db, ctx.settings, http_client(ctx), ids)


media_consumer = Consumer(name="media", handler=handle_event, concurrency=4)
