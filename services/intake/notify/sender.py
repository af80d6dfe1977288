"""The outbox sender: each due ``outbound_messages`` row leaves once, by the right means.

No database transaction is held while a provider is called: claim (commit), send, then
record the outcome in a new transaction. Outcomes: ``sent``; ``retry`` (transient trouble,
backoff with jitter, at most :data:`MAX_SEND_ATTEMPTS`); ``dead`` (a refusal, a channel
that is not configured or cannot carry the message, or too many attempts) — visible to
operators at ``GET /admin/outbound-messages`` and replayable.

How it leaves (``window``): WhatsApp and Messenger take free text only within 24 hours of
the citizen's last message; later a WhatsApp template or a Messenger message tag, where
one is configured for the message type. E-mail leaves over SMTP (``email``), ``log`` as a
log line.

When a reporter's message is refused (by the provider, or because the channel cannot carry
it), the refusal is written on the case's timeline (``case.message_refused``, no address,
no text) and the message is queued again on the next way to reach the reporter: SMS if
they gave a phone (and an SMS channel is configured), else e-mail. Each way is tried once.
An officer's message goes the person's next way instead (``params["fallbacks"]``, from
``shared/notify/officers.py``): e-mail, then the ``log`` line the operator sees.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, replace
from typing import Any

import httpx
import structlog
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.channels import ADAPTERS, ChannelSendError
from services.intake.channels.base import scrub
from services.intake.channels.facebook import FacebookAdapter
from services.intake.channels.whatsapp import WhatsAppAdapter
from services.intake.notify import email, window
from services.intake.notify import repository as repo
from services.intake.notify.destinations import (
    LOG_CHANNEL,
    SMS_CHANNELS,
    configured_sms_adapter,
    send_configured,
)
from services.intake.notify.templates import MessageContext, render, render_sms
from shared import sms
from shared.auth import SYSTEM
from shared.cases.events import CaseEvent
from shared.config import Settings
from shared.db import Database
from shared.events import emit
from shared.models import Case, OutboundMessage, Reporter, utcnow
from shared.notify.messages import body_for as officer_body
from shared.notify.officers import Way

log = structlog.get_logger("simpul.intake.notify")

OUTBOUND_SENT = Counter(
    "simpul_outbound_messages_total", "Outbound messages by outcome", ["channel", "outcome"]
)

MAX_SEND_ATTEMPTS = 8
RETRY_BASE_S = 5.0
RETRY_CAP_S = 3600.0
SEND_BATCH = 50
SEND_CONCURRENCY = 8
SEND_LEASE_S = 120.0
#: The timeline event of a refused (or uncarriable) message to the reporter.
MESSAGE_REFUSED_EVENT = CaseEvent.MESSAGE_REFUSED
#: The WhatsApp template key of officers' notices (they never write to us: no window).
OFFICER_TEMPLATE = "officer"


def retry_delay(attempts: int, retry_after: float | None = None) -> float:
    """Exponential backoff with equal jitter (never zero), at least the provider's hint."""
    ceiling = min(RETRY_CAP_S, RETRY_BASE_S * 2 ** max(attempts - 1, 0))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)
    return max(delay, min(retry_after or 0.0, RETRY_CAP_S))


@dataclass(frozen=True, slots=True)
class Outgoing:
    id: int
    case_id: int | None
    channel: str
    recipient: str
    template: str
    audience: str
    body: str
    attempts: int
    dedup_key: str
    params: dict[str, Any]
    tracking_id: str | None = None
    last_inbound: Any = None


async def send_due_messages(
    db: Database, settings: Settings, client: httpx.AsyncClient, *, limit: int = SEND_BATCH
) -> int:
    """Claim due messages and send each; returns how many were claimed."""
    claimed = await repo.claim_due(db, limit=limit, lease_s=SEND_LEASE_S)
    if not claimed:
        return 0
    gate = asyncio.Semaphore(SEND_CONCURRENCY)

    async def bounded(message_id: int) -> None:
        async with gate:
            await deliver(db, settings, client, message_id)

    await asyncio.gather(*(bounded(i) for i in claimed))
    return len(claimed)


