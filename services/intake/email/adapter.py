"""E-mail as a channel: the inbound-mail webhook behind the one channel interface.

``POST /webhooks/email/mime``: the provider's post (``multipart/form-data`` or form-encoded)
carries the raw message as ``body-mime``, the SMTP envelope sender as ``sender`` and the
signature fields (``signature.py``). One post is one message; its dedup key is the
message's ``Message-ID``. What :meth:`EmailAdapter.parse` leaves out (no case, no reply,
a log line): auto-replies and bounces (``mime.automatic_reason``). A message with no text
and no attachment is accepted and stored, and opens nothing (``conversation``: ignored).

Replies to e-mail reporters leave over SMTP through the outbox
(``services/intake/notify/email.py``), not through this adapter.
"""

from __future__ import annotations

import io
from typing import ClassVar

import httpx
import structlog
from python_multipart import parse_form
from python_multipart.exceptions import FormParserError

from services.intake.channels.base import (
    ChannelAdapter,
    ChannelSendError,
    InboundMessage,
    InboundRequest,
    MediaRef,
    PayloadError,
    secret_value,
)
from services.intake.email import mime, signature
from shared.config import Settings
from shared.guard import repair_text

log = structlog.get_logger("simpul.intake.email")

EMAIL_ADAPTER = "email"
#: The form field holding the raw message (Mailgun's "forward" to a ``.../mime`` URL).
RAW_FIELD = "body-mime"


class EmailAdapter(ChannelAdapter):
    name: ClassVar[str] = EMAIL_ADAPTER
    path: ClassVar[str] = "/webhooks/email/mime"

    def enabled(self, settings: Settings) -> bool:
        return bool(secret_value(settings.email_webhook_signing_key))

    def verify(self, request: InboundRequest, settings: Settings, now: float | None = None) -> None:
        signature.verify(secret_value(settings.email_webhook_signing_key), _text_fields(request))

    def parse(self, request: InboundRequest) -> list[InboundMessage]:
        fields, raw = _fields(request)
        if raw is None:
            raise PayloadError(RAW_FIELD, "missing")
        try:
            mail = mime.parse(raw, envelope_sender=fields.get("sender"))
        except mime.MailError as exc:
            raise PayloadError(RAW_FIELD, str(exc)) from exc
        if mail.automatic:
            log.info("email_not_a_complaint", reason=mail.automatic)
            return []
        text = mail.text or ("" if mail.thread else _subject_text(mail.subject))
        return [
            InboundMessage(
                channel=EMAIL_ADAPTER,
                provider_message_id=mail.message_id,
                sender=mail.sender,
                text=text,
                sender_name=mail.sender_name,
                recipient=fields.get("recipient") or None,
                received_at=mail.date,
                subject=mail.subject or None,
                thread=mail.thread,
                thread_tracking_id=mail.our_tracking_id,
                media=tuple(
                    MediaRef(
                        kind="image" if a.content_type.startswith("image/") else "document",
                        ref=f"email-attachment-{index}",
                        content_type=a.content_type,
                        filename=a.filename,
                        data=a.data,
                    )
                    for index, a in enumerate(mail.attachments, start=1)
                ),
                raw_ref=mail.message_id,
            )
        ]

    def build_reply(self, to: str, text: str, settings: Settings) -> httpx.Request:
        raise ChannelSendError("email: replies leave over SMTP (notify)", transient=False)

    def _provider_message_id(self, response: httpx.Response) -> str:
        return ""


def _subject_text(subject: str) -> str:
    """A subject as the complaint's text when the body is empty (never a reply's "Re: ...")."""
    return "" if subject.lower().startswith(("re:", "aw:", "balas:")) else subject


def _fields(request: InboundRequest) -> tuple[dict[str, str], bytes | None]:
    """The post's text fields and the raw message, from ``multipart/form-data`` (parsed by
    python-multipart, Starlette's own parser, over the exact bytes) or a form body."""
    content_type = request.header("content-type") or ""
    if not content_type.lower().startswith("multipart/form-data"):
        fields = dict(request.form_params(repair=True))
        raw = fields.pop(RAW_FIELD, None)
        return fields, raw.encode("utf-8") if raw is not None else None
    values: dict[str, bytes] = {}

    def on_field(item) -> None:
        if item.field_name:
            values[item.field_name.decode("utf-8", "replace")] = item.value or b""

    def on_file(item) -> None:
        item.file_object.seek(0)
        values[item.field_name.decode("utf-8", "replace")] = item.file_object.read()

    try:
        parse_form(
            {"Content-Type": content_type.encode("latin-1", "replace")},
            io.BytesIO(request.body),
            on_field,
            on_file,
        )
    except (FormParserError, ValueError) as exc:
        raise PayloadError("body", "not a multipart form") from exc
    raw = values.pop(RAW_FIELD, None)
    fields = {k: repair_text(v.decode("utf-8", errors="replace")) for k, v in values.items()}
    return fields, raw


def _text_fields(request: InboundRequest) -> dict[str, str]:
    try:
        return _fields(request)[0]
    except PayloadError:
        return {}
