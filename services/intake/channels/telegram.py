"""Telegram Bot API: ``POST /webhooks/telegram``.

No HMAC: ``setWebhook(secret_token=...)`` makes Telegram send the shared secret in
``X-Telegram-Bot-Api-Secret-Token``; it is compared in constant time. Register with
``allowed_updates=["message", "edited_message"]``; other update types are ignored.

The dedup key is ``update_id`` (monotonic per bot). ``message_ref`` keeps the
``message_id``, which an ``edited_message`` shares with the original. The reply address is
the chat id; Telegram shares no phone number unless the user sends their own contact.
"""

from __future__ import annotations

from typing import Any

import httpx

from services.intake.channels.base import (
    ChannelAdapter,
    ChannelSendError,
    InboundMessage,
    InboundRequest,
    Location,
    MediaRef,
    PayloadError,
    SignatureError,
    load_json_object,
    optional_str,
    require,
    secret_value,
    unix_to_utc,
)
from shared.config import Settings
from shared.crypto import constant_time_equals
from shared.phones import try_normalize_phone

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MESSAGE_FIELDS = ("message", "edited_message")
#: Media-bearing message fields and the kind we record; ``photo`` is a list of sizes.
_FILE_FIELDS = {
    "document": "document",
    "audio": "audio",
    "voice": "audio",
    "video": "video",
    "video_note": "video",
    "sticker": "sticker",
}


class TelegramAdapter(ChannelAdapter):
    name = "telegram"
    path = "/webhooks/telegram"

    def enabled(self, settings: Settings) -> bool:
        return bool(secret_value(settings.telegram_secret_token))

    def verify(self, request: InboundRequest, settings: Settings, now: float | None = None) -> None:
        secret = secret_value(settings.telegram_secret_token)
        if not secret:
            raise SignatureError("telegram channel is off (no secret token)")
        received = request.header(SECRET_HEADER)
        if not received:
            raise SignatureError(f"missing {SECRET_HEADER}")
        if not constant_time_equals(secret, received):
            raise SignatureError(f"{SECRET_HEADER} does not match")

    def parse(self, request: InboundRequest) -> list[InboundMessage]:
        update = load_json_object(request.body)
        update_id = require(update, "update_id", "", int)
        for field_name in MESSAGE_FIELDS:
            if field_name in update:
                message = require(update, field_name, "", dict)
                return [self._message(update_id, field_name, message)]
        return []  # callback_query, channel_post, my_chat_member, ...

    def _message(self, update_id: int, where: str, message: dict[str, Any]) -> InboundMessage:
        message_id = require(message, "message_id", where, int)
        chat = require(message, "chat", where, dict)
        chat_id = require(chat, "id", f"{where}.chat", int)
        user = message.get("from") if isinstance(message.get("from"), dict) else {}
        user_id = user.get("id") if isinstance(user.get("id"), int) else None
        name = " ".join(
            part
            for part in (optional_str(user, "first_name"), optional_str(user, "last_name"))
            if part
        )
        date = message.get("edit_date") if where == "edited_message" else None
        date = date if date is not None else message.get("date")
        return InboundMessage(
            channel=self.name,
            provider_message_id=str(update_id),
            sender=str(chat_id),
            sender_phone=_own_contact_phone(message, user_id),
            sender_name=name or None,
            sender_user_id=str(user_id) if user_id is not None else None,
            text=optional_str(message, "text") or optional_str(message, "caption") or "",
            received_at=unix_to_utc(date, f"{where}.date") if date is not None else None,
            media=tuple(_media(message, where)),
            location=_location(message, where),
            edited=where == "edited_message",
            message_ref=str(message_id),
            raw_ref=where,
        )

    def build_reply(self, to: str, text: str, settings: Settings) -> httpx.Request:
        token = secret_value(settings.telegram_bot_token)
        if not token:
            raise ChannelSendError(
                "telegram: SIMPUL_TELEGRAM_BOT_TOKEN is required", transient=False
            )
        chat_id: int | str = int(to) if to.lstrip("-").isdigit() else to
        return httpx.Request(
            "POST",
            f"{settings.telegram_api_base_url.rstrip('/')}/bot{token}/sendMessage",
            json={"chat_id": chat_id, "text": text},
        )

    def _provider_message_id(self, response: httpx.Response) -> str:
        try:
            payload = response.json()
        except ValueError:
            return ""
        result = payload.get("result") if isinstance(payload, dict) else None
        if isinstance(result, dict) and result.get("message_id") is not None:
            return str(result["message_id"])
        return ""

    def _error_detail(self, response: httpx.Response) -> str:
        try:
            payload = response.json()
        except ValueError:
            return ""
        if isinstance(payload, dict) and payload.get("description"):
            return str(payload["description"])
        return ""

    def _secrets(self, settings: Settings) -> list[str]:
        return [secret_value(settings.telegram_bot_token)]


def _own_contact_phone(message: dict[str, Any], user_id: int | None) -> str | None:
    """The phone of a shared contact, only when it is the sender's own contact card."""
    contact = message.get("contact")
    if not isinstance(contact, dict) or user_id is None or contact.get("user_id") != user_id:
        return None
    return try_normalize_phone(optional_str(contact, "phone_number"))


def _media(message: dict[str, Any], where: str) -> list[MediaRef]:
    caption = optional_str(message, "caption")
    media = []
    photo = message.get("photo")
    if isinstance(photo, list) and photo:
        largest = photo[-1]  # sizes come smallest first
        if not isinstance(largest, dict):
            raise PayloadError(f"{where}.photo[{len(photo) - 1}]", "expected an object")
        file_id = require(largest, "file_id", f"{where}.photo[{len(photo) - 1}]", str)
        media.append(
            MediaRef(kind="image", ref=file_id, content_type="image/jpeg", caption=caption)
        )
    for field_name, kind in _FILE_FIELDS.items():
        item = message.get(field_name)
        if isinstance(item, dict):
            media.append(
                MediaRef(
                    kind=kind,
                    ref=require(item, "file_id", f"{where}.{field_name}", str),
                    content_type=optional_str(item, "mime_type"),
                    caption=caption,
                    filename=optional_str(item, "file_name"),
                )
            )
    return media


def _location(message: dict[str, Any], where: str) -> Location | None:
    venue = message.get("venue") if isinstance(message.get("venue"), dict) else None
    point = venue.get("location") if venue else message.get("location")
    if not isinstance(point, dict):
        return None
    field_name = f"{where}.venue.location" if venue else f"{where}.location"
    return Location(
        lat=float(require(point, "latitude", field_name, (int, float))),
        lon=float(require(point, "longitude", field_name, (int, float))),
        name=optional_str(venue, "title") if venue else None,
        address=optional_str(venue, "address") if venue else None,
    )
