"""Notify's rules: which events reach the reporter, on which channel, in which words.

Where a message goes is ``destinations``; how it leaves (windows, templates, fallbacks,
retries, dead letters) is ``sender``. A message is queued with its rendered body for the
channel (one SMS segment where it can) and, in ``params["context"]``, the values it was
rendered from, so a fallback or a WhatsApp template can word it again.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.notify import repository as repo
from services.intake.notify.destinations import (
    LOG_CHANNEL,
    SMS_ADAPTERS,
    Destination,
    configured_sms_adapter,
    is_sms,
    reporter_destination,
    send_configured,
)
from services.intake.notify.email import EMAIL_CHANNEL
from services.intake.notify.sender import (
    MAX_SEND_ATTEMPTS,
    SEND_BATCH,
    deliver,
    retry_delay,
    send_due_messages,
)
from services.intake.notify.templates import (
    TEMPLATE_FOR_EVENT,
    MessageContext,
    render,
    render_sms,
)
from services.intake.web.rating import rating_url
from shared.cases.events import (
    CaseEvent,
    DisposedPayload,
    InfoRequestedPayload,
    ResponsePayload,
    payload_of,
)
from shared.config import Settings
from shared.models import Case, Event, Opd, Reporter

__all__ = [
    "LOG_CHANNEL",
    "MAX_SEND_ATTEMPTS",
    "SEND_BATCH",
    "SMS_ADAPTERS",
    "Destination",
    "configured_sms_adapter",
    "deliver",
    "notify_reporter",
    "reporter_destination",
    "retry_delay",
    "send_configured",
    "send_due_messages",
]


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
        pemda_name=settings.pemda_name,
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
    context = await _message_context(session, case, event, template, settings)
    sms_body = is_sms(destination.channel, destination.recipient)
    body = render_sms(template, context) if sms_body else render(template, context)
    params: dict[str, Any] = {"context": asdict(context)}
    if destination.channel == EMAIL_CHANNEL:
        in_reply_to = await repo.latest_inbound_email_id(session, case.id)
        if in_reply_to:
            params["in_reply_to"] = in_reply_to
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
        params=params,
    )
