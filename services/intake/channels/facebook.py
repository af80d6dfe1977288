"""Facebook page messaging (Messenger Platform): ``GET``/``POST /webhooks/facebook``.

Security is Meta's, exactly as for WhatsApp but with the Facebook app's secret and verify
token (:mod:`services.intake.channels.meta`). Messages arrive in ``entry[].messaging[]``
and, while another app owns the thread (handover protocol), in ``entry[].standby[]``.
Echoes of our own replies (``message.is_echo``), delivery and read receipts, reactions
and postbacks are not citizen messages and are skipped. Timestamps are milliseconds.
The sender is the page-scoped id (PSID); Messenger never shares a phone number.

Page *comments* (field ``feed``) use ``entry[].changes[]`` and are not handled here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from services.intake.channels import meta
from services.intake.channels.base import (
    ChannelAdapter,
    ChannelSendError,
    InboundMessage,
    InboundRequest,
    Location,
    MediaRef,
    PayloadError,
    load_json_object,
    optional_list,
    optional_str,
    require,
    secret_value,
    unix_to_utc,
)
from shared.config import Settings

EVENT_LISTS = ("messaging", "standby")
_ATTACHMENT_KINDS = {"image": "image", "video": "video", "audio": "audio", "file": "document"}


class FacebookAdapter(ChannelAdapter):
    name = "facebook"
    path = "/webhooks/facebook"
    subscription_handshake = True

    def enabled(self, settings: Settings) -> bool:
        return bool(secret_value(settings.facebook_app_secret))

    def verify(self, request: InboundRequest, settings: Settings, now: float | None = None) -> None:
        meta.verify_hub_signature(request, secret_value(settings.facebook_app_secret))

    def verify_subscription(self, query_params: Mapping[str, str], settings: Settings) -> str:
        return meta.verify_subscription(query_params, secret_value(settings.facebook_verify_token))

    def parse(self, request: InboundRequest) -> list[InboundMessage]:
        payload = load_json_object(request.body)
        entries = require(payload, "entry", "", list)
        messages: list[InboundMessage] = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise PayloadError(f"entry[{i}]", "expected an object")
            for list_name in EVENT_LISTS:
                events = optional_list(entry, list_name)
                if not isinstance(events, list):
                    raise PayloadError(f"entry[{i}].{list_name}", "expected a list")
                for j, event in enumerate(events):
                    where = f"entry[{i}].{list_name}[{j}]"
                    if not isinstance(event, dict):
                        raise PayloadError(where, "expected an object")
                    inbound = self._message(event, where)
                    if inbound is not None:
                        messages.append(inbound)
        return messages

    def _message(self, event: dict[str, Any], where: str) -> InboundMessage | None:
        message = event.get("message")
        if not isinstance(message, dict) or message.get("is_echo"):
            return None  # delivery, read, reaction, postback, or our own reply echoed
        mid = require(message, "mid", f"{where}.message", str)
        sender = require(event, "sender", where, dict)
        psid = require(sender, "id", f"{where}.sender", (str, int))
        recipient = event.get("recipient") if isinstance(event.get("recipient"), dict) else {}
        timestamp = event.get("timestamp")
        media, location = _attachments(message, f"{where}.message")
        return InboundMessage(
            channel=self.name,
            provider_message_id=mid,
            sender=str(psid),
            sender_user_id=str(psid),
            recipient=str(recipient["id"]) if recipient.get("id") is not None else None,
            text=optional_str(message, "text") or "",
            received_at=(
                unix_to_utc(timestamp, f"{where}.timestamp", millis=True)
                if timestamp is not None
                else None
            ),
            media=media,
            location=location,
            raw_ref=where,
        )

    def build_reply(self, to: str, text: str, settings: Settings) -> httpx.Request:
        return self.build_tagged(to, text, None, settings)

    def build_tagged(
        self, to: str, text: str, tag: str | None, settings: Settings
    ) -> httpx.Request:
        """A reply (``tag`` None: ``RESPONSE``, inside the 24-hour window) or a message with
        a message tag (``MESSAGE_TAG``), which Meta accepts later for what the tag covers."""
        token = secret_value(settings.facebook_page_token)
        if not token:
            raise ChannelSendError(
                "facebook: SIMPUL_FACEBOOK_PAGE_TOKEN is required", transient=False
            )
        # RESPONSE is allowed within 24 h of the citizen's last message; later updates need
        # a message tag (services.intake.notify.window decides which, if any).
        payload: dict[str, Any] = {
            "recipient": {"id": to},
            "messaging_type": "MESSAGE_TAG" if tag else "RESPONSE",
            "message": {"text": text},
        }
        if tag:
            payload["tag"] = tag
        return httpx.Request(
            "POST",
            f"{settings.facebook_api_base_url.rstrip('/')}/me/messages",
            params={"access_token": token},
            json=payload,
        )

    def _provider_message_id(self, response: httpx.Response) -> str:
        try:
            payload = response.json()
        except ValueError:
            return ""
        return str(payload.get("message_id") or "") if isinstance(payload, dict) else ""

    def _is_transient(self, response: httpx.Response) -> bool:
        return meta.is_transient_graph_error(response)

    def _secrets(self, settings: Settings) -> list[str]:
        return [
            secret_value(settings.facebook_page_token),
            secret_value(settings.facebook_app_secret),
        ]


def _attachments(
    message: dict[str, Any], where: str
) -> tuple[tuple[MediaRef, ...], Location | None]:
    attachments = optional_list(message, "attachments")
    if not isinstance(attachments, list):
        raise PayloadError(f"{where}.attachments", "expected a list")
    media: list[MediaRef] = []
    location = None
    for k, attachment in enumerate(attachments):
        item_where = f"{where}.attachments[{k}]"
        if not isinstance(attachment, dict):
            raise PayloadError(item_where, "expected an object")
        kind = attachment.get("type")
        payload = attachment.get("payload") if isinstance(attachment.get("payload"), dict) else {}
        if kind in _ATTACHMENT_KINDS:
            url = require(payload, "url", f"{item_where}.payload", str)
            media.append(MediaRef(kind=_ATTACHMENT_KINDS[kind], ref=url))
        elif kind == "location":  # legacy shared location: payload.coordinates.lat/long
            coordinates = require(payload, "coordinates", f"{item_where}.payload", dict)
            location = Location(
                lat=float(
                    require(coordinates, "lat", f"{item_where}.payload.coordinates", (int, float))
                ),
                lon=float(
                    require(coordinates, "long", f"{item_where}.payload.coordinates", (int, float))
                ),
                name=optional_str(attachment, "title"),
            )
        # "fallback" (shared links), templates, ...: nothing to keep
    return tuple(media), location
