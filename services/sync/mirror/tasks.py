"""The ``sync`` consumer (ordered per case) and the LAPOR! client's lifecycle hooks."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update

from services.sync.lapor import LaporClient
from services.sync.mirror import repository as repo
from services.sync.mirror.service import mirror_event
from shared.events import Consumer, WorkerContext
from shared.models import EventDelivery

SYNC_CONCURRENCY = 8


@dataclass
class SyncConsumer(Consumer):
    """A consumer that dead-letters at once when LAPOR! refused an op (4xx), instead of
    burning the remaining attempts on a request that cannot succeed as it stands."""

    async def handle_one(
        self, ctx: WorkerContext, delivery_id: int, event_id: int, attempts: int, owner: str
    ) -> str:
        outcome = await super().handle_one(ctx, delivery_id, event_id, attempts, owner)
        if outcome == "retry":
            async with ctx.db.session() as session:
                if await repo.has_dead_op(session, event_id):
                    await session.execute(
                        update(EventDelivery)
                        .where(
                            EventDelivery.id == delivery_id,
                            EventDelivery.locked_by == owner,
                            EventDelivery.status == "pending",
                        )
                        .values(status="dead")
                    )
                    return "dead"
        return outcome


def sync_consumer(concurrency: int = SYNC_CONCURRENCY) -> SyncConsumer:
    return SyncConsumer(
        name="sync", handler=mirror_event, ordered_per_case=True, concurrency=concurrency
    )


async def open_lapor_client(ctx: WorkerContext) -> None:
    """One long-lived client per process (``settings.effective_lapor_base_url``)."""
    if "lapor" not in ctx.resources:
        ctx.resources["lapor"] = LaporClient.from_settings(ctx.settings)


async def close_lapor_client(ctx: WorkerContext) -> None:
    client = ctx.resources.pop("lapor", None)
    if client is not None:
        await client.aclose()
