"""WhatsApp Cloud API (Meta): ``GET``/``POST /webhooks/whatsapp``.

Security is Meta's (see :mod:`services.intake.channels.meta`). One POST can carry several
messages, delivery receipts (``statuses[]``) and other ``field``s; only citizen messages
come out of :meth:`WhatsAppAdapter.parse`.

Identity: ``from``/``wa_id`` are digits without "+"; since April 2026 Meta also sends a
business-scoped user id (BSUID, ``user_id`` e.g. ``ID.1502576394655843``) and omits the
phone for users who adopted a username. The sender is the E.164 phone when known, else
the BSUID; ``sender_user_id`` carries the BSUID whenever Meta sent one, so a person can
be recognised across a later phone-less message. (The exact BSUID field placement in
Meta's raw payload was not verified against a captured payload: ``messages[].from_user_id``,
``messages[].user_id`` and ``contacts[].user_id`` are all read.)

Media (image/document/audio/video/sticker) comes as a media id to download later with
the access token; it is not fetched here.
"""

from __future__ import annotations

import re
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
from shared.phones import try_normalize_phone

MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")
#: A BSUID: ISO country code, ".", optional "ENT." (parent BSUID), up to 128 alphanumerics.
BSUID_PATTERN = re.compile(r"^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$")


class WhatsAppAdapter(ChannelAdapter):
    name = "whatsapp"
    path = "/webhooks/whatsapp"
    subscription_handshake = True

    def enabled(self, settings: Settings) -> bool:
        return bool(secret_value(settings.whatsapp_app_secret))

    def verify(self, request: InboundRequest, settings: Settings, now: float | None = None) -> None:
        meta.verify_hub_signature(request, secret_value(settings.whatsapp_app_secret))

    def verify_subscription(self, query_params: Mapping[str, str], settings: Settings) -> str:
        return meta.verify_subscription(query_params, secret_value(settings.whatsapp_verify_token))

    def parse(self, request: InboundRequest) -> list[InboundMessage]:
        payload = load_json_object(request.body)
        entries = require(payload, "entry", "", list)
        messages: list[InboundMessage] = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise PayloadError(f"entry[{i}]", "expected an object")
            changes = optional_list(entry, "changes")
            if not isinstance(changes, list):
                raise PayloadError(f"entry[{i}].changes", "expected a list")
            for j, change in enumerate(changes):
                where = f"entry[{i}].changes[{j}]"
                if not isinstance(change, dict):
                    raise PayloadError(where, "expected an object")
                if change.get("field") != "messages":
                    continue  # account updates, templates, ... are not citizen messages
                value = require(change, "value", where, dict)
                messages.extend(self._messages(value, f"{where}.value"))
        return messages

    def _messages(self, value: dict[str, Any], where: str) -> list[InboundMessage]:
        raw_messages = optional_list(value, "messages")  # absent in status-only notifications
        contacts = optional_list(value, "contacts")
        if not isinstance(raw_messages, list):
            raise PayloadError(f"{where}.messages", "expected a list")
        if not isinstance(contacts, list):
            raise PayloadError(f"{where}.contacts", "expected a list")
        recipient = optional_str(_obj(value.get("metadata")), "phone_number_id")
        parsed = []
        for k, message in enumerate(raw_messages):
            item_where = f"{where}.messages[{k}]"
            if not isinstance(message, dict):
                raise PayloadError(item_where, "expected an object")
            inbound = self._message(message, item_where, contacts, recipient)
            if inbound is not None:
                parsed.append(inbound)
        return parsed

    def _message(
        self,
        message: dict[str, Any],
        where: str,
        contacts: list[Any],
        recipient: str | None,
    ) -> InboundMessage | None:
        message_id = require(message, "id", where, str)
        wa_id = optional_str(message, "from")
        user_id = optional_str(message, "from_user_id") or optional_str(message, "user_id")
        contact = _contact_for(contacts, wa_id, user_id)
        user_id = user_id or optional_str(contact, "user_id")
        wa_id = wa_id or optional_str(contact, "wa_id")
        phone = try_normalize_phone("+" + wa_id.lstrip("+")) if wa_id else None
        sender = phone or user_id or wa_id
        if not sender:
            raise PayloadError(f"{where}.from", "missing (no phone and no user_id)")
        profile = _obj(contact.get("profile"))

        kind = message.get("type")
        text = ""
        media: tuple[MediaRef, ...] = ()
        location = None
        if kind == "text":
            body = require(message, "text", where, dict)
            text = require(body, "body", f"{where}.text", str, allow_empty=True)
        elif kind in MEDIA_TYPES:
            item = require(message, kind, where, dict)
            caption = optional_str(item, "caption")
            media = (
                MediaRef(
                    kind=kind,
                    ref=require(item, "id", f"{where}.{kind}", str),
                    content_type=optional_str(item, "mime_type"),
                    caption=caption,
                    filename=optional_str(item, "filename"),
                ),
            )
            text = caption or ""
        elif kind == "location":
            item = require(message, "location", where, dict)
            location = Location(
                lat=float(require(item, "latitude", f"{where}.location", (int, float))),
                lon=float(require(item, "longitude", f"{where}.location", (int, float))),
                name=optional_str(item, "name"),
                address=optional_str(item, "address"),
            )
        elif kind == "button":  # quick-reply button of a template
            text = optional_str(_obj(message.get("button")), "text") or ""
        elif kind == "interactive":
            interactive = _obj(message.get("interactive"))
            reply = _obj(interactive.get("button_reply") or interactive.get("list_reply"))
            text = optional_str(reply, "title") or ""
        else:
            # reaction, system, unsupported, contacts cards, orders: nothing to act on.
            return None

        timestamp = message.get("timestamp")
        return InboundMessage(
            channel=self.name,
            provider_message_id=message_id,
            sender=sender,
            sender_phone=phone,
            sender_name=optional_str(profile, "name"),
            sender_user_id=user_id,
            recipient=recipient,
            text=text,
            received_at=(
                unix_to_utc(timestamp, f"{where}.timestamp") if timestamp is not None else None
            ),
            media=media,
            location=location,
            raw_ref=where,
        )

    def build_reply(self, to: str, text: str, settings: Settings) -> httpx.Request:
        return self._messages_request(
            to, {"type": "text", "text": {"body": text, "preview_url": False}}, settings
        )

    def build_template(
        self, to: str, name: str, language: str, parameters: list[str], settings: Settings
    ) -> httpx.Request:
        """A template message (allowed outside the 24-hour window): ``parameters`` fill
        the body's ``{{1}}``, ``{{2}}``, ... in order."""
        template: dict[str, Any] = {"name": name, "language": {"code": language}}
        if parameters:
            template["components"] = [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": value} for value in parameters],
                }
            ]
        return self._messages_request(to, {"type": "template", "template": template}, settings)

    def _messages_request(
        self, to: str, message: dict[str, Any], settings: Settings
    ) -> httpx.Request:
        token = secret_value(settings.whatsapp_access_token)
        phone_number_id = settings.whatsapp_phone_number_id
        if not (token and phone_number_id):
            raise ChannelSendError(
                "whatsapp: SIMPUL_WHATSAPP_ACCESS_TOKEN and _PHONE_NUMBER_ID are required",
                transient=False,
            )
        payload: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual"}
        if BSUID_PATTERN.match(to):
            payload["recipient"] = to  # BSUID sends use "recipient" instead of "to"
        else:
            payload["to"] = to.removeprefix("+")
        payload.update(message)
        return httpx.Request(
            "POST",
            f"{settings.whatsapp_api_base_url.rstrip('/')}/{phone_number_id}/messages",
            json=payload,
            headers={"Authorization": f"Bearer {token}"},
        )

    def _provider_message_id(self, response: httpx.Response) -> str:
        try:
            payload = response.json()
        except ValueError:
            return ""
        sent = payload.get("messages") if isinstance(payload, dict) else None
        if isinstance(sent, list) and sent and isinstance(sent[0], dict):
            return str(sent[0].get("id") or "")
        return ""

    def _is_transient(self, response: httpx.Response) -> bool:
        return meta.is_transient_graph_error(response)

    def _secrets(self, settings: Settings) -> list[str]:
        return [
            secret_value(settings.whatsapp_access_token),
            secret_value(settings.whatsapp_app_secret),
        ]


def _contact_for(contacts: list[Any], wa_id: str | None, user_id: str | None) -> dict[str, Any]:
    """The ``contacts[]`` entry describing the sender (the only one, or the matching one)."""
    candidates = [c for c in contacts if isinstance(c, dict)]
    for contact in candidates:
        if (wa_id and contact.get("wa_id") == wa_id) or (
            user_id and contact.get("user_id") == user_id
        ):
            return contact
    if len(candidates) == 1:
        only = candidates[0]
        if not (wa_id and only.get("wa_id") and only.get("wa_id") != wa_id):
            return only
    return {}


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
