"""The channel interface shared by all adapters: registry, request type, errors, scrubbing."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
import respx

from services.intake.channels import (
    ADAPTERS,
    ChannelAdapter,
    ChannelError,
    ChannelSendError,
    InboundMessage,
    InboundRequest,
    PayloadError,
    SignatureError,
    StaleRequestError,
    UnknownChannelError,
    get_adapter,
)
from services.intake.channels.base import DEFAULT_SEND_TIMEOUT, scrub
from shared.config import Settings

CONTRACT_PATHS = {
    "twilio": "/webhooks/twilio/sms",
    "sms_gateway": "/webhooks/sms-gateway",
    "whatsapp": "/webhooks/whatsapp",
    "telegram": "/webhooks/telegram",
    "facebook": "/webhooks/facebook",
    "email": "/webhooks/email/mime",
}


def test_registry_has_every_contract_channel_at_its_path() -> None:
    assert {name: adapter.path for name, adapter in ADAPTERS.items()} == CONTRACT_PATHS
    for name, adapter in ADAPTERS.items():
        assert isinstance(adapter, ChannelAdapter)
        assert adapter.name == name
        assert get_adapter(name) is adapter


def test_only_meta_channels_have_a_subscription_handshake() -> None:
    assert {n for n, a in ADAPTERS.items() if a.subscription_handshake} == {"whatsapp", "facebook"}
    with pytest.raises(SignatureError):
        get_adapter("telegram").verify_subscription({"hub.mode": "subscribe"}, Settings())


def test_unknown_channel() -> None:
    with pytest.raises(UnknownChannelError, match="unknown channel 'x'"):
        get_adapter("x")
    with pytest.raises(LookupError):
        get_adapter("x")


def test_every_channel_is_off_by_default() -> None:
    settings = Settings(_env_file=None)
    assert [name for name, adapter in ADAPTERS.items() if adapter.enabled(settings)] == []


@pytest.mark.parametrize("name", sorted(CONTRACT_PATHS))
def test_an_off_channel_never_accepts_unsigned_input(name: str) -> None:
    request = InboundRequest(method="POST", path=CONTRACT_PATHS[name], body=b"{}")
    with pytest.raises(SignatureError):
        get_adapter(name).verify(request, Settings(_env_file=None), now=0)


def test_error_hierarchy() -> None:
    for error in (SignatureError, StaleRequestError, PayloadError, ChannelSendError):
        assert issubclass(error, ChannelError)
    assert issubclass(StaleRequestError, SignatureError)
    error = PayloadError("entry[0].id", "missing")
    assert error.field == "entry[0].id"
    assert error.reason == str(error) == "entry[0].id: missing"


def test_inbound_request_headers_are_case_insensitive_and_values_hidden_in_repr() -> None:
    request = InboundRequest(
        method="POST",
        path="/webhooks/telegram",
        query_string=b"a=1&b=",  # Starlette's raw scope value
        headers=[("X-Telegram-Bot-Api-Secret-Token", "s3cr3t-value")],
        body=b"{}",
    )
    assert request.header("x-telegram-bot-api-secret-token") == "s3cr3t-value"
    assert "X-TELEGRAM-BOT-API-SECRET-TOKEN" in request.headers
    assert request.query_string == "a=1&b="
    assert request.query_params() == {"a": "1", "b": ""}
    assert "s3cr3t-value" not in repr(request)
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.body = b"changed"


def test_inbound_request_form_falls_back_to_the_body() -> None:
    request = InboundRequest(method="POST", path="/", body=b"A=1&B=&A=2")
    assert request.form_params() == [("A", "1"), ("B", ""), ("A", "2")]
    with pytest.raises(PayloadError, match="^body"):
        InboundRequest(method="POST", path="/", body=b"\xff").form_params()


def test_inbound_message_is_frozen() -> None:
    message = InboundMessage(channel="x", provider_message_id="1", sender="s", text="t")
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.text = "u"
    assert message.media == () and message.location is None and message.received_at is None


def test_scrub_removes_secrets_and_token_shaped_url_parts() -> None:
    text = "POST https://g.test/me/messages?access_token=EAAxyz&x=1 and /bot123:ABC/sendMessage"
    assert scrub(text) == (
        "POST https://g.test/me/messages?access_token=***&x=1 and /bot***/sendMessage"
    )
    assert scrub("token hunter2 leaked", ["hunter2"]) == "token *** leaked"


def test_default_ack_is_json() -> None:
    ack = get_adapter("whatsapp").ack()
    assert (ack.status_code, ack.media_type) == (200, "application/json")


async def test_send_reply_bounds_a_client_without_timeout() -> None:
    settings = Settings(
        _env_file=None,
        telegram_bot_token="1:tok",
        telegram_api_base_url="https://telegram.test",
    )
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post("https://telegram.test/bot1:tok/sendMessage").mock(
            return_value=httpx.Response(200, json={"ok": True, "result": {"message_id": 1}})
        )
        async with httpx.AsyncClient(timeout=None) as client:
            await get_adapter("telegram").send_reply(client, "5", "x", settings)
    assert route.calls.last.request.extensions["timeout"] == DEFAULT_SEND_TIMEOUT.as_dict()
