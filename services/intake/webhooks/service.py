"""Accepting a verified webhook delivery: dedup, threading, audit — in one transaction.

The flow of every channel (the endpoint does the HTTP part)::

    adapter off -> 404 | verify fails -> 401 + quarantine | malformed -> quarantine + ack
    parse -> per-sender rate limit (429) -> lock the senders -> for each message:
        insert inbound_deliveries row (UNIQUE channel+provider id; a redelivery stops here)
        apply the threading rules (new case, join, info answer, CEK, rating)
    commit (case + delivery row + events together) -> answer the provider's ack

Replies: Twilio carries the reply inline (TwiML), so its events say ``inline_reply`` and
notify does not send them again. Elsewhere the new-case acknowledgement leaves through
notify (``case.received``); any other reply is queued here (``notify.queue_message``).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass

import structlog
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.channels import InboundMessage, InboundRequest
from services.intake.notify import queue_message
from services.intake.webhooks import conversation, replies, repository
from services.intake.webhooks.quarantine import KEPT_HEADERS, safe_headers
from shared.config import Settings
from shared.db import Database
from shared.models import utcnow
from shared.models.channels import InboundDelivery
from shared.ratelimit import SCOPE_SENDER, RateLimiter

log = structlog.get_logger("simpul.webhooks")

WEBHOOK_REJECTED = Counter(
    "simpul_webhook_rejected_total", "Webhook deliveries refused", ["channel", "reason"]
)
WEBHOOK_MESSAGES = Counter(
    "simpul_webhook_messages_total", "Channel messages accepted, by outcome", ["channel", "outcome"]
)
#: Adapters whose webhook answer can carry the reply to the reporter.
INLINE_REPLY_ADAPTERS = frozenset({"twilio"})


@dataclass(frozen=True, slots=True)
class Accepted:
    """The result of one delivery: the reply to carry inline (Twilio), if any."""

    inline_reply: str | None
    outcomes: tuple[str, ...]


async def accept_delivery(
    db: Database,
    locks: repository.ReporterLocks,
    limiter: RateLimiter,
    settings: Settings,
    adapter_name: str,
    request: InboundRequest,
    messages: Sequence[InboundMessage],
) -> Accepted:
    """Store and thread ``messages`` of one verified delivery; commits before returning.

    Raises ``RateLimited`` (429) before touching the database when a sender floods.
    """
    senders = [conversation.sender_of(adapter_name, m) for m in messages]
    for sender in senders:
        limiter.check(SCOPE_SENDER, sender.lock_key)
    headers = {k: v for k, v in safe_headers(request.headers).items() if k in KEPT_HEADERS}
    replies_inline: list[str] = []
    outcomes: list[str] = []
    async with AsyncExitStack() as stack:
        if db.is_sqlite:
            await locks.hold(stack, [s.lock_key for s in senders])
        async with db.session() as session:  # commits at exit, while the locks are held
            if not db.is_sqlite:
                await repository.lock_reporters_pg(session, [s.lock_key for s in senders])
            for message, sender in zip(messages, senders, strict=True):
                kind, reply = await _accept_message(
                    session, settings, adapter_name, request, headers, message, sender
                )
                outcomes.append(kind)
                if reply:
                    replies_inline.append(reply)
    for kind in outcomes:
        WEBHOOK_MESSAGES.labels(adapter_name, kind).inc()
    inline = " ".join(replies_inline) if adapter_name in INLINE_REPLY_ADAPTERS else None
    return Accepted(inline_reply=inline or None, outcomes=tuple(outcomes))


async def _accept_message(
    session: AsyncSession,
    settings: Settings,
    adapter_name: str,
    request: InboundRequest,
    headers: dict[str, str],
    message: InboundMessage,
    sender: conversation.Sender,
) -> tuple[str, str | None]:
    delivery = InboundDelivery(
        channel=adapter_name,
        provider_message_id=message.provider_message_id[:200],
        body=request.body,
        headers=headers,
        received_at=utcnow(),
        outcome="processing",
    )
    if not await repository.insert_delivery(session, delivery):
        tracking_id = await repository.delivered_case_tracking_id(
            session, adapter_name, message.provider_message_id[:200]
        )
        log.info("webhook_redelivery", channel=adapter_name, tracking_id=tracking_id)
        return "duplicate", replies.duplicate(tracking_id, sms=sender.sms)

    outcome = await conversation.handle_message(session, settings, message, sender)
    delivery.outcome = outcome.kind
    delivery.case_id = outcome.case.id if outcome.case is not None else None
    await session.flush()
    if outcome.extra_reply and adapter_name not in INLINE_REPLY_ADAPTERS:
        # Replies no event template covers (CEK answers, "added to your case", ...); the
        # dedup key is per provider message, so a redelivery never queues it twice.
        await queue_message(
            session,
            case_id=outcome.case.id if outcome.case is not None else None,
            event_id=None,
            audience="reporter",
            channel=adapter_name,
            recipient=sender.address,
            template=f"intake_{outcome.kind}",
            body=outcome.extra_reply,
            dedup_key=f"intake:{adapter_name}:{message.provider_message_id}"[:200],
        )
    log.info(
        "webhook_message",
        channel=adapter_name,
        outcome=outcome.kind,
        tracking_id=outcome.case.tracking_id if outcome.case is not None else None,
    )
    return outcome.kind, outcome.reply
