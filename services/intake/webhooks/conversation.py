"""Conversation threading: which case a reporter's channel message belongs to.

The rules, in order (DESIGN.md: "follow-up messages from the same reporter about the same
case join that case, not a new one"). A reporter is a case channel (``sms``, ``whatsapp``,
``telegram``, ``facebook``) plus a normalized address (E.164 phone, chat id, PSID).

1. ``CEK <id>`` asks for a status: answered, no case is created or touched.
2. A single digit 1–5 from a reporter whose latest resolved case has no rating yet rates
   it (``case.rated``).
3. A message naming a tracking ID (``#ABC12345 foto terlampir``) joins THAT case — only if
   the case's reporter has this address (or this phone number); otherwise the naming is
   ignored, the message becomes a new case and the reply says so.
4. A message from a reporter with a case ``awaiting_info`` answers it: joins the case and
   moves it back to verification (``provide-info`` as the reporter, ``case.info_provided``).
5. A message within :data:`CONVERSATION_WINDOW` of the reporter's latest open case joins
   it, so a complaint sent as a burst (text, then photos, then a location) is one case.
6. Otherwise: a new case.

A joined message is a ``CaseMessage(kind="reporter")`` plus ``case.message_received``.
Media are ``Attachment`` rows holding the provider's reference, fetched later by the
``media`` worker (``services.intake.media``), never in the request. The caller serializes messages per reporter (see ``repository``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.channels import InboundMessage
from services.intake.webhooks import replies, repository
from shared.auth import Actor
from shared.cases.events import CaseEvent, ReporterMessagePayload
from shared.cases.service import NewCase, ReporterInput, create_case, get_by_tracking_id
from shared.cases.workflow import apply
from shared.config import Settings
from shared.events import emit
from shared.lifecycle import TERMINAL, Action, Role, Status
from shared.models import Attachment, Case, CaseMessage, utcnow
from shared.phones import try_normalize_phone
from shared.storage import AttachmentStore, display_filename, sniff_content_type
from shared.tracking import find_in_text, normalize

#: The ``media`` consumer's event (``services.intake.media``).
MEDIA_EVENT = "media.received"
#: Files a delivery carries itself (e-mail): the REST limit.
MAX_INLINE_MEDIA_BYTES = 5 * 1024 * 1024

#: A message this soon after the reporter's latest open case joins it (rule 5).
CONVERSATION_WINDOW = timedelta(minutes=30)
#: A provider timestamp further in the past than this is not trusted as the receipt time.
MAX_PROVIDER_CLOCK_LAG = timedelta(days=7)
MAX_PROVIDER_CLOCK_LEAD = timedelta(minutes=5)
#: Adapter name -> the channel recorded on the case.
CASE_CHANNEL = {
    "twilio": "sms",
    "sms_gateway": "sms",
    "whatsapp": "whatsapp",
    "telegram": "telegram",
    "facebook": "facebook",
    "email": "email",
}
_PHONE_ADAPTERS = frozenset({"twilio", "sms_gateway", "whatsapp"})
_STATUS_COMMAND = re.compile(r"^\s*CEK\b\s*#?\s*([A-Za-z0-9\-\s]{1,20}?)\s*$", re.IGNORECASE)
_RATING = re.compile(r"^\s*([1-5])\s*[.!]?\s*$")
EMPTY_TEXT_WITH_MEDIA = "(lampiran tanpa keterangan)"


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sent a message, as the threading rules see it."""

    adapter: str
    case_channel: str
    address: str  # where replies go; also the threading key with ``case_channel``
    phone: str | None

    @property
    def lock_key(self) -> str:
        return f"{self.case_channel}|{self.address}"

    @property
    def sms(self) -> bool:
        """Replies to this sender are SMS (one segment where they can)."""
        return replies.is_sms(self.adapter, self.address)


def sender_of(adapter: str, message: InboundMessage) -> Sender:
    """The normalized sender: phones as E.164 (Twilio-WhatsApp keeps its ``whatsapp:``)."""
    phone = message.sender_phone or (
        try_normalize_phone(message.sender) if adapter in _PHONE_ADAPTERS else None
    )
    via_whatsapp = message.sender.lower().startswith("whatsapp:")
    case_channel = "whatsapp" if (adapter == "twilio" and via_whatsapp) else CASE_CHANNEL[adapter]
    if adapter in _PHONE_ADAPTERS and phone:
        address = ("whatsapp:" if via_whatsapp else "") + phone
    else:
        address = message.sender.strip()
    return Sender(adapter=adapter, case_channel=case_channel, address=address[:200], phone=phone)


@dataclass
class Outcome:
    """What happened to one message, and what the reporter should be told."""

    kind: str  # new_case, joined, info_provided, status_query, rated, ignored
    case: Case | None = None
    #: The full reply for this message (sent inline where the provider allows it).
    reply: str | None = None
    #: The part of ``reply`` no event template covers (queued through the outbox when
    #: the reply cannot go inline); None when notify's event templates say it all.
    extra_reply: str | None = None
    events: list[str] = field(default_factory=list)