async def _load(session: AsyncSession, row: OutboundMessage) -> Outgoing:
    case = await session.get(Case, row.case_id) if row.case_id else None
    last_inbound = None
    if row.channel in window.WINDOW_CHANNELS and row.audience == "reporter" and case is not None:
        last_inbound = await repo.last_reporter_message_at(session, case.id)
    return Outgoing(
        id=row.id,
        case_id=row.case_id,
        channel=row.channel,
        recipient=row.recipient,
        template=row.template,
        audience=row.audience,
        body=row.body,
        attempts=row.attempts,
        dedup_key=row.dedup_key,
        params=dict(row.params or {}),
        tracking_id=case.tracking_id if case is not None else None,
        last_inbound=last_inbound,
    )


async def deliver(
    db: Database, settings: Settings, client: httpx.AsyncClient, message_id: int
) -> str:
    """Send one claimed message and record the outcome: ``sent``, ``retry`` or ``dead``."""
    async with db.session() as session:
        row = await session.get(OutboundMessage, message_id)
        if row is None or row.status != "pending":
            return "skipped"
        message = await _load(session, row)
    outcome, detail, delay = await _send(settings, client, message)
    async with db.session() as session:
        if outcome == "sent":
            await repo.mark_sent(session, message.id, detail)
        elif outcome == "retry":
            await repo.mark_retry(session, message.id, detail or "", delay)
        else:
            await repo.mark_dead(session, message.id, detail or "")
            if message.audience == "reporter" and message.case_id is not None:
                await _after_refusal(session, settings, message, detail or "")
            elif message.params.get("fallbacks"):
                await _officer_fallback(session, settings, message)
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
            reason=_private(detail or "", message.recipient)[:300],
        )
    return outcome


def _failure(exc: ChannelSendError, message: Outgoing) -> tuple[str, str | None, float]:
    if exc.transient and message.attempts < MAX_SEND_ATTEMPTS:
        return "retry", exc.reason, retry_delay(message.attempts, exc.retry_after)
    return "dead", exc.reason, 0.0


