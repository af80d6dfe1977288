"""Facebook page messaging: hub handshake and signature as WhatsApp, messaging/standby parsing."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import respx

from services.intake.channels import (
    ChannelSendError,
    InboundRequest,
    Location,
    MediaRef,
    PayloadError,
    SignatureError,
    get_adapter,
)
from shared.config import Settings

FIXTURES = Path(__file__).parent / "fixtures"
BODY = (FIXTURES / "facebook_message.json").read_bytes()
APP_SECRET = "test_app_secret_abcdef0123456789"
FIXTURE_SIGNATURE = (  # channels.md A4a
    "sha256=23d144e92e82d4eaf7a84c24eb8783cbd6e54feb600ad0165b2ff4678d4b9e58"
)
VERIFY_TOKEN = "test_fb_verify_token"
PAGE_TOKEN = "EAAtestpagetoken9876543210"
API = "https://graph.test/v21.0"
SEND_URL = f"{API}/me/messages"

facebook = get_adapter("facebook")


def make_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "facebook_app_secret": APP_SECRET,
        "facebook_verify_token": VERIFY_TOKEN,
        "facebook_page_token": PAGE_TOKEN,
        "facebook_api_base_url": API,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def signature_for(body: bytes) -> str:
    return "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


def make_request(body: bytes = BODY, signature: str | None = FIXTURE_SIGNATURE) -> InboundRequest:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return InboundRequest(method="POST", path="/webhooks/facebook", headers=headers, body=body)


# -- handshake and signature ------------------------------------------------------------------


def test_handshake_uses_the_facebook_verify_token() -> None:
    query = {"hub.mode": "subscribe", "hub.challenge": "42", "hub.verify_token": VERIFY_TOKEN}
    assert facebook.verify_subscription(query, make_settings()) == "42"
    with pytest.raises(SignatureError):
        facebook.verify_subscription(
            query, make_settings(facebook_verify_token="", whatsapp_verify_token=VERIFY_TOKEN)
        )


def test_fixture_signature_is_accepted() -> None:
    assert signature_for(BODY) == FIXTURE_SIGNATURE
    facebook.verify(make_request(), make_settings())


def test_missing_signature_is_rejected() -> None:
    with pytest.raises(SignatureError, match="missing"):
        facebook.verify(make_request(signature=None), make_settings())


def test_wrong_signature_is_rejected() -> None:
    with pytest.raises(SignatureError):
        facebook.verify(make_request(signature="sha256=" + "f" * 64), make_settings())


def test_tampered_body_is_rejected() -> None:
    tampered = BODY.replace(b"Beringharjo", b"Kranggan")
    with pytest.raises(SignatureError):
        facebook.verify(make_request(tampered), make_settings())


def test_channel_is_off_without_app_secret() -> None:
    off = make_settings(facebook_app_secret="")
    assert not facebook.enabled(off)
    assert facebook.enabled(make_settings())
    with pytest.raises(SignatureError):
        facebook.verify(make_request(), off)


# -- parsing ---------------------------------------------------------------------------------


def test_parse_fixture() -> None:
    [message] = facebook.parse(make_request())
    assert message.channel == "facebook"
    assert message.provider_message_id == "m_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    assert message.sender == "7012345678901234"  # PSID
    assert message.sender_user_id == "7012345678901234"
    assert message.sender_phone is None
    assert message.recipient == "112233445566778"
    assert message.text == "Sampah menumpuk di pasar Beringharjo"
    # Milliseconds: 1773975600987 ms = 2026-03-20 03:00:00.987 UTC
    assert message.received_at == datetime(2026, 3, 20, 3, 0, 0, 987000, tzinfo=UTC)
    assert message.raw_ref == "entry[0].messaging[0]"


def test_echo_delivery_and_read_are_skipped_standby_is_kept() -> None:
    messages = facebook.parse(make_request((FIXTURES / "facebook_events.json").read_bytes()))
    assert [m.provider_message_id for m in messages] == ["m_PHOTO", "m_STANDBY"]
    photo, standby = messages
    assert photo.text == ""
    assert photo.media == (MediaRef(kind="image", ref="https://scontent.xx.fbcdn.net/v/photo.jpg"),)
    assert photo.raw_ref == "entry[0].messaging[3]"
    assert standby.text == "Lokasinya di sini"
    assert standby.location == Location(lat=-7.7989, lon=110.3652, name="Pasar Beringharjo")
    assert standby.raw_ref == "entry[0].standby[0]"


def _event(event: dict[str, object]) -> bytes:
    return json.dumps({"object": "page", "entry": [{"id": "1", "messaging": [event]}]}).encode()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"nope", "body"),
        (b'{"object":"page"}', "entry"),
        (b'{"entry":[{"messaging":{}}]}', "entry[0].messaging"),
        (
            _event({"sender": {"id": "1"}, "message": {"text": "x"}}),
            "entry[0].messaging[0].message.mid",
        ),
        (_event({"message": {"mid": "m1", "text": "x"}}), "entry[0].messaging[0].sender"),
        (
            _event({"sender": {}, "message": {"mid": "m1", "text": "x"}}),
            "entry[0].messaging[0].sender.id",
        ),
        (
            _event({"sender": {"id": "1"}, "timestamp": "x", "message": {"mid": "m1"}}),
            "entry[0].messaging[0].timestamp",
        ),
        (
            _event(
                {
                    "sender": {"id": "1"},
                    "message": {"mid": "m1", "attachments": [{"type": "image", "payload": {}}]},
                }
            ),
            "entry[0].messaging[0].message.attachments[0].payload.url",
        ),
    ],
)
def test_malformed_payload_names_the_field(body: bytes, field: str) -> None:
    with pytest.raises(PayloadError) as excinfo:
        facebook.parse(make_request(body, signature=None))
    assert excinfo.value.field == field


# -- replies ---------------------------------------------------------------------------------


def test_build_reply() -> None:
    request = facebook.build_reply("7012345678901234", "Laporan diterima", make_settings())
    assert request.method == "POST"
    assert request.url.copy_with(query=None) == httpx.URL(SEND_URL)
    assert request.url.params["access_token"] == PAGE_TOKEN
    assert json.loads(request.content) == {
        "recipient": {"id": "7012345678901234"},
        "messaging_type": "RESPONSE",
        "message": {"text": "Laporan diterima"},
    }


def test_build_reply_without_page_token_is_terminal() -> None:
    with pytest.raises(ChannelSendError) as excinfo:
        facebook.build_reply("7012345678901234", "x", make_settings(facebook_page_token=""))
    assert excinfo.value.transient is False


async def test_send_reply_returns_the_mid() -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(SEND_URL, params={"access_token": PAGE_TOKEN}).mock(
            return_value=httpx.Response(
                200, json={"recipient_id": "7012345678901234", "message_id": "m_REPLY1"}
            )
        )
        async with httpx.AsyncClient() as client:
            result = await facebook.send_reply(client, "7012345678901234", "Halo", make_settings())
    assert result == "m_REPLY1"
    assert route.called


@pytest.mark.parametrize(
    ("status", "code", "transient"),
    [(400, 100, False), (400, 613, True), (500, 2, True), (403, 10, False)],
)
async def test_send_reply_errors_are_translated_and_token_free(
    status: int, code: int, transient: bool
) -> None:
    error_body = {"error": {"message": "failed", "type": "OAuthException", "code": code}}
    with respx.mock(assert_all_called=True) as mock:
        mock.post(SEND_URL).mock(return_value=httpx.Response(status, json=error_body))
        async with httpx.AsyncClient() as client:
            with pytest.raises(ChannelSendError) as excinfo:
                await facebook.send_reply(client, "7012345678901234", "Halo", make_settings())
    error = excinfo.value
    assert error.transient is transient
    assert error.status_code == status
    assert PAGE_TOKEN not in str(error) and PAGE_TOKEN not in repr(error)
    assert "access_token=***" in error.reason


async def test_transport_error_message_is_token_free() -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(SEND_URL).mock(side_effect=httpx.ConnectError("connection reset"))
        async with httpx.AsyncClient() as client:
            with pytest.raises(ChannelSendError) as excinfo:
                await facebook.send_reply(client, "7012345678901234", "Halo", make_settings())
    assert excinfo.value.transient is True
    assert PAGE_TOKEN not in str(excinfo.value)