def reporter_actor(adapter: str) -> Actor:
    """The reporter as an actor: no identity in the event log, only the channel."""
    return Actor(type="reporter", id=f"channel:{adapter}", name=None, role=Role.REPORTER)


async def handle_message(
    session: AsyncSession, settings: Settings, message: InboundMessage, sender: Sender
) -> Outcome:
    """Apply the threading rules to one accepted message. Only flushes."""
    text = (message.text or "").strip()
    if not text and not message.media and message.location is None:
        return Outcome("ignored")

    command = _STATUS_COMMAND.match(text)
    if command:
        return await _status_query(session, settings, command.group(1), sender.sms)

    rating = _RATING.match(text)
    if rating and not message.media:
        resolved = await repository.latest_case_of_reporter(
            session, sender.case_channel, sender.address, statuses=[Status.RESOLVED]
        )
        if resolved is not None and not resolved.rated_in_simpul:
            return await _rate(session, resolved, int(rating.group(1)), sender)

    named = find_in_text(text) or await _thread_case(session, message)
    note = None
    if named:
        case = await get_by_tracking_id(session, named)
        if case is not None and await _belongs_to(session, case, sender):
            return await _join(session, settings, case, message, sender)
        note = replies.not_your_case(named)

    if note is None:
        waiting = await repository.latest_case_of_reporter(
            session, sender.case_channel, sender.address, statuses=[Status.AWAITING_INFO]
        )
        if waiting is not None:
            return await _join(session, settings, waiting, message, sender)
        latest = await repository.latest_case_of_reporter(
            session, sender.case_channel, sender.address
        )
        if (
            latest is not None
            and latest.status not in TERMINAL
            and latest.received_at >= utcnow() - CONVERSATION_WINDOW
        ):
            return await _join(session, settings, latest, message, sender)

    return await _new_case(session, settings, message, sender, note, named)


async def _thread_case(session: AsyncSession, message: InboundMessage) -> str | None:
    """E-mail threading: ``#<id>`` in the subject, a reply to one of our messages (its
    Message-ID names the case), or to the reporter's own earlier message on a case."""
    named = find_in_text(message.subject or "") or message.thread_tracking_id
    if named or not message.thread:
        return named
    for ref in message.thread[:20]:
        tracking_id = await repository.delivered_case_tracking_id(
            session, message.channel, ref[:200]
        )
        if tracking_id:
            return tracking_id
    return None


async def _belongs_to(session: AsyncSession, case: Case, sender: Sender) -> bool:
    reporter = await repository.reporter_of(session, case.id)
    if reporter is None:
        return False
    if sender.case_channel == "email" and (reporter.email or "").lower() == sender.address:
        return True  # a reporter who gave this address on any channel (web, REST, e-mail)
    same_address = (
        case.channel == sender.case_channel
        and reporter.channel in repository.ADAPTERS_OF_CASE_CHANNEL.get(sender.case_channel, ())
        and reporter.channel_address == sender.address
    )
    same_phone = sender.phone is not None and reporter.phone == sender.phone
    return same_address or same_phone


async def _new_case(
    session: AsyncSession,
    settings: Settings,
    message: InboundMessage,
    sender: Sender,
    note: str | None,
    named: str | None = None,
) -> Outcome:
    location = message.location
    raw_phone = message.sender if sender.phone else None
    case = await create_case(
        session,
        NewCase(
            channel=sender.case_channel,
            description=(message.text or "").strip() or EMPTY_TEXT_WITH_MEDIA,
            title=(message.subject or "")[:200] or None,
            lat=location.lat if location else None,
            lon=location.lon if location else None,
            address=(location.address or location.name)[:300]
            if location and (location.address or location.name)
            else None,
            received_at=_receipt_time(message.received_at),
            reporter=ReporterInput(
                channel=sender.adapter,
                channel_address=sender.address,
                name=(message.sender_name or None) and message.sender_name[:200],
                phone=sender.phone,
                phone_raw=raw_phone[:40] if raw_phone else None,
                email=sender.address if sender.case_channel == "email" else None,
            ),
            event_data={"via": sender.adapter, "inline_reply": sender.adapter == "twilio"},
        ),
        reporter_actor(sender.adapter),
    )
    await _attach_media(session, settings, case.id, None, message, sender.adapter)
    ack = replies.new_case(settings, case.tracking_id, sms=sender.sms)
    reply = f"{note} {ack}" if note else ack
    if note and sender.sms and named:
        reply = replies.new_case_not_yours(settings, case.tracking_id, named)
    return Outcome(
        "new_case",
        case=case,
        reply=reply,
        extra_reply=note,
        events=[CaseEvent.RECEIVED],
    )


