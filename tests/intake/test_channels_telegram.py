"""Telegram Bot API: secret-token header, message/edited_message parsing, sendMessage replies."""

from __future__ import annotations

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
BODY = (FIXTURES / "telegram_message.json").read_bytes()
SECRET = "test_secret_Token-123"  # channels.md A3
BOT_TOKEN = "123456789:AAtestBotToken_abcdefghijklmnopqrstu"
API = "https://telegram.test"
SEND_URL = f"{API}/bot{BOT_TOKEN}/sendMessage"

telegram = get_adapter("telegram")


def make_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "telegram_secret_token": SECRET,
        "telegram_bot_token": BOT_TOKEN,
        "telegram_api_base_url": API,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def make_request(body: bytes = BODY, secret: str | None = SECRET) -> InboundRequest:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return InboundRequest(method="POST", path="/webhooks/telegram", headers=headers, body=body)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# -- secret token ----------------------------------------------------------------------------


def test_matching_secret_token_is_accepted() -> None:
    telegram.verify(make_request(), make_settings())


def test_header_name_is_case_insensitive() -> None:
    request = InboundRequest(
        method="POST",
        path="/webhooks/telegram",
        headers={"x-telegram-bot-api-secret-token": SECRET},
        body=BODY,
    )
    telegram.verify(request, make_settings())


def test_missing_secret_token_is_rejected() -> None:
    with pytest.raises(SignatureError, match="missing"):
        telegram.verify(make_request(secret=None), make_settings())


@pytest.mark.parametrize("secret", ["test_secret_Token-124", "TEST_SECRET_TOKEN-123", "ÿ" * 21])
def test_wrong_secret_token_is_rejected(secret: str) -> None:
    with pytest.raises(SignatureError, match="does not match"):
        telegram.verify(make_request(secret=secret), make_settings())


def test_channel_is_off_without_secret_token() -> None:
    off = make_settings(telegram_secret_token="")
    assert not telegram.enabled(off)
    assert telegram.enabled(make_settings())
    with pytest.raises(SignatureError):
        telegram.verify(make_request(secret=""), off)


# -- parsing ---------------------------------------------------------------------------------


def test_parse_message_fixture() -> None:
    [message] = telegram.parse(make_request())
    assert message.channel == "telegram"
    assert message.provider_message_id == "731204519"
    assert message.message_ref == "1842"
    assert message.sender == "5123456789"  # the chat id: where replies go
    assert message.sender_user_id == "5123456789"
    assert message.sender_phone is None  # Telegram shares no phone by default
    assert message.sender_name == "Dewi Lestari"
    assert message.text == "Saluran air di RT 04 RW 02 Kel. Cempaka Putih tersumbat"
    assert message.received_at == datetime(2026, 3, 20, 3, 0, tzinfo=UTC)  # 10:00 WIB
    assert message.edited is False
    assert message.media == ()
    assert message.raw_ref == "message"


def test_parse_edited_photo_takes_the_largest_size_and_the_caption() -> None:
    [message] = telegram.parse(make_request(fixture("telegram_edited_photo.json")))
    assert message.provider_message_id == "731204520"
    assert message.message_ref == "1843"
    assert message.edited is True
    assert message.raw_ref == "edited_message"
    assert message.text == "Tumpukan sampah di depan pasar"
    assert message.media == (
        MediaRef(
            kind="image",
            ref="AgACAgUAAxkBAAIBlarge",
            content_type="image/jpeg",
            caption="Tumpukan sampah di depan pasar",
        ),
    )
    assert message.received_at == datetime.fromtimestamp(1773975720, tz=UTC)  # edit_date


def test_parse_own_shared_contact_gives_the_phone() -> None:
    [message] = telegram.parse(make_request(fixture("telegram_contact_location.json")))
    assert message.sender_phone == "+6281234567891"
    assert message.sender == "5123456789"
    assert message.text == ""


def test_someone_elses_contact_is_not_the_sender_phone() -> None:
    update = json.loads(fixture("telegram_contact_location.json"))
    update["message"]["contact"]["user_id"] = 999
    [message] = telegram.parse(make_request(json.dumps(update).encode()))
    assert message.sender_phone is None


