"""How a message may reach a citizen on Meta's channels days after their last message.

Meta accepts free text only within 24 hours of the citizen's last message (the "customer
service window"). Later:

* **WhatsApp** carries only an approved *template* (name and language per message type,
  ``SIMPUL_WHATSAPP_TEMPLATES``), with the case's values as its body parameters;
* **Facebook Messenger** carries a message with a *message tag* where the tag's policy
  allows it (``SIMPUL_FACEBOOK_MESSAGE_TAGS``): ``HUMAN_AGENT`` lets a person answer
  within 7 days; the other tags are for purchases, events and accounts, not for us.

Anything else cannot be carried on the channel: the sender falls back to SMS or e-mail.

>>> from datetime import UTC, datetime, timedelta
>>> from shared.config import Settings
>>> now = datetime(2026, 3, 23, 10, tzinfo=UTC)
>>> whatsapp_carriage("responded", now - timedelta(hours=2), now, Settings()).kind
'free_text'
>>> whatsapp_carriage("responded", now - timedelta(days=3), now, Settings()).kind
'template'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.config import Settings, WhatsAppTemplate

#: Channels whose provider enforces a window on free text.
WINDOW_CHANNELS = frozenset({"whatsapp", "facebook"})
#: Messenger tags and how long after the citizen's last message each may be used (None:
#: no limit of its own). Meta's policy: HUMAN_AGENT 7 days; the others any time, but only
#: for what their names say.
FACEBOOK_TAG_WINDOWS: dict[str, timedelta | None] = {
    "HUMAN_AGENT": timedelta(days=7),
    "ACCOUNT_UPDATE": None,
    "CONFIRMED_EVENT_UPDATE": None,
    "POST_PURCHASE_UPDATE": None,
}
#: Body parameters of each template, in order ({{1}}, {{2}}, ...). A pemda registers its
#: templates at Meta with exactly these placeholders (README, "Citizens — conversations").
TEMPLATE_PARAMETERS: dict[str, tuple[str, ...]] = {
    "received": ("tracking_id",),
    "verified": ("tracking_id",),
    "disposed": ("tracking_id", "opd_name"),
    "info_requested": ("tracking_id", "text"),
    "responded": ("tracking_id", "text"),
    "resolved": ("tracking_id", "text"),
    "archived": ("tracking_id", "text"),
    "closed": ("tracking_id",),
    "forwarded_national": ("tracking_id",),
    "sla_breached": ("tracking_id",),
    # Officers' notices (``shared/notify``): the ID and the notice with its console link.
    "officer": ("tracking_id", "text"),
}
#: Meta refuses template parameters with new lines, tabs or more than 4 spaces in a row,
#: and bodies over 1,024 characters; a long answer is cut (the tracking page has it all).
MAX_PARAMETER = 700
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Carriage:
    """How one message can go: ``free_text``, ``template`` (WhatsApp), ``tag`` (Messenger)
    or ``none`` (with the reason, in the words recorded on the case)."""

    kind: str
    template: WhatsAppTemplate | None = None
    tag: str | None = None
    reason: str | None = None


def in_window(last_inbound: datetime | None, now: datetime, settings: Settings) -> bool:
    if last_inbound is None:
        return False
    return now - last_inbound <= timedelta(hours=settings.whatsapp_free_text_window_h)


def whatsapp_carriage(
    template: str, last_inbound: datetime | None, now: datetime, settings: Settings
) -> Carriage:
    if in_window(last_inbound, now, settings):
        return Carriage("free_text")
    approved = settings.whatsapp_templates.get(template)
    if approved is None:
        return Carriage(
            "none", reason=f"di luar jendela 24 jam dan tidak ada templat WhatsApp '{template}'"
        )
    return Carriage("template", template=approved)


def facebook_carriage(
    template: str, last_inbound: datetime | None, now: datetime, settings: Settings
) -> Carriage:
    if in_window(last_inbound, now, settings):
        return Carriage("free_text")
    tag = settings.facebook_message_tags.get(template)
    if tag is None or tag not in FACEBOOK_TAG_WINDOWS:
        return Carriage(
            "none", reason=f"di luar jendela 24 jam dan tidak ada message tag untuk '{template}'"
        )
    limit = FACEBOOK_TAG_WINDOWS[tag]
    if limit is not None and (last_inbound is None or now - last_inbound > limit):
        return Carriage("none", reason=f"message tag {tag} hanya berlaku {limit.days} hari")
    return Carriage("tag", tag=tag)


def carriage(
    channel: str, template: str, last_inbound: datetime | None, now: datetime, settings: Settings
) -> Carriage:
    if channel == "whatsapp":
        return whatsapp_carriage(template, last_inbound, now, settings)
    if channel == "facebook":
        return facebook_carriage(template, last_inbound, now, settings)
    return Carriage("free_text")


def template_parameters(template: str, values: Mapping[str, Any]) -> list[str]:
    """The template's body parameters from the message's values, made acceptable to Meta
    (one line, spaces collapsed, cut to :data:`MAX_PARAMETER`; "-" for a missing value)."""
    out = []
    for name in TEMPLATE_PARAMETERS.get(template, ("tracking_id",)):
        value = _SPACES.sub(" ", str(values.get(name) or "")).strip() or "-"
        if len(value) > MAX_PARAMETER:
            value = value[: MAX_PARAMETER - 3].rstrip() + "..."
        out.append(value)
    return out
