"""WhatsApp Cloud API: hub handshake, X-Hub-Signature-256, text/media/location/BSUID, replies."""

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
BODY = (FIXTURES / "whatsapp_text.json").read_bytes()
APP_SECRET = "test_app_secret_abcdef0123456789"
FIXTURE_SIGNATURE = (  # channels.md A2
    "sha256=c77207df38502f8990b489d6706bb343badaabdb9a61d24a9a82df8d0baec016"
)
VERIFY_TOKEN = "test_verify_token_abc"
ACCESS_TOKEN = "EAAtestaccesstoken0123456789"
API = "https://graph.test/v21.0"
SEND_URL = f"{API}/106540352242922/messages"

whatsapp = get_adapter("whatsapp")


def make_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "whatsapp_app_secret": APP_SECRET,
        "whatsapp_verify_token": VERIFY_TOKEN,
        "whatsapp_access_token": ACCESS_TOKEN,
        "whatsapp_phone_number_id": "106540352242922",
        "whatsapp_api_base_url": API,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def signature_for(body: bytes) -> str:
    return "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


def make_request(body: bytes = BODY, signature: str | None = FIXTURE_SIGNATURE) -> InboundRequest:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return InboundRequest(method="POST", path="/webhooks/whatsapp", headers=headers, body=body)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# -- subscription handshake --------------------------------------------------------------------

HANDSHAKE = {
    "hub.mode": "subscribe",
    "hub.challenge": "1158201444",
    "hub.verify_token": VERIFY_TOKEN,
}


def test_handshake_returns_the_challenge() -> None:
    assert whatsapp.subscription_handshake is True
    assert whatsapp.verify_subscription(HANDSHAKE, make_settings()) == "1158201444"


@pytest.mark.parametrize(
    "query",
    [
        {**HANDSHAKE, "hub.verify_token": "wrong"},
        {**HANDSHAKE, "hub.mode": "unsubscribe"},
        {k: v for k, v in HANDSHAKE.items() if k != "hub.verify_token"},
        {k: v for k, v in HANDSHAKE.items() if k != "hub.challenge"},
        {},
    ],
)
def test_handshake_is_refused(query: dict[str, str]) -> None:
    with pytest.raises(SignatureError):
        whatsapp.verify_subscription(query, make_settings())


def test_unset_verify_token_never_verifies() -> None:
    settings = make_settings(whatsapp_verify_token="")
    with pytest.raises(SignatureError):
        whatsapp.verify_subscription({**HANDSHAKE, "hub.verify_token": ""}, settings)


# -- signature -------------------------------------------------------------------------------


def test_fixture_signature_is_accepted() -> None:
    assert signature_for(BODY) == FIXTURE_SIGNATURE
    whatsapp.verify(make_request(), make_settings())


def test_missing_signature_is_rejected() -> None:
    with pytest.raises(SignatureError, match="missing X-Hub-Signature-256"):
        whatsapp.verify(make_request(signature=None), make_settings())


@pytest.mark.parametrize(
    "signature",
    [
        "sha256=" + "0" * 64,
        FIXTURE_SIGNATURE.removeprefix("sha256="),  # no prefix
        "sha1=" + hmac.new(APP_SECRET.encode(), BODY, hashlib.sha1).hexdigest(),
    ],
)
def test_wrong_signature_is_rejected(signature: str) -> None:
    with pytest.raises(SignatureError):
        whatsapp.verify(make_request(signature=signature), make_settings())


def test_tampered_body_is_rejected() -> None:
    tampered = BODY.replace(b"SDN 3", b"SDN 4")
    with pytest.raises(SignatureError):
        whatsapp.verify(make_request(tampered), make_settings())


def test_reserialized_body_is_rejected() -> None:
    # Meta signs the exact bytes; pretty-printing the same JSON must not verify.
    reserialized = json.dumps(json.loads(BODY), indent=1).encode()
    with pytest.raises(SignatureError):
        whatsapp.verify(make_request(reserialized), make_settings())


def test_facebook_secret_does_not_verify_whatsapp() -> None:
    settings = make_settings(whatsapp_app_secret="another", facebook_app_secret=APP_SECRET)
    with pytest.raises(SignatureError):
        whatsapp.verify(make_request(), settings)


def test_channel_is_off_without_app_secret() -> None:
    off = make_settings(whatsapp_app_secret="")
    assert not whatsapp.enabled(off)
    assert whatsapp.enabled(make_settings())
    with pytest.raises(SignatureError):
        whatsapp.verify(make_request(), off)


