"""Where a reporter's messages go, and whether a channel can send now.

- the reporter came in through a channel adapter (``whatsapp``, ``telegram``, ``facebook``,
  ``twilio``, ``sms_gateway``, ``email``): back through that adapter, to the address they
  wrote from;
- the case channel is ``sms`` (adapter unknown): the configured SMS adapter;
- any other channel (``api``, ``open311``, ``web``, ``letter``, ...) with a phone number:
  SMS if an SMS adapter is configured for sending, else e-mail if they gave an address
  and SMTP is configured, else the ``log`` channel (a log line, so a demo or a pemda
  without an SMS contract still shows the flow);
- only an e-mail address: e-mail;
- no address at all (or a case from LAPOR!, whose reporters LAPOR! itself informs): nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.intake.channels import ADAPTERS, ChannelSendError
from services.intake.notify.email import EMAIL_CHANNEL, email_configured
from shared.config import Settings
from shared.models import Reporter

LOG_CHANNEL = "log"
#: SMS adapters in order of preference when a case has only a phone number.
SMS_ADAPTERS = ("sms_gateway", "twilio")
#: Channels whose messages are SMS (one GSM-7 segment where they can).
SMS_CHANNELS = frozenset({"sms_gateway", "twilio", "sms"})
#: Channels whose reporters are informed elsewhere (LAPOR! notifies its own users).
SILENT_CHANNELS = frozenset({"lapor"})
#: An address that any adapter accepts, to ask "is sending configured?" without sending.
_PROBE_ADDRESS = "+6281234567890"


@dataclass(frozen=True, slots=True)
class Destination:
    channel: str
    recipient: str


def send_configured(channel: str, settings: Settings) -> bool:
    """Whether ``channel`` can send now (its adapter builds a request with these settings)."""
    if channel == LOG_CHANNEL:
        return True
    if channel == EMAIL_CHANNEL:
        return email_configured(settings)
    adapter = ADAPTERS.get(channel)
    if adapter is None:
        return False
    try:
        adapter.build_reply(_PROBE_ADDRESS, "probe", settings)
    except ChannelSendError:
        return False
    return True


def configured_sms_adapter(settings: Settings) -> str | None:
    return next((name for name in SMS_ADAPTERS if send_configured(name, settings)), None)


def is_sms(channel: str, recipient: str) -> bool:
    """Twilio also carries WhatsApp (``whatsapp:+62...``), which is not SMS."""
    return channel in SMS_CHANNELS and not recipient.startswith("whatsapp:")


def reporter_destination(reporter: Reporter | None, settings: Settings) -> Destination | None:
    """Where the reporter's messages go (see the module docstring), or None."""
    if reporter is None or reporter.channel in SILENT_CHANNELS:
        return None
    address = reporter.channel_address or reporter.phone
    if reporter.channel in ADAPTERS:
        return Destination(reporter.channel, address) if address else None
    if reporter.channel == "sms":
        return Destination(configured_sms_adapter(settings) or "sms", address) if address else None
    if reporter.phone:
        sms_adapter = configured_sms_adapter(settings)
        if sms_adapter is None and reporter.email and email_configured(settings):
            return Destination(EMAIL_CHANNEL, reporter.email)
        return Destination(sms_adapter or LOG_CHANNEL, reporter.phone)
    if reporter.email:
        return Destination(EMAIL_CHANNEL if email_configured(settings) else LOG_CHANNEL,
                           reporter.email)  # fmt: skip
    return None
