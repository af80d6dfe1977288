"""The ``sync`` consumer (ordered per case) and the LAPOR! client's lifecycle hooks."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update

from services.sync.lapor import LaporClient
from services.sync.mirror import repository as repo
from services.sync.mirror.service import mirror_event
from shared.config import Settings
from shared.events import Consumer, WorkerContext
from shared.events.consumer import DEFAULT_BATCH
from shared.models import EventDelivery

#: Deliveries claimed per round, per slot of concurrency: the round ends when its slowest
#: delivery does, so a batch of several rounds' worth keeps the slots busy for longer.
BATCH_PER_SLOT = 4


@dataclass
class SyncConsumer(Consumer):
    """The mirror's consumer. Its concurrency (calls in flight towards LAPOR!) is
    ``SIMPUL_LAPOR_CONCURRENCY`` of the running process unless fixed by ``fixed_concurrency``;
    the client's token bucket alone paces the calls. A refused op (4xx) is dead-lettered at
    once instead of burning the remaining attempts on a request that cannot succeed."""

    fixed_concurrency: int | None = None

    def size_for(self, settings: Settings) -> None:
        """Concurrency from the settings (or the fixed value), and a batch of several
        rounds of it."""
        self.concurrency = max(1, self.fixed_concurrency or settings.lapor_concurrency)
        self.batch_size = max(DEFAULT_BATCH, BATCH_PER_SLOT * self.concurrency)

    async def run_once(self, ctx: WorkerContext, owner: str | None = None) -> int:
        self.size_for(ctx.settings)
        return await super().run_once(ctx, owner)

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


def sync_consumer(concurrency: int | None = None) -> SyncConsumer:
    """The ``sync`` consumer, ordered per case; ``concurrency`` None: the process's
    ``SIMPUL_LAPOR_CONCURRENCY``."""
    return SyncConsumer(
        name="sync", handler=mirror_event, ordered_per_case=True, fixed_concurrency=concurrency
    )


async def open_lapor_client(ctx: WorkerContext) -> None:
    """One long-lived client per process (``settings.effective_lapor_base_url``)."""
    if "lapor" not in ctx.resources:
        ctx.resources["lapor"] = LaporClient.from_settings(ctx.settings)


async def close_lapor_client(ctx: WorkerContext) -> None:
    client = ctx.resources.pop("lapor", None)
    if client is not None:
        await client.aclose()
