"""Notify's rules: which events reach the reporter, on which channel, and how a queued message
is sent (retries with backoff for transient failures, dead letters for the rest).

Where a reply goes:
- the reporter came in through a channel adapter (``whatsapp``, ``telegram``, ``facebook``,
  ``twilio``, ``sms_gateway``): back through that adapter, to the address they wrote from;
- the case channel is ``sms`` (adapter unknown): the configured SMS adapter;
- any other channel (``api``, ``open311``, ``web``, ``letter``, ...) with a phone number:
  SMS if an SMS adapter is configured for sending, else the ``log`` channel (a log line,
  so a demo or a pemda without an SMS contract still shows the flow);
- no address at all (or a case from LAPOR!, whose reporters LAPOR! itself informs): nothing.

A message queued for a channel that cannot send (adapter not configured) is marked ``dead``
with "channel not configured", not silently logged: ops see it in the dead letters.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

import httpx
import structlog
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.channels import ADAPTERS, ChannelSendError
from services.intake.notify import repository as repo
from services.intake.notify.templates import TEMPLATE_FOR_EVENT, MessageContext, render
from services.intake.web.rating import rating_url
from shared.cases.events import (
    CaseEvent,
    DisposedPayload,
    InfoRequestedPayload,
    ResponsePayload,
    payload_of,
)
from shared.config import Settings
from shared.db import Database
from shared.models import Case, Event, Opd, OutboundMessage, Reporter

log = structlog.get_logger("simpul.intake.notify")

OUTBOUND_SENT = Counter(
    "simpul_outbound_messages_total", "Outbound messages by outcome", ["channel", "outcome"]
)

LOG_CHANNEL = "log"
#: SMS adapters in order of preference when a case has only a phone number.
SMS_ADAPTERS = ("sms_gateway", "twilio")
#: Channels whose reporters are informed elsewhere (LAPOR! notifies its own users).
SILENT_CHANNELS = frozenset({"lapor"})
MAX_SEND_ATTEMPTS = 8
RETRY_BASE_S = 5.0
RETRY_CAP_S = 3600.0
SEND_BATCH = 50
SEND_CONCURRENCY = 8
SEND_LEASE_S = 120.0
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
        return Destination(configured_sms_adapter(settings) or LOG_CHANNEL, reporter.phone)
    return None


def status_url(settings: Settings, tracking_id: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/lacak/{tracking_id}"


async def _message_context(
    session: AsyncSession, case: Case, event: Event, template: str, settings: Settings
) -> MessageContext:
    payload = payload_of(event)
    text = None
    opd_name = None
    if isinstance(payload, DisposedPayload):
        opd_name = payload.opd_name
        code = payload.opd or case.opd_code
        if not opd_name and code:
            opd = await session.get(Opd, code)
            opd_name = opd.name if opd else None
    elif isinstance(payload, InfoRequestedPayload):
        text = payload.message or event.reason
    elif isinstance(payload, ResponsePayload):
        text = payload.message
        if not text:
            reply = await repo.reply_message(session, case.id, payload.message_id)
            text = reply.body if reply else None
    elif template in ("archived", "forwarded_national"):
        text = event.reason or payload.reason or case.archive_reason
    return MessageContext(
        tracking_id=case.tracking_id,
        status_url=status_url(settings, case.tracking_id),
        opd_name=opd_name,
        text=text,
        # The reporter rates on the tracking page with a link only they received.
        rating_url=rating_url(settings, case.tracking_id) if template == "resolved" else None,
    )


async def notify_reporter(session: AsyncSession, event: Event, settings: Settings) -> bool:
    """Queue the reporter's message for ``event`` (at most one per event); True if queued.

    ``case.received`` carrying ``inline_reply`` is skipped: the channel already answered
    inline (Twilio's TwiML reply carries the ID).
    """
    template = TEMPLATE_FOR_EVENT.get(event.type)
    if template is None or event.case_id is None:
        return False
    if event.type == CaseEvent.RECEIVED and payload_of(event).inline_reply:
        return False
    case = await session.get(Case, event.case_id)
    if case is None:
        raise LookupError(f"case {event.case_id} does not exist")
    destination = reporter_destination(await session.get(Reporter, case.id), settings)
    if destination is None:
        return False
    body = render(template, await _message_context(session, case, event, template, settings))
    return await repo.queue_message(
        session,
        case_id=case.id,
        event_id=event.id,
        audience="reporter",
        channel=destination.channel,
        recipient=destination.recipient,
        template=template,
        body=body,
        dedup_key=f"{event.id}:reporter",
    )


# -- sending ---------------------------------------------------------------------------------------


def retry_delay(attempts: int, retry_after: float | None = None) -> float:
    """Exponential backoff with equal jitter (never zero), at least the provider's hint."""
    ceiling = min(RETRY_CAP_S, RETRY_BASE_S * 2 ** max(attempts - 1, 0))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)
    return max(delay, min(retry_after or 0.0, RETRY_CAP_S))