async def _send(
    settings: Settings, client: httpx.AsyncClient, message: Outgoing
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
    try:
        if message.channel == email.EMAIL_CHANNEL:
            return "sent", await _send_email(settings, message), 0.0
        if message.channel == "sms":  # an officer's SMS: whichever SMS adapter is configured
            message = replace(message, channel=configured_sms_adapter(settings) or "sms")
        adapter = ADAPTERS.get(message.channel)
        if adapter is None or not send_configured(message.channel, settings):
            return "dead", f"channel not configured: {message.channel}", 0.0
        request = _provider_request(settings, message)
        if isinstance(request, str):
            return "dead", request, 0.0
        return "sent", await adapter.send_request(client, request, settings), 0.0
    except ChannelSendError as exc:
        return _failure(exc, message)
    except Exception as exc:  # noqa: BLE001 - an adapter bug must not wedge the queue
        reason = f"{message.channel}: unexpected {type(exc).__name__}"
        if message.attempts < MAX_SEND_ATTEMPTS:
            return "retry", reason, retry_delay(message.attempts)
        return "dead", reason, 0.0


def _provider_request(settings: Settings, message: Outgoing) -> httpx.Request | str:
    """The provider call for ``message`` as the channel's window allows, or the reason it
    cannot be carried (a string, recorded on the case)."""
    adapter = ADAPTERS[message.channel]
    if message.channel not in window.WINDOW_CHANNELS:
        return adapter.build_reply(message.recipient, message.body, settings)
    key = message.template if message.audience == "reporter" else OFFICER_TEMPLATE
    how = window.carriage(message.channel, key, message.last_inbound, utcnow(), settings)
    if how.kind == "none":
        return f"{message.channel}: {how.reason}"
    if how.kind == "template" and how.template is not None:
        values = message.params.get("context") or {"tracking_id": message.tracking_id}
        if not isinstance(adapter, WhatsAppAdapter):
            return f"{message.channel}: no templates"
        return adapter.build_template(
            message.recipient,
            how.template.name,
            how.template.language,
            window.template_parameters(key, values),
            settings,
        )
    if how.kind == "tag" and isinstance(adapter, FacebookAdapter):
        return adapter.build_tagged(message.recipient, message.body, how.tag, settings)
    return adapter.build_reply(message.recipient, message.body, settings)


async def _send_email(settings: Settings, message: Outgoing) -> str:
    tid = message.tracking_id or (message.params.get("context") or {}).get("tracking_id")
    subject = message.params.get("subject") or (
        f"[#{tid}] Laporan {tid} — {settings.pemda_name}" if tid else settings.pemda_name
    )
    built = email.build_message(
        settings,
        to=message.recipient,
        subject=subject,
        body=message.body,
        msg_id=email.message_id(settings, tid, message.id),
        in_reply_to=message.params.get("in_reply_to"),
    )
    return await email.send_email(settings, built)


# -- refusals: on the timeline, then the next way to reach the reporter ---------------------------


def _private(reason: str, recipient: str) -> str:
    """A provider's reason without the address it was about (Twilio names the number)."""
    digits = recipient.removeprefix("whatsapp:").lstrip("+")
    return scrub(reason, [recipient, digits, "0" + digits[2:] if digits.startswith("62") else ""])


def next_destination(
    reporter: Reporter | None, settings: Settings, tried: set[str]
) -> tuple[str, str] | None:
    """The next (channel, address) to try for a reporter: SMS to their phone, then e-mail."""
    if reporter is None:
        return None
    sms_adapter = configured_sms_adapter(settings)
    if reporter.phone and sms_adapter and not tried & SMS_CHANNELS:
        return sms_adapter, reporter.phone
    if reporter.email and email.email_configured(settings) and email.EMAIL_CHANNEL not in tried:
        return email.EMAIL_CHANNEL, reporter.email
    return None


def body_for(channel: str, message: Outgoing, context: dict[str, Any] | None) -> str:
    """The message re-worded for ``channel`` (one SMS segment where it can)."""
    tid = message.tracking_id or ""
    if context and message.template in window.TEMPLATE_PARAMETERS:
        ctx = MessageContext(**context)
        return (
            render_sms(message.template, ctx)
            if channel in SMS_CHANNELS
            else render(message.template, ctx)
        )
    return sms.fit(tid, message.body) if channel in SMS_CHANNELS and tid else message.body


async def _after_refusal(
    session: AsyncSession, settings: Settings, message: Outgoing, reason: str
) -> None:
    tried = set(message.params.get("tried") or []) | {message.channel}
    reporter = await session.get(Reporter, message.case_id)
    fallback = next_destination(reporter, settings, tried)
    await emit(
        session,
        MESSAGE_REFUSED_EVENT,
        SYSTEM,
        case_id=message.case_id,
        reason=_private(reason, message.recipient)[:500],
        data={
            "channel": message.channel,
            "template": message.template,
            "fallback": fallback[0] if fallback else None,
        },
    )
    if fallback is None:
        return
    channel, address = fallback
    context = message.params.get("context")
    await repo.queue_message(
        session,
        case_id=message.case_id,
        event_id=None,
        audience="reporter",
        channel=channel,
        recipient=address,
        template=message.template,
        body=body_for(channel, message, context),
        dedup_key=f"{message.dedup_key}>{channel}",
        params={**message.params, "tried": sorted(tried)},
    )


async def _officer_fallback(session: AsyncSession, settings: Settings, message: Outgoing) -> None:
    """An officer's message that could not leave goes the person's next way (e-mail, then
    the ``log`` line the operator sees), carrying the rest of the list."""
    (channel, address), *rest = message.params["fallbacks"]
    officer = message.params.get("officer") or {}
    notice = officer.get("notice") or message.body
    body = officer_body(
        Way(channel, address),
        tracking_id=message.tracking_id,
        notice=notice,
        link=officer.get("link") or "",
        pemda=settings.pemda_name,
    )
    await repo.queue_message(
        session,
        case_id=message.case_id,
        event_id=None,
        audience=message.audience,
        channel=channel,
        recipient=address,
        template=message.template,
        body=body,
        dedup_key=f"{message.dedup_key}>{channel}",
        params={**message.params, "fallbacks": rest},
    )
