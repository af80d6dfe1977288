"""Media kept as evidence, end to end: a photo sent on WhatsApp is fetched once by the media
worker, stored by its bytes, visible to the OPD the case is disposed to, and uploaded to
LAPOR! with the case (the create waits for it); failures are on the case, never retried
for ever, and never block the message's intake."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import httpx
import pytest
import respx
from pydantic import SecretStr
from sqlalchemy import select, update

from services.intake.media import service as media
from shared.models import Attachment, Case, Event, EventDelivery, utcnow
from tests.intake.conftest import signed_headers_for, with_channels
from tests.sync.test_mirror_support import (
    FAST_TUNING,
    by_tag,
    fast_client,
    settle,
    sync_consumer,
    use_client,
)

GRAPH = "https://graph.example.test/v21.0"
CDN = "https://lookaside.example.test/whatsapp_business/attachments/?mid=2754859441498128"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x11" * 2000


@pytest.fixture
async def media_app(app, lapor_sim: str):
    """The embedded app whose mirror talks to the simulator fixture (as ``sync_app``)."""
    await use_client(app, fast_client(lapor_sim))
    app.state.ctx.resources["sync_tuning"] = FAST_TUNING
    return app


def whatsapp_photo(message_id: str = "wamid.PHOTO1", media_id: str = "2754859441498128") -> bytes:
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "6281100000002", "phone_number_id": "1"},
            "contacts": [{"profile": {"name": "Siti"}, "wa_id": "6281234567890"}],
            "messages": [{
                "from": "6281234567890", "id": message_id, "timestamp": str(int(utcnow().timestamp())),
                "type": "image",
                "image": {"caption": "Jembatan retak di Desa Sukamaju, mohon diperbaiki",
                          "mime_type": "image/jpeg", "id": media_id},
            }],
        }}]}],
    }  # fmt: skip
    return json.dumps(payload).encode()


def configure(app) -> None:
    settings = with_channels(app.state.settings)
    settings.whatsapp_access_token = SecretStr("wa-token")
    settings.whatsapp_phone_number_id = "1"
    settings.whatsapp_api_base_url = GRAPH
    app.state.settings = settings
    app.state.ctx.settings = settings


async def post_photo(app, body: bytes) -> httpx.Response:
    headers = signed_headers_for("whatsapp", body, app.state.settings.public_base_url)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        return await client.post("/webhooks/whatsapp", content=body, headers=headers)


def media_consumer(app):
    return next(c for s in app.state.specs for c in s.consumers if c.name == "media")


async def attachments(app) -> list[Attachment]:
    async with app.state.db.session() as session:
        return list(await session.scalars(select(Attachment).order_by(Attachment.id)))


def mock_graph(router, data: bytes = JPEG, sha256: str | None = None) -> tuple:
    meta = router.get(f"{GRAPH}/2754859441498128").mock(
        return_value=httpx.Response(
            200,
            json={
                "url": CDN,
                "mime_type": "image/jpeg",
                "sha256": sha256 or hashlib.sha256(data).hexdigest(),
                "file_size": len(data),
                "id": "2754859441498128",
            },
        )
    )
    file = router.get(CDN).mock(return_value=httpx.Response(200, content=data))
    return meta, file


async def test_whatsapp_photo_is_kept_shown_to_the_opd_and_uploaded_to_lapor(
    media_app, lapor_sim_admin, client, make_token
):
    app = media_app
    configure(app)
    answer = await post_photo(app, whatsapp_photo())
    assert answer.status_code == 200  # intake answered before any fetch
    [pending] = await attachments(app)
    assert (pending.fetch_status, pending.storage_key) == ("pending", None)
    assert pending.url == "whatsapp-media:2754859441498128"

    # The mirror's create waits for the photo (a Defer, no attempt burnt).
    await sync_consumer(app).run_once(app.state.ctx)
    assert await lapor_sim_admin.complaints() == []

    with respx.mock(assert_all_called=True) as router:
        meta, file = mock_graph(router)
        await media_consumer(app).drain(app.state.ctx)
        await media_consumer(app).drain(app.state.ctx)  # a second run fetches nothing
    assert meta.call_count == 1 and file.call_count == 1
    assert meta.calls.last.request.headers["Authorization"] == "Bearer wa-token"
    assert file.calls.last.request.headers["Authorization"] == "Bearer wa-token"
    [stored] = await attachments(app)
    assert stored.fetch_status == "stored" and stored.content_type == "image/jpeg"
    assert stored.sha256 == hashlib.sha256(JPEG).hexdigest() and stored.size_bytes == len(JPEG)
    assert stored.filename == "image-1.jpg"

    async with app.state.db.session() as session:
        case = (await session.scalars(select(Case))).one()
        await session.execute(
            update(EventDelivery)
            .where(EventDelivery.consumer == "sync")
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        types = list(await session.scalars(select(Event.type).where(Event.case_id == case.id)))
    assert "case.attachment_stored" in types
    await settle(app)
    [national] = by_tag(await lapor_sim_admin.complaints(), case.tracking_id)
    assert len(national["attachments"]) == 1

    # Visible (and downloadable) to the OPD the case goes to; others get the same 404.
    admin = {"Authorization": f"Bearer {await make_token('admin_instansi')}"}
    for action, body in (
        ("verify", {"kind": "pengaduan", "category": "JALAN", "sla_class": "lapangan"}),
        ("dispose", {"opd": "PUPR"}),
    ):
        done = await client.post(
            f"/admin/cases/{case.tracking_id}/{action}", json=body, headers=admin
        )
        assert done.status_code == 200, done.text
    opd = {"Authorization": f"Bearer {await make_token('opd', opd='PUPR')}"}
    detail = (await client.get(f"/admin/cases/{case.tracking_id}", headers=opd)).json()
    [shown] = detail["attachments"]
    assert shown["fetch_status"] == "stored" and shown["content_type"] == "image/jpeg"
    download = await client.get(shown["download_url"], headers=opd)
    assert download.status_code == 200 and download.content == JPEG
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].split(";")[0] in {"attachment", "inline"}
    other = {"Authorization": f"Bearer {await make_token('opd', opd='DINKES')}"}
    assert (await client.get(shown["download_url"], headers=other)).status_code == 404


async def test_refused_media_stays_a_reference_with_the_reason_on_the_case(media_app):
    app = media_app
    configure(app)
    await post_photo(app, whatsapp_photo())
    with respx.mock() as router:
        mock_graph(router, data=b"MZ\x90\x00 not a photo")  # an executable, not an image
        await media_consumer(app).drain(app.state.ctx)
    [failed] = await attachments(app)
    assert failed.fetch_status == "failed" and "refused type" in failed.fetch_error
    assert failed.storage_key is None and failed.url.startswith("whatsapp-media:")
    async with app.state.db.session() as session:
        event = await session.scalar(select(Event).where(Event.type == "case.attachment_failed"))
    assert event is not None and "refused type" in event.reason


async def test_checksum_and_size_are_checked(media_app):
    app = media_app
    configure(app)
    await post_photo(app, whatsapp_photo())
    with respx.mock() as router:
        mock_graph(router, sha256="0" * 64)
        await media_consumer(app).drain(app.state.ctx)
    [failed] = await attachments(app)
    assert failed.fetch_status == "failed" and "checksum" in failed.fetch_error

    await post_photo(app, whatsapp_photo("wamid.PHOTO2"))
    big = b"\xff\xd8\xff" + b"\x00" * media.MAX_MEDIA_BYTES
    with respx.mock(assert_all_called=False) as router:  # refused by the declared size
        mock_graph(router, data=big)
        await media_consumer(app).drain(app.state.ctx)
    assert "too large" in (await attachments(app))[-1].fetch_error


async def test_a_fetch_that_keeps_failing_gives_up_and_says_so(media_app, monkeypatch):
    app = media_app
    configure(app)
    monkeypatch.setattr(media, "MAX_FETCH_ATTEMPTS", 3)
    await post_photo(app, whatsapp_photo())
    with respx.mock() as router:
        route = router.get(f"{GRAPH}/2754859441498128").mock(return_value=httpx.Response(503))
        for _ in range(5):
            async with app.state.db.session() as session:
                await session.execute(
                    update(EventDelivery)
                    .where(EventDelivery.consumer == "media")
                    .values(next_attempt_at=utcnow() - timedelta(seconds=1))
                )
            await media_consumer(app).drain(app.state.ctx)
    assert route.call_count == 3  # bounded
    [failed] = await attachments(app)
    assert failed.fetch_status == "failed" and "gave up after 3 attempts" in failed.fetch_error
    async with app.state.db.session() as session:
        statuses = list(
            await session.scalars(
                select(EventDelivery.status).where(EventDelivery.consumer == "media")
            )
        )
    assert statuses == ["done"]