@dataclass(frozen=True, slots=True)
class _Outgoing:
    id: int
    case_id: int | None
    channel: str
    recipient: str
    template: str
    audience: str
    body: str
    attempts: int


async def send_due_messages(
    db: Database, settings: Settings, client: httpx.AsyncClient, *, limit: int = SEND_BATCH
) -> int:
    """Claim due messages and send each; returns how many were claimed.

    No database transaction is held while a provider is called: claim (commit), send,
    then record the outcome in a new transaction. Only ``outbound_messages`` is written:
    a failed send never touches the case.
    """
    claimed = await repo.claim_due(db, limit=limit, lease_s=SEND_LEASE_S)
    if not claimed:
        return 0
    gate = asyncio.Semaphore(SEND_CONCURRENCY)

    async def bounded(message_id: int) -> None:
        async with gate:
            await deliver(db, settings, client, message_id)

    await asyncio.gather(*(bounded(i) for i in claimed))
    return len(claimed)


async def deliver(
    db: Database, settings: Settings, client: httpx.AsyncClient, message_id: int
) -> str:
    """Send one claimed message and record the outcome: ``sent``, ``retry`` or ``dead``."""
    async with db.session() as session:
        row = await session.get(OutboundMessage, message_id)
        if row is None or row.status != "pending":
            return "skipped"
        message = _Outgoing(
            row.id,
            row.case_id,
            row.channel,
            row.recipient,
            row.template,
            row.audience,
            row.body,
            row.attempts,
        )
    outcome, detail, delay = await _send(settings, client, message)
    async with db.session() as session:
        if outcome == "sent":
            await repo.mark_sent(session, message.id, detail)
        elif outcome == "retry":
            await repo.mark_retry(session, message.id, detail or "", delay)
        else:
            await repo.mark_dead(session, message.id, detail or "")
    OUTBOUND_SENT.labels(message.channel, outcome).inc()
    if outcome != "sent":
        # The reason is the adapter's, already scrubbed of secrets; never the recipient or body.
        log.warning(
            "outbound_message_failed",
            message_id=message.id,
            case_id=message.case_id,
            channel=message.channel,
            attempts=message.attempts,
            outcome=outcome,
            reason=(detail or "")[:300],
        )
    return outcome


async def _send(
    settings: Settings, client: httpx.AsyncClient, message: _Outgoing
) -> tuple[str, str | None, float]:
    if message.channel == LOG_CHANNEL:
        # Privacy: the line names the message, never its recipient or its text.
        log.info(
            "outbound_message_logged",
            message_id=message.id,
            case_id=message.case_id,
            audience=message.audience,
            template=message.template,
        )
        return "sent", None, 0.0
    adapter = ADAPTERS.get(message.channel)
    if adapter is None or not send_configured(message.channel, settings):
        return "dead", f"channel not configured: {message.channel}", 0.0
    try:
        provider_id = await adapter.send_reply(client, message.recipient, message.body, settings)
    except ChannelSendError as exc:
        if exc.transient and message.attempts < MAX_SEND_ATTEMPTS:
            return "retry", exc.reason, retry_delay(message.attempts, exc.retry_after)
        return "dead", exc.reason, 0.0
    except Exception as exc:  # noqa: BLE001 - an adapter bug must not wedge the queue
        reason = f"{message.channel}: unexpected {type(exc).__name__}"
        if message.attempts < MAX_SEND_ATTEMPTS:
            return "retry", reason, retry_delay(message.attempts)
        return "dead", reason, 0.0
    return "sent", provider_id, 0.0
