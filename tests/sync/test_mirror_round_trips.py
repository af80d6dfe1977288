"""The mirror's happy path: one national call per new case, its intent already committed
when the call goes out, and the consumer sized by ``SIMPUL_LAPOR_CONCURRENCY``."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from services.sync.lapor import LaporProfile
from services.sync.mirror.tasks import BATCH_PER_SLOT, sync_consumer
from shared.config import Settings
from shared.db import Database
from shared.models.sync import LaporOutboundOp
from tests.sync.test_mirror_support import (
    by_tag,
    fast_client,
    open_case,
    settle,
    use_client,
)


class OpsSeenAtCreate(httpx.AsyncBaseTransport):
    """Passes every call to the simulator; as a create goes out, first reads the case's
    create ops through another connection (what a crash at that moment would leave)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._inner = httpx.AsyncHTTPTransport()
        self.seen: list[list[tuple[str, int]]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith(LaporProfile().create_path):
            async with self._db.session() as session:
                rows = await session.execute(
                    select(LaporOutboundOp.status, LaporOutboundOp.attempts).where(
                        LaporOutboundOp.kind == "create"
                    )
                )
                self.seen.append([(status, attempts) for status, attempts in rows])
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def test_the_intent_is_committed_as_sent_before_the_create_goes_out(
    sync_app, settings, lapor_sim, lapor_sim_admin
):
    observer_db = Database(settings.database_url)
    transport = OpsSeenAtCreate(observer_db)
    try:
        await use_client(sync_app, fast_client(lapor_sim, transport=transport))
        _, tracking_id = await open_case(sync_app)
        await settle(sync_app)
    finally:
        await observer_db.dispose()
    assert transport.seen == [[("sent", 1)]]
    assert len(by_tag(await lapor_sim_admin.complaints(), tracking_id)) == 1


async def test_a_new_case_costs_one_national_call(sync_app, lapor_sim_admin):
    cases = [await open_case(sync_app, description=f"Drainase tersumbat {i}.") for i in range(3)]
    await settle(sync_app)
    complaints = await lapor_sim_admin.complaints()
    assert all(len(by_tag(complaints, tracking_id)) == 1 for _, tracking_id in cases)
    assert (await lapor_sim_admin.stats())["requests"] == len(cases)  # no tag search


def settings_with(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def test_the_consumer_takes_its_concurrency_from_the_settings():
    consumer = sync_consumer()
    consumer.size_for(settings_with(lapor_concurrency=24))
    assert consumer.concurrency == 24
    assert consumer.batch_size == BATCH_PER_SLOT * 24


def test_a_fixed_concurrency_wins_over_the_settings():
    consumer = sync_consumer(concurrency=3)
    consumer.size_for(settings_with(lapor_concurrency=24))
    assert consumer.concurrency == 3
