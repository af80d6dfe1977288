"""E-mail out over SMTP (aiosmtplib: an asyncio client, TLS or STARTTLS, timeouts).

Every message is an ``outbound_messages`` row like any other delivery; this module only
turns one row into one SMTP transaction and translates SMTP trouble into the outbox's
terms (:class:`~services.intake.channels.ChannelSendError`): a refused recipient or
another permanent (5xx) answer is terminal; a 4xx answer, a refused or dropped
connection or a timeout is transient (retried with backoff, then dead-lettered).

Threading: each message carries ``Message-ID: <simpul.<tracking id>.<row id>@<domain>>``
and the subject ``[#<tracking id>] ...``, so a reporter's reply (``In-Reply-To``,
``References`` or the subject) joins the case again (``services.intake.channels.email``).
Our messages say ``Auto-Submitted: auto-generated`` (RFC 3834), so well-behaved
auto-responders do not answer them.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, formatdate

import aiosmtplib

from services.intake.channels import ChannelSendError
from shared.config import Settings

EMAIL_CHANNEL = "email"


def email_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host and settings.smtp_from)


def mail_domain(settings: Settings) -> str:
    return settings.smtp_from.rpartition("@")[2] or "simpul.invalid"


def message_id(settings: Settings, tracking_id: str | None, row_id: int) -> str:
    """Our Message-ID for an outbound row; it names the case so replies can be threaded."""
    return f"<simpul.{tracking_id or 'x'}.{row_id}@{mail_domain(settings)}>"


def build_message(
    settings: Settings,
    *,
    to: str,
    subject: str,
    body: str,
    msg_id: str,
    in_reply_to: str | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((settings.pemda_name, settings.smtp_from))
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = msg_id
    message["Auto-Submitted"] = "auto-generated"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message.set_content(body)
    return message


async def send_email(settings: Settings, message: EmailMessage) -> str:
    """Send one message; returns its Message-ID. Raises :class:`ChannelSendError`."""
    if not email_configured(settings):
        raise ChannelSendError("email: SIMPUL_SMTP_HOST is not set", transient=False)
    security = settings.smtp_security
    try:
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username or None,
            password=settings.smtp_password.get_secret_value() or None,
            use_tls=security == "tls",
            start_tls=True if security == "starttls" else False,
            timeout=settings.smtp_timeout_s,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [getattr(r, "code", 0) for r in exc.recipients]
        permanent = bool(codes) and all(code >= 500 for code in codes)
        raise ChannelSendError(
            f"email: recipient refused ({', '.join(str(c) for c in codes)})",
            transient=not permanent,
            status_code=codes[0] if codes else None,
        ) from exc
    except aiosmtplib.SMTPResponseException as exc:
        raise ChannelSendError(
            f"email: server answered {exc.code}: {exc.message[:200]}",
            transient=exc.code < 500,
            status_code=exc.code,
        ) from exc
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise ChannelSendError(f"email: {type(exc).__name__}", transient=True) from exc
    return str(message["Message-ID"])