async def _join(
    session: AsyncSession, settings: Settings, case: Case, message: InboundMessage, sender: Sender
) -> Outcome:
    actor = reporter_actor(sender.adapter)
    thread_message = CaseMessage(
        case_id=case.id,
        kind="reporter",
        body=(message.text or "").strip() or EMPTY_TEXT_WITH_MEDIA,
        channel=sender.case_channel,
        author_type="reporter",
        created_at=_receipt_time(message.received_at),
    )
    session.add(thread_message)
    await session.flush()
    attached = await _attach_media(
        session, settings, case.id, thread_message.id, message, sender.adapter
    )
    located = _locate(case, message)
    payload = ReporterMessagePayload(
        message_id=thread_message.id,
        channel=sender.case_channel,
        via=sender.adapter,
        attachments=attached,
        location_added=located,
        inline_reply=sender.adapter == "twilio",
    )
    data = payload.model_dump()
    await emit(session, CaseEvent.MESSAGE_RECEIVED, actor, case_id=case.id, data=data)
    if case.status != Status.AWAITING_INFO:
        reply = replies.joined(case.tracking_id, sms=sender.sms)
        return Outcome(
            "joined",
            case=case,
            reply=reply,
            extra_reply=reply,
            events=[CaseEvent.MESSAGE_RECEIVED],
        )

    await apply(session, case, Action.PROVIDE_INFO, actor, payload=payload)
    reply = replies.info_provided(case.tracking_id, sms=sender.sms)
    return Outcome(
        "info_provided",
        case=case,
        reply=reply,
        extra_reply=reply,
        events=[CaseEvent.MESSAGE_RECEIVED, CaseEvent.INFO_PROVIDED],
    )


async def _status_query(
    session: AsyncSession, settings: Settings, typed: str, sms: bool = False
) -> Outcome:
    tracking_id = normalize(typed)
    case = await get_by_tracking_id(session, tracking_id) if tracking_id else None
    if case is None:
        reply = replies.unknown_tracking_id(typed.strip()[:20])
    else:
        reply = replies.status_answer(settings, case.tracking_id, case.status, sms=sms)
    # Deliberately not linked to the case: asking for a status is not part of its thread.
    return Outcome("status_query", reply=reply, extra_reply=reply)


async def _rate(session: AsyncSession, case: Case, rating: int, sender: Sender) -> Outcome:
    case.rating = rating
    case.rating_source = None  # the reporter's own: reports use it (over a LAPOR! one)
    await session.flush()
    await emit(
        session,
        CaseEvent.RATED,
        reporter_actor(sender.adapter),
        case_id=case.id,
        data={"rating": rating, "via": sender.adapter, "inline_reply": sender.adapter == "twilio"},
    )
    reply = replies.rated(case.tracking_id, rating, sms=sender.sms)
    return Outcome("rated", case=case, reply=reply, extra_reply=reply, events=[CaseEvent.RATED])


async def _attach_media(
    session: AsyncSession,
    settings: Settings,
    case_id: int,
    message_id: int | None,
    message: InboundMessage,
    adapter: str,
) -> int:
    """Attachment rows for the message's media: bytes the delivery carried are stored now
    (typed by content, size-limited, like REST); provider references are queued for the
    ``media`` worker (``media.received``), which fetches them once, never in this request."""
    pending: list[Attachment] = []
    store = AttachmentStore(settings.data_dir)
    for index, media in enumerate(message.media, start=1):
        ref = media.ref
        # A provider's name is the sender's text: the one sanitiser, as every path.
        name = display_filename(media.filename or f"{media.kind}-{index}", media.content_type)
        if media.data is not None:
            content_type = sniff_content_type(media.data)
            if content_type is None or len(media.data) > MAX_INLINE_MEDIA_BYTES:
                continue  # refused like a REST attachment; the text still opens the case
            stored = await store.put(media.data)
            session.add(
                Attachment(
                    case_id=case_id, message_id=message_id, filename=name,
                    content_type=content_type, size_bytes=stored.size_bytes,
                    sha256=stored.sha256, storage_key=stored.storage_key,
                )
            )  # fmt: skip
            continue
        reference = ref if ref.startswith(("https://", "http://")) else f"{adapter}-media:{ref}"
        row = Attachment(
            case_id=case_id,
            message_id=message_id,
            filename=name,
            content_type=(media.content_type or None) and media.content_type[:100],
            url=reference,
            fetch_channel=adapter,
            fetch_status="pending",
        )
        session.add(row)
        pending.append(row)
    if message.media:
        await session.flush()
    if pending:
        await emit(
            session,
            MEDIA_EVENT,
            reporter_actor(adapter),
            case_id=case_id,
            data={"attachment_ids": [row.id for row in pending], "via": adapter},
        )
    return len(message.media)


def _locate(case: Case, message: InboundMessage) -> bool:
    """A location sent after the complaint fills the case's location if it had none."""
    location = message.location
    if location is None or case.lat is not None:
        return False
    case.lat, case.lon = location.lat, location.lon
    if case.address is None and (location.address or location.name):
        case.address = (location.address or location.name or "")[:300]
    return True


def _receipt_time(provider_time: datetime | None) -> datetime:
    """The provider's timestamp when plausible, else now (SLA clocks start from it)."""
    now = utcnow()
    if provider_time is None:
        return now
    if (
        provider_time > now + MAX_PROVIDER_CLOCK_LEAD
        or provider_time < now - MAX_PROVIDER_CLOCK_LAG
    ):
        return now
    return min(provider_time, now)