# -- parsing ---------------------------------------------------------------------------------


def test_parse_text_fixture() -> None:
    [message] = whatsapp.parse(make_request())
    assert message.channel == "whatsapp"
    assert message.provider_message_id == (
        "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBDMEE5RjQxMjM0NTY3ODkwQUIA"
    )
    assert message.sender == "+6281234567890"
    assert message.sender_phone == "+6281234567890"
    assert message.sender_name == "Siti Rahayu"
    assert message.sender_user_id is None
    assert message.recipient == "106540352242922"
    assert message.text == "Jalan berlubang di depan SDN 3 Sleman, mohon segera diperbaiki"
    # 1773975600 = 2026-03-20 10:00 WIB
    assert message.received_at == datetime(2026, 3, 20, 3, 0, tzinfo=UTC)
    assert message.media == ()
    assert message.location is None
    assert message.raw_ref == "entry[0].changes[0].value.messages[0]"


def test_parse_media_location_and_bsuid() -> None:
    messages = whatsapp.parse(make_request(fixture("whatsapp_media.json")))
    by_id = {m.provider_message_id: m for m in messages}
    # The reaction is not a citizen message.
    assert list(by_id) == [
        "wamid.IMAGE0001",
        "wamid.DOC0002",
        "wamid.AUDIO0003",
        "wamid.VIDEO0004",
        "wamid.LOC0005",
        "wamid.BSUID0007",
    ]

    image = by_id["wamid.IMAGE0001"]
    assert image.media == (
        MediaRef(
            kind="image",
            ref="2754859441498128",
            content_type="image/jpeg",
            caption="Jembatan retak di Desa Sukamaju",
        ),
    )
    assert image.text == "Jembatan retak di Desa Sukamaju"
    assert image.sender == "+6281234567890"
    assert image.sender_user_id == "ID.1502576394655843"

    document = by_id["wamid.DOC0002"]
    assert document.media[0].filename == "surat_pengaduan.pdf"
    assert document.media[0].content_type == "application/pdf"
    assert document.text == ""
    assert document.sender_user_id == "ID.1502576394655843"  # from contacts[].user_id

    assert by_id["wamid.AUDIO0003"].media[0].kind == "audio"
    assert by_id["wamid.VIDEO0004"].media[0].caption == "Banjir"

    location = by_id["wamid.LOC0005"]
    assert location.location == Location(
        lat=-7.7829,
        lon=110.3671,
        name="Pasar Beringharjo",
        address="Jl. Margo Mulyo, Yogyakarta",
    )
    assert location.raw_ref == "entry[0].changes[0].value.messages[4]"

    # A username user: no phone anywhere, the BSUID is the reply address and identity.
    bsuid = by_id["wamid.BSUID0007"]
    assert bsuid.sender == "ID.9876543210123456"
    assert bsuid.sender_phone is None
    assert bsuid.sender_user_id == "ID.9876543210123456"
    assert bsuid.sender_name == "Budi"
    assert bsuid.raw_ref == "entry[0].changes[1].value.messages[0]"


def test_status_receipts_and_other_fields_give_no_messages() -> None:
    assert whatsapp.parse(make_request(fixture("whatsapp_status.json"))) == []


def _text_payload(message: dict[str, object]) -> bytes:
    value = {"messaging_product": "whatsapp", "messages": [message]}
    return json.dumps({"entry": [{"changes": [{"field": "messages", "value": value}]}]}).encode()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{", "body"),
        (b"[]", "body"),
        (b'{"object":"whatsapp_business_account"}', "entry"),
        (b'{"entry":{}}', "entry"),
        (b'{"entry":[{"changes":[{"field":"messages"}]}]}', "entry[0].changes[0].value"),
        (
            _text_payload({"from": "6281234567890", "type": "text", "text": {"body": "x"}}),
            "entry[0].changes[0].value.messages[0].id",
        ),
        (
            _text_payload({"id": "wamid.1", "type": "text", "text": {"body": "x"}}),
            "entry[0].changes[0].value.messages[0].from",
        ),
        (
            _text_payload({"id": "wamid.1", "from": "6281234567890", "type": "text"}),
            "entry[0].changes[0].value.messages[0].text",
        ),
        (
            _text_payload({"id": "wamid.1", "from": "6281234567890", "type": "image", "image": {}}),
            "entry[0].changes[0].value.messages[0].image.id",
        ),
        (
            _text_payload(
                {
                    "id": "wamid.1",
                    "from": "6281234567890",
                    "type": "location",
                    "location": {"latitude": "x", "longitude": 1},
                }
            ),
            "entry[0].changes[0].value.messages[0].location.latitude",
        ),
        (
            _text_payload(
                {
                    "id": "wamid.1",
                    "from": "6281234567890",
                    "timestamp": "kemarin",
                    "type": "text",
                    "text": {"body": "x"},
                }
            ),
            "entry[0].changes[0].value.messages[0].timestamp",
        ),
    ],
)
def test_malformed_payload_names_the_field(body: bytes, field: str) -> None:
    with pytest.raises(PayloadError) as excinfo:
        whatsapp.parse(make_request(body, signature=None))
    assert excinfo.value.field == field


