"""Inbound channels: one adapter per provider behind :class:`ChannelAdapter`.

>>> adapter = get_adapter("telegram")
>>> adapter.path
'/webhooks/telegram'
"""

from __future__ import annotations

from services.intake.channels.base import (
    ChannelAdapter,
    ChannelError,
    ChannelSendError,
    InboundMessage,
    InboundRequest,
    Location,
    MediaRef,
    PayloadError,
    SignatureError,
    StaleRequestError,
    WebhookAck,
)
from services.intake.channels.facebook import FacebookAdapter
from services.intake.channels.sms_gateway import SmsGatewayAdapter
from services.intake.channels.telegram import TelegramAdapter
from services.intake.channels.twilio import TwilioAdapter, twiml_reply
from services.intake.channels.whatsapp import WhatsAppAdapter
from services.intake.email.adapter import EmailAdapter

ADAPTERS: dict[str, ChannelAdapter] = {
    adapter.name: adapter
    for adapter in (
        TwilioAdapter(),
        SmsGatewayAdapter(),
        WhatsAppAdapter(),
        TelegramAdapter(),
        FacebookAdapter(),
        EmailAdapter(),
    )
}


class UnknownChannelError(ChannelError, LookupError):
    """No adapter has that name."""


def get_adapter(name: str) -> ChannelAdapter:
    try:
        return ADAPTERS[name]
    except KeyError:
        raise UnknownChannelError(f"unknown channel {name!r}") from None


__all__ = [
    "ADAPTERS",
    "ChannelAdapter",
    "ChannelError",
    "ChannelSendError",
    "InboundMessage",
    "InboundRequest",
    "Location",
    "MediaRef",
    "PayloadError",
    "SignatureError",
    "StaleRequestError",
    "UnknownChannelError",
    "WebhookAck",
    "get_adapter",
    "twiml_reply",
]
