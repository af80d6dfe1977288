"""An answer in none of the known shapes is a transient error with its (redacted) body kept
for operators — never a crash, never a dropped case: once LAPOR! answers properly, the
case goes through."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from services.sync.inbound.service import poll_once
from services.sync.lapor import mapping
from shared.models import EventDelivery
from shared.models.sync import LaporMirror
from tests.sync.test_lapor_variants import add_photo
from tests.sync.test_mirror_support import (
    by_tag,
    events_of,
    fast_client,
    open_case,
    settle,
    sync_consumer,
    use_client,
)


class Garbling(httpx.AsyncBaseTransport):
    """Passes every call to the simulator, but answers ``garble`` times a 200 in a shape
    nobody knows to calls whose path ends with ``suffix``."""

    def __init__(self, suffix: str, garble: int) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.suffix, self.garble = suffix, garble

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if self.garble and request.url.path.endswith(self.suffix):
            self.garble -= 1
            await response.aread()
            return httpx.Response(200, json={"hasil": {"berkas": [1]}, "nameUser": "Budi"})
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


async def test_an_unreadable_upload_answer_defers_keeps_the_body_and_loses_nothing(
    sync_app, lapor_sim, lapor_sim_admin
):
    transport = Garbling("/complaints/complaint/file", garble=1)
    await use_client(sync_app, fast_client(lapor_sim, transport=transport))
    case_id, tracking_id = await open_case(sync_app)
    await add_photo(sync_app, case_id)
    await sync_consumer(sync_app).run_once(sync_app.state.ctx)
    async with sync_app.state.db.session() as session:
        delivery = await session.scalar(
            select(EventDelivery).where(EventDelivery.consumer == "sync")
        )
    assert delivery.status == "pending"
    assert "berkas" in delivery.last_error and "Budi" not in delivery.last_error
    await settle(sync_app)
    [national] = by_tag(await lapor_sim_admin.complaints(), tracking_id)
    assert national["attachments"]


async def test_an_unreadable_poll_answer_is_kept_for_operators_and_read_again(
    sync_app, lapor_sim, lapor_sim_admin
):
    case_id, tracking_id = await open_case(sync_app)
    await settle(sync_app)
    [national] = by_tag(await lapor_sim_admin.complaints(), tracking_id)
    await lapor_sim_admin.reporter_followup(national["complaint_id"], "Masih rusak.")
    await lapor_sim_admin.set_status(national["complaint_id"], mapping.STATUS_DITINDAKLANJUTI)
    transport = Garbling("/followups", garble=1)
    await use_client(sync_app, fast_client(lapor_sim, transport=transport))
    await poll_once(sync_app.state.ctx)
    async with sync_app.state.db.session() as session:
        mirror = await session.get(LaporMirror, case_id)
    assert mirror.errors == 1 and "berkas" in mirror.last_error and "Budi" not in mirror.last_error
    for _ in range(2):
        await poll_once(sync_app.state.ctx)
    assert len(await events_of(sync_app, "lapor.followup_received", case_id)) == 1
    assert len(await events_of(sync_app, "lapor.status_changed", case_id)) == 1
