"""Channel webhooks end to end through HTTP (CONTRACT.md, "Intake — channels").

Every channel, with its provider's fixture payload signed by the test secrets: accepted
deliveries open one case with an audit row and an acknowledgement; redeliveries never make
a second case; bad signatures store nothing but a counter and a bounded quarantine row.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest
from prometheus_client import REGISTRY
from pydantic import SecretStr
from sqlalchemy import func, select

from services.intake.webhooks.quarantine import Quarantine, prune
from shared.models import Attachment, Case, CaseMessage, Event, OutboundMessage, Reporter
from shared.models.channels import InboundDelivery, QuarantinedDelivery

FIXTURES = Path(__file__).parent / "fixtures"
SMS_GATEWAY_SECRET = "test_sms_gateway_secret_0123456789"
TWILIO_TOKEN = "test_auth_token_0123456789abcdef"
WHATSAPP_VERIFY_TOKEN = "test_verify_token_abc"
FACEBOOK_VERIFY_TOKEN = "test_fb_verify_token"
CHANNELS = ["twilio", "sms_gateway", "whatsapp", "telegram", "facebook"]
#: channel -> (case channel, reporter address) of the fixture payload
EXPECTED_REPORTER = {
    "twilio": ("sms", "+6281234567890"),
    "sms_gateway": ("sms", "+6281234567890"),
    "whatsapp": ("whatsapp", "+6281234567890"),
    "telegram": ("telegram", "5123456789"),
    "facebook": ("facebook", "7012345678901234"),
}
OFF_SETTING = {
    "twilio": "twilio_auth_token",
    "sms_gateway": "sms_gateway_secret",
    "whatsapp": "whatsapp_app_secret",
    "telegram": "telegram_secret_token",
    "facebook": "facebook_app_secret",
}


async def count(db, model, *where) -> int:
    async with db.session() as session:
        stmt = select(func.count()).select_from(model)
        for clause in where:
            stmt = stmt.where(clause)
        return int(await session.scalar(stmt))


def rejected(channel: str, reason: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "simpul_webhook_rejected_total", {"channel": channel, "reason": reason}
        )
        or 0.0
    )


# -- accepted ------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
async def test_accepted_delivery_opens_one_case_once_with_audit_row_and_acknowledgement(
    channel, webhooks, db, drain
):
    response = await webhooks.post(channel)
    assert response.status_code == 200, response.text

    async with db.session() as session:
        case = (await session.scalars(select(Case))).one()
        reporter = await session.get(Reporter, case.id)
        delivery = (await session.scalars(select(InboundDelivery))).one()
        events = (await session.scalars(select(Event.type).where(Event.case_id == case.id))).all()
    case_channel, address = EXPECTED_REPORTER[channel]
    assert case.channel == case_channel and case.status == "received"
    assert reporter.channel == channel and reporter.channel_address == address
    assert delivery.channel == channel and delivery.case_id == case.id
    assert delivery.outcome == "new_case"
    assert delivery.body == (FIXTURES / webhooks_fixture(channel)).read_bytes()
    assert events == ["case.received"]

    again = await webhooks.post(channel)  # the provider redelivers the same message
    assert again.status_code == 200
    assert await count(db, Case) == 1 and await count(db, InboundDelivery) == 1

    if channel == "twilio":
        assert f"{case.tracking_id}: Pesan ini sudah kami terima." in again.text
        assert response.headers["content-type"].startswith("application/xml")
        assert f"<Message>{case.tracking_id}: Laporan Anda diterima." in response.text
        await drain("notify")
        assert await count(db, OutboundMessage) == 0  # the TwiML already carried it
    else:
        await drain("notify")
        async with db.session() as session:
            queued = (await session.scalars(select(OutboundMessage))).one()
        assert queued.channel == channel and queued.recipient == address
        assert case.tracking_id in queued.body and queued.audience == "reporter"


def webhooks_fixture(channel: str) -> str:
    return {
        "twilio": "twilio_sms.form",
        "sms_gateway": "sms_gateway_message.json",
        "whatsapp": "whatsapp_text.json",
        "telegram": "telegram_message.json",
        "facebook": "facebook_message.json",
    }[channel]


async def test_concurrent_redeliveries_make_one_case(webhooks, db):
    import asyncio

    answers = await asyncio.gather(*(webhooks.post("whatsapp") for _ in range(5)))
    assert [a.status_code for a in answers] == [200] * 5
    assert await count(db, Case) == 1
    assert await count(db, InboundDelivery) == 1


# -- refused -------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
async def test_bad_signature_is_401_and_stores_only_a_quarantine_row(channel, webhooks, db):
    before = rejected(channel, "signature")
    response = await webhooks.post(channel, bad=True)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"
    assert await count(db, Case) == 0
    assert await count(db, Event) == 0
    assert await count(db, InboundDelivery) == 0
    assert rejected(channel, "signature") == before + 1
    async with db.session() as session:
        row = (await session.scalars(select(QuarantinedDelivery))).one()
    assert row.channel == channel and row.reason == "signature"
    assert row.body == (FIXTURES / webhooks_fixture(channel)).read_bytes()
    stored_headers = json.dumps(row.headers)
    assert "wrong-secret-token" not in stored_headers
    for name in ("x-telegram-bot-api-secret-token", "x-hub-signature-256", "x-twilio-signature"):
        if name in row.headers:
            assert row.headers[name] == "[redacted]"


async def test_channel_without_its_secret_is_off(webhooks, app, channels_on, db):
    for channel in CHANNELS:
        app.state.settings = channels_on.model_copy(update={OFF_SETTING[channel]: SecretStr("")})
        response = await webhooks.post(channel)
        assert response.status_code == 404, channel
        assert response.json()["error"]["code"] == "channel_off"
    assert await count(db, Case) == 0
    assert await count(db, QuarantinedDelivery) == 0


async def test_stale_sms_gateway_timestamp_is_refused(webhooks, db):
    from services.intake.channels.sms_gateway import signed_headers

    body = (FIXTURES / "sms_gateway_message.json").read_bytes()
    old = {
        k.lower(): v
        for k, v in signed_headers(SMS_GATEWAY_SECRET, body, now=time.time() - 3600).items()
    }
    before = rejected("sms_gateway", "stale")
    response = await webhooks.post("sms_gateway", body, headers=old)
    assert response.status_code == 401
    assert await count(db, Case) == 0
    assert rejected("sms_gateway", "stale") == before + 1
    async with db.session() as session:
        assert (await session.scalars(select(QuarantinedDelivery.reason))).all() == ["stale"]


async def test_twilio_behind_a_reverse_proxy_verifies_against_the_public_url(app, channels_on, db):
    """The request arrives at the internal address; Twilio signed the public one."""
    from services.intake.channels.twilio import compute_signature

    body = (FIXTURES / "twilio_sms.form").read_bytes()
    params = parse_qsl(body.decode(), keep_blank_values=True)
    internal = "http://127.0.0.1:8001"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=internal) as proxied:
        headers = {"content-type": "application/x-www-form-urlencoded"}
        signed_internal = compute_signature(f"{internal}/webhooks/twilio/sms", params, TWILIO_TOKEN)
        refused = await proxied.post(
            "/webhooks/twilio/sms",
            content=body,
            headers={**headers, "x-twilio-signature": signed_internal},
        )
        assert refused.status_code == 401
        signed_public = compute_signature(
            "https://pengaduan.example.go.id/webhooks/twilio/sms", params, TWILIO_TOKEN
        )
        assert signed_public == "IpyQCVZPu3UAY6F5VG6Hhe1yd4c="  # channels.md A1
        accepted = await proxied.post(
            "/webhooks/twilio/sms",
            content=body,
            headers={**headers, "x-twilio-signature": signed_public},
        )
    assert accepted.status_code == 200, accepted.text
    assert await count(db, Case) == 1


async def test_meta_subscription_handshake(client, channels_on, db):
    for channel, token in (
        ("whatsapp", WHATSAPP_VERIFY_TOKEN),
        ("facebook", FACEBOOK_VERIFY_TOKEN),
    ):
        path = f"/webhooks/{channel}"
        query = {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444"}
        ok = await client.get(path, params=query)
        assert ok.status_code == 200 and ok.text == "1158201444"
        wrong = await client.get(path, params={**query, "hub.verify_token": "nope"})
        assert wrong.status_code == 403
    async with db.session() as session:
        rows = (await session.scalars(select(QuarantinedDelivery))).all()
    assert [r.reason for r in rows] == ["subscription", "subscription"]
    assert all("nope" not in json.dumps(r.headers) + r.path for r in rows)


async def test_status_callbacks_and_receipts_store_nothing(webhooks, db):
    for channel, fixture in (
        ("twilio", "twilio_status_callback.form"),
        ("whatsapp", "whatsapp_status.json"),
        ("telegram", "telegram_callback_query.json"),
    ):
        response = await webhooks.post(channel, (FIXTURES / fixture).read_bytes())
        assert response.status_code == 200, channel
    assert await count(db, Case) == 0
    assert await count(db, InboundDelivery) == 0
    assert await count(db, QuarantinedDelivery) == 0


async def test_facebook_echoes_and_receipts_are_ignored_but_messages_kept(webhooks, db):
    response = await webhooks.post("facebook", (FIXTURES / "facebook_events.json").read_bytes())
    assert response.status_code == 200
    async with db.session() as session:
        mids = set((await session.scalars(select(InboundDelivery.provider_message_id))).all())
    assert "m_ECHO" not in mids and {"m_PHOTO", "m_STANDBY"} <= mids
    assert await count(db, Case) == 1  # the photo, then the location joins it
    async with db.session() as session:
        case = (await session.scalars(select(Case))).one()
        attachment = (await session.scalars(select(Attachment))).one()
    assert attachment.url == "https://scontent.xx.fbcdn.net/v/photo.jpg"
    assert case.lat == pytest.approx(-7.7989)


async def test_malformed_but_authentic_payload_is_quarantined_and_acknowledged(webhooks, db):
    before = rejected("whatsapp", "payload_error")
    response = await webhooks.post(
        "whatsapp", b'{"object":"whatsapp_business_account","entry":"x"}'
    )
    assert response.status_code == 200  # Meta would otherwise retry it for days
    assert rejected("whatsapp", "payload_error") == before + 1
    assert await count(db, Case) == 0
    async with db.session() as session:
        assert (await session.scalars(select(QuarantinedDelivery.reason))).all() == [
            "payload_error"
        ]


async def test_malformed_sms_gateway_payload_is_refused_with_the_reason(webhooks, db):
    response = await webhooks.post("sms_gateway", b'{"message_id":"m1","text":"x"}')
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "from"
    assert await count(db, Case) == 0


async def test_whatsapp_media_become_attachments_of_one_case_per_sender(webhooks, db):
    response = await webhooks.post("whatsapp", (FIXTURES / "whatsapp_media.json").read_bytes())
    assert response.status_code == 200
    async with db.session() as session:
        cases = (await session.scalars(select(Case).order_by(Case.id))).all()
        attachments = (await session.scalars(select(Attachment).order_by(Attachment.id))).all()
        messages = (await session.scalars(select(CaseMessage))).all()
    assert len(cases) == 2  # the phone sender's burst is one case; the BSUID user another
    first = cases[0]
    assert first.description == "Jembatan retak di Desa Sukamaju"
    assert [a.url for a in attachments] == [
        "whatsapp-media:2754859441498128",
        "whatsapp-media:1003383421387256",
        "whatsapp-media:1003383421387257",
        "whatsapp-media:1003383421387258",
    ]
    assert {a.case_id for a in attachments} == {first.id}
    assert attachments[1].filename == "surat_pengaduan.pdf"
    assert len(messages) == 4  # document, audio, video, location joined the first case
    assert first.lat == pytest.approx(-7.7829)


# -- floods and the quarantine's bounds -----------------------------------------------------


def sms(message_id: str, sender: str, text: str = "Lampu jalan mati") -> bytes:
    return json.dumps(
        {"message_id": message_id, "from": sender, "to": "+6281100000003", "text": text}
    ).encode()


async def test_a_flooding_sender_is_rate_limited_without_blocking_others(app, webhooks, db):
    app.state.settings = app.state.settings.model_copy(update={"rate_limit_per_sender_per_min": 3})
    answers = [await webhooks.post("sms_gateway", sms(f"m{i}", "081234567890")) for i in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1].headers["Retry-After"]) >= 1
    other = await webhooks.post("sms_gateway", sms("other-1", "081298765432"))
    assert other.status_code == 200
    assert await count(db, InboundDelivery) == 4


async def test_quarantine_inserts_are_rate_capped_per_channel(app, webhooks, db):
    app.state.webhook_quarantine = Quarantine(app.state.db, per_minute=3)
    before = rejected("telegram", "signature")
    for _ in range(5):
        assert (await webhooks.post("telegram", bad=True)).status_code == 401
    assert rejected("telegram", "signature") == before + 5
    assert await count(db, QuarantinedDelivery) == 3
    assert (await webhooks.post("facebook", bad=True)).status_code == 401
    assert await count(db, QuarantinedDelivery) == 4  # another channel has its own cap


async def test_quarantine_keeps_only_the_newest_rows(db):
    async with db.session() as session:
        for i in range(6):
            session.add(
                QuarantinedDelivery(
                    channel="telegram",
                    reason="signature",
                    path="/x",
                    body=str(i).encode(),
                    headers={},
                )
            )
        await session.flush()
        await prune(session, keep=4)
    async with db.session() as session:
        kept = (
            await session.scalars(select(QuarantinedDelivery.body).order_by(QuarantinedDelivery.id))
        ).all()
    assert kept == [b"2", b"3", b"4", b"5"]


async def test_quarantine_truncates_large_bodies(app, webhooks, db):
    big = b'{"update_id":1,"pad":"' + b"x" * (100 * 1024) + b'"}'
    assert (await webhooks.post("telegram", big, bad=True)).status_code == 401
    async with db.session() as session:
        row = (await session.scalars(select(QuarantinedDelivery))).one()
    assert len(row.body) == 64 * 1024 and row.body_size == len(big)


async def test_operators_list_the_quarantine(client, webhooks, make_token):
    await webhooks.post("whatsapp", bad=True)
    for role in ("operator", "admin_instansi"):
        token = await make_token(role)
        listing = await client.get(
            "/admin/quarantine", headers={"Authorization": f"Bearer {token}"}
        )
        assert listing.status_code == 200, listing.text
        body = listing.json()
        assert body["total"] == 1 and body["cap"] == 1000
        item = body["items"][0]
        assert item["channel"] == "whatsapp" and item["reason"] == "signature"
        assert item["headers"]["x-hub-signature-256"] == "[redacted]"
    viewer = await make_token("viewer")
    refused = await client.get("/admin/quarantine", headers={"Authorization": f"Bearer {viewer}"})
    assert refused.status_code == 403
    assert (await client.get("/admin/quarantine")).status_code == 401
