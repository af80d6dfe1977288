"""Reading one raw e-mail (RFC 5322 / MIME) into what intake needs, with the standard
library's parser (``email.policy.default``: headers decoded, ``get_body`` picks the text).

- **Not a complaint** (:func:`automatic_reason`): auto-replies and bounces never open a
  case — RFC 3834 ``Auto-Submitted`` other than ``no``, ``Precedence: bulk / junk / list /
  auto_reply``, the vacation headers (``X-Autoreply``, ``X-Autorespond``), delivery status
  and disposition notifications (``multipart/report``), and mail from ``MAILER-DAEMON`` or
  ``postmaster``.
- **The text**: the plain part, else the HTML part made plain; the quoted history of a
  reply (lines after "On ... wrote:" / "Pada ... menulis:", ``>`` lines) is left out, so a
  reply joining a case adds what is new.
- **Threading**: ``In-Reply-To`` and ``References`` (message ids, newest first); our own
  ids name the case (``<simpul.<tracking id>.<n>@...>``, ``services/intake/notify/email``).
- **Attachments**: every part with a file name or ``Content-Disposition: attachment``
  (inline images too), as bytes; their type and size are checked where they are stored.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

#: ``Precedence`` values of mail no person wrote (RFC 3834 section 2, common practice).
AUTOMATIC_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
_SYSTEM_SENDERS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|noreply)@", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
_OUR_ID = re.compile(r"^<simpul\.([A-Za-z0-9]{8})\.\d+@", re.IGNORECASE)
_QUOTE_HEADER = re.compile(r"^\s*(on|pada)\b.{0,300}\b(wrote|menulis)\s*:\s*$", re.IGNORECASE)
_FORWARD_MARK = re.compile(r"^-{2,}\s*(original message|pesan asli)\s*-{2,}$", re.IGNORECASE)
#: Longest text kept (a case description is at most 5,000 characters elsewhere; e-mail is
#: wordier, and the raw message is kept whole in ``inbound_deliveries``).
MAX_TEXT = 10_000


@dataclass(frozen=True, slots=True)
class MailAttachment:
    filename: str | None
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Mail:
    message_id: str
    sender: str  # the From address, lower-case
    sender_name: str | None
    subject: str
    text: str
    date: datetime | None
    thread: tuple[str, ...] = ()
    attachments: tuple[MailAttachment, ...] = field(default=())
    automatic: str | None = None  # why it is not a person's message, or None

    @property
    def our_tracking_id(self) -> str | None:
        """The case one of our own messages in the thread names (a reply to us)."""
        for ref in self.thread:
            match = _OUR_ID.match(ref)
            if match:
                return match.group(1).upper()
        return None


class MailError(ValueError):
    """Not an e-mail Simpul can read (``str()`` names the part)."""


def parse(raw: bytes, *, envelope_sender: str | None = None) -> Mail:
    """One raw message. ``envelope_sender`` is the SMTP ``MAIL FROM`` when the provider
    gives it (empty for bounces, RFC 5321)."""
    if not raw.strip():
        raise MailError("message: empty")
    message = message_from_bytes(raw, policy=default)
    if not isinstance(message, EmailMessage):  # pragma: no cover - policy=default gives one
        raise MailError("message: not a MIME message")
    try:
        addresses = getaddresses([str(message.get("From", ""))])
    except (TypeError, ValueError, IndexError):
        addresses = []
    name, address = addresses[0] if addresses else ("", "")
    address = address.strip().lower()
    if "@" not in address:
        raise MailError("From: no address")
    message_id = _first_id(str(message.get("Message-ID", "")))
    if message_id is None:  # no id: the content names it, so a redelivery is still one
        message_id = f"<sha256.{hashlib.sha256(raw).hexdigest()}@simpul.invalid>"
    thread = _ids(str(message.get("In-Reply-To", ""))) + tuple(
        reversed(_ids(str(message.get("References", ""))))
    )
    return Mail(
        message_id=message_id,
        sender=address[:200],
        sender_name=(name or "").strip()[:200] or None,
        subject=" ".join(str(message.get("Subject", "")).split())[:300],
        text=_text_of(message)[:MAX_TEXT],
        date=_date_of(message),
        thread=tuple(dict.fromkeys(thread)),
        attachments=tuple(_attachments(message)),
        automatic=automatic_reason(message, address, envelope_sender),
    )


def automatic_reason(
    message: EmailMessage, address: str, envelope_sender: str | None = None
) -> str | None:
    """Why ``message`` was written by a machine (never a case), or None for a person's."""
    auto = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto[:40]}"
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in AUTOMATIC_PRECEDENCE:
        return f"Precedence: {precedence}"
    for header in ("X-Autoreply", "X-Autorespond"):
        if header in message:
            return header
    if message.get_content_type() == "multipart/report":
        kind = message.get_param("report-type") or "report"
        return f"multipart/report; report-type={str(kind)[:40]}"
    if _SYSTEM_SENDERS.match(address):
        return f"From: {address.partition('@')[0]}"
    if envelope_sender is not None and envelope_sender.strip() in ("", "<>"):
        return "empty envelope sender (a bounce)"
    return None


def _first_id(value: str) -> str | None:
    match = _MESSAGE_ID.search(value)
    return match.group(0) if match else None


def _ids(value: str) -> tuple[str, ...]:
    return tuple(_MESSAGE_ID.findall(value))[:50]


def _date_of(message: EmailMessage) -> datetime | None:
    try:
        moment = parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        content = body.get_content()
    except (LookupError, ValueError, AssertionError):  # an unknown charset, a broken part
        payload = body.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if body.get_content_type() == "text/html":
        content = _PlainText.of(content)
    return _without_quoted_history(content.replace("\x00", "\ufffd")).strip()


def _without_quoted_history(text: str) -> str:
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if _QUOTE_HEADER.match(line) or _FORWARD_MARK.match(line.strip()):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept))


def _attachments(message: EmailMessage):
    for part in message.iter_attachments() if message.is_multipart() else ():
        yield from _files_in(part)


def _files_in(part: EmailMessage):
    if part.is_multipart():  # a forwarded message or a nested alternative
        for sub in part.iter_parts():
            if sub.get_filename() or sub.get_content_disposition() == "attachment":
                yield from _files_in(sub)
        return
    data = part.get_payload(decode=True)
    if isinstance(data, bytes) and data:
        yield MailAttachment(part.get_filename(), part.get_content_type(), data)


class _PlainText(HTMLParser):
    """The text of an HTML mail part: tags dropped, blocks on their own lines."""

    _BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag) -> None:
        if tag in ("script", "style", "head") and self._skip:
            self._skip -= 1

    def handle_data(self, data) -> None:
        if not self._skip:
            self.parts.append(data)

    @classmethod
    def of(cls, html: str) -> str:
        parser = cls()
        parser.feed(html)
        parser.close()
        lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
        return "\n".join(line for line in lines if line)