def test_parse_document_and_location() -> None:
    [message] = telegram.parse(make_request(fixture("telegram_document.json")))
    assert message.media == (
        MediaRef(
            kind="document",
            ref="BQACAgUAAxkBAAIBdoc",
            content_type="application/pdf",
            caption="Laporan RT",
            filename="laporan.pdf",
        ),
    )
    assert message.location == Location(lat=-6.1751, lon=106.8650)


def test_other_update_types_are_ignored() -> None:
    assert telegram.parse(make_request(fixture("telegram_callback_query.json"))) == []


@pytest.mark.parametrize(
    ("update", "field"),
    [
        ({"message": {}}, "update_id"),
        ({"update_id": "731204519", "message": {}}, "update_id"),
        ({"update_id": 1, "message": "hi"}, "message"),
        ({"update_id": 1, "message": {"chat": {"id": 5}}}, "message.message_id"),
        ({"update_id": 1, "message": {"message_id": 2}}, "message.chat"),
        ({"update_id": 1, "message": {"message_id": 2, "chat": {}}}, "message.chat.id"),
        (
            {"update_id": 1, "edited_message": {"message_id": 2, "chat": {"id": 5}, "date": "x"}},
            "edited_message.date",
        ),
        (
            {"update_id": 1, "message": {"message_id": 2, "chat": {"id": 5}, "photo": [{}]}},
            "message.photo[0].file_id",
        ),
    ],
)
def test_malformed_update_names_the_field(update: dict[str, object], field: str) -> None:
    with pytest.raises(PayloadError) as excinfo:
        telegram.parse(make_request(json.dumps(update).encode()))
    assert excinfo.value.field == field


def test_invalid_json_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="^body"):
        telegram.parse(make_request(b"{not json"))


# -- replies ---------------------------------------------------------------------------------


def test_build_reply() -> None:
    request = telegram.build_reply("5123456789", "Laporan diterima", make_settings())
    assert request.method == "POST"
    assert str(request.url) == SEND_URL
    assert json.loads(request.content) == {"chat_id": 5123456789, "text": "Laporan diterima"}


def test_build_reply_without_bot_token_is_terminal() -> None:
    with pytest.raises(ChannelSendError) as excinfo:
        telegram.build_reply("5123456789", "x", make_settings(telegram_bot_token=""))
    assert excinfo.value.transient is False


async def test_send_reply_returns_the_message_id() -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(SEND_URL).mock(
            return_value=httpx.Response(200, json={"ok": True, "result": {"message_id": 1900}})
        )
        async with httpx.AsyncClient() as client:
            result = await telegram.send_reply(client, "5123456789", "Halo", make_settings())
    assert result == "1900"


async def test_send_reply_error_never_shows_the_bot_token() -> None:
    answer = {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot was blocked by the user",
    }
    with respx.mock(assert_all_called=True) as mock:
        mock.post(SEND_URL).mock(return_value=httpx.Response(403, json=answer))
        async with httpx.AsyncClient() as client:
            with pytest.raises(ChannelSendError) as excinfo:
                await telegram.send_reply(client, "5123456789", "Halo", make_settings())
    error = excinfo.value
    assert error.transient is False
    assert error.status_code == 403
    assert "bot was blocked" in error.reason
    assert BOT_TOKEN not in str(error) and BOT_TOKEN not in repr(error)
    assert "/bot***/sendMessage" in error.reason


async def test_send_reply_flood_control_is_transient_with_retry_after() -> None:
    answer = {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 5",
        "parameters": {"retry_after": 5},
    }
    with respx.mock(assert_all_called=True) as mock:
        mock.post(SEND_URL).mock(return_value=httpx.Response(429, json=answer))
        async with httpx.AsyncClient() as client:
            with pytest.raises(ChannelSendError) as excinfo:
                await telegram.send_reply(client, "5123456789", "Halo", make_settings())
    assert excinfo.value.transient is True
    assert excinfo.value.retry_after == 5.0


async def test_send_reply_timeout_never_shows_the_bot_token() -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(SEND_URL).mock(side_effect=httpx.ConnectTimeout("timed out"))
        async with httpx.AsyncClient() as client:
            with pytest.raises(ChannelSendError) as excinfo:
                await telegram.send_reply(client, "5123456789", "Halo", make_settings())
    assert excinfo.value.transient is True
    assert BOT_TOKEN not in str(excinfo.value)