def test_interactive_reply_title_is_the_text() -> None:
    body = _text_payload(
        {
            "id": "wamid.I1",
            "from": "6281234567890",
            "type": "interactive",
            "interactive": {"type": "button_reply", "button_reply": {"id": "y", "title": "Ya"}},
        }
    )
    [message] = whatsapp.parse(make_request(body, signature=None))
    assert message.text == "Ya"
    assert message.received_at is None


# -- replies ---------------------------------------------------------------------------------


def test_build_reply_to_a_phone() -> None:
    request = whatsapp.build_reply("+6281234567890", "Laporan diterima", make_settings())
    assert request.method == "POST"
    assert str(request.url) == SEND_URL
    assert request.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert json.loads(request.content) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        "type": "text",
        "text": {"body": "Laporan diterima", "preview_url": False},
    }


def test_build_reply_to_a_bsuid_uses_recipient() -> None:
    request = whatsapp.build_reply("ID.9876543210123456", "Halo", make_settings())
    payload = json.loads(request.content)
    assert payload["recipient"] == "ID.9876543210123456"
    assert "to" not in payload


def test_build_reply_without_access_token_is_terminal() -> None:
    with pytest.raises(ChannelSendError) as excinfo:
        whatsapp.build_reply("+6281234567890", "x", make_settings(whatsapp_access_token=""))
    assert excinfo.value.transient is False


async def test_send_reply_returns_the_wamid() -> None:
    answer = {
        "messaging_product": "whatsapp",
        "contacts": [{"input": "6281234567890", "wa_id": "6281234567890"}],
        "messages": [{"id": "wamid.OUT0001"}],
    }
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(SEND_URL).mock(return_value=httpx.Response(200, json=answer))
        async with httpx.AsyncClient() as client:
            result = await whatsapp.send_reply(client, "+6281234567890", "Halo", make_settings())
    assert result == "wamid.OUT0001"
    assert json.loads(route.calls.last.request.content)["text"]["body"] == "Halo"


def _graph_error(code: int, message: str) -> dict[str, object]:
    return {"error": {"message": message, "type": "OAuthException", "code": code}}


@pytest.mark.parametrize(
    ("status", "code", "transient"),
    [
        (400, 131047, False),  # outside the 24 h window: re-engagement needs a template
        (401, 190, False),  # bad access token
        (400, 130429, True),  # throttled, although HTTP 400
        (500, 131000, True),
        (503, 2, True),
    ],
)
async def test_send_reply_graph_errors_are_translated(
    status: int, code: int, transient: bool
) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(SEND_URL).mock(
            return_value=httpx.Response(status, json=_graph_error(code, "failed"))
        )
        async with httpx.AsyncClient() as client:
            with pytest.raises(ChannelSendError) as excinfo:
                await whatsapp.send_reply(client, "+6281234567890", "x", make_settings())
    error = excinfo.value
    assert error.transient is transient
    assert error.status_code == status
    assert f"code {code}" in error.reason


async def test_token_echoed_by_the_provider_is_scrubbed() -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(SEND_URL).mock(
            return_value=httpx.Response(
                401, json=_graph_error(190, f"Invalid OAuth access token {ACCESS_TOKEN}")
            )
        )
        async with httpx.AsyncClient() as client:
            with pytest.raises(ChannelSendError) as excinfo:
                await whatsapp.send_reply(client, "+6281234567890", "x", make_settings())
    assert ACCESS_TOKEN not in str(excinfo.value)
    assert "***" in str(excinfo.value)
