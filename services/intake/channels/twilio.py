"""Twilio Programmable Messaging (SMS, and WhatsApp-through-Twilio): ``POST /webhooks/twilio/sms``.

Twilio signs ``X-Twilio-Signature = base64(HMAC-SHA1(auth token, URL + sorted params))``
where URL is the address Twilio *requested* — the public one. Behind a reverse proxy
the request arrives as ``http://127.0.0.1:8001/webhooks/twilio/sms``, so the URL is
rebuilt from ``SIMPUL_PUBLIC_BASE_URL`` + path (+ ``?query``), never from the Host header.
Like twilio-python's ``RequestValidator`` the URL is tried with and without the explicit
default port. With ``X-Twilio-Webhooks-Signature-Settings: algorithm=HMAC_SHA256``
(SharedKey mode) the same string is signed with HMAC-SHA256.

The webhook answers TwiML (:func:`twiml_reply`); later replies go through the REST
Messages API (:meth:`TwilioAdapter.build_reply`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit, urlunsplit
from xml.sax.saxutils import escape

import httpx

from services.intake.channels.base import (
    ChannelAdapter,
    ChannelSendError,
    InboundMessage,
    InboundRequest,
    Location,
    MediaRef,
    PayloadError,
    SignatureError,
    WebhookAck,
    secret_value,
)
from shared.config import Settings
from shared.crypto import constant_time_equals
from shared.phones import try_normalize_phone

SIGNATURE_HEADER = "X-Twilio-Signature"
SIGNATURE_SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
_DEFAULT_PORTS = {"https": 443, "http": 80}
_HASHES = {"HMAC_SHA1": hashlib.sha1, "HMAC_SHA256": hashlib.sha256}
#: Characters XML 1.0 forbids even escaped; an SMS can carry them (e.g. from a modem).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def compute_signature(
    url: str, params: Iterable[tuple[str, str]], token: str, algorithm: str = "HMAC_SHA1"
) -> str:
    """Twilio's signature of ``url`` and POST ``params`` (twilio-python's exact rules).

    Names are sorted; a repeated name contributes its distinct values, sorted.
    """
    values_by_name: dict[str, set[str]] = {}
    for name, value in params:
        values_by_name.setdefault(name, set()).add(value)
    message = url + "".join(
        name + value for name in sorted(values_by_name) for value in sorted(values_by_name[name])
    )
    digest = hmac.new(token.encode("utf-8"), message.encode("utf-8"), _HASHES[algorithm]).digest()
    return base64.b64encode(digest).decode("ascii")


def url_variants(url: str) -> list[str]:
    """``url`` without and with the scheme's default port, as the Twilio SDK tries them."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    prefix = f"{userinfo}@" if userinfo else ""
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    without_port = urlunsplit(parts._replace(netloc=prefix + host))
    with_port = urlunsplit(parts._replace(netloc=f"{prefix}{host}:{port}")) if port else url
    variants = [url]
    for candidate in (without_port, with_port):
        if candidate not in variants:
            variants.append(candidate)
    return variants


def public_url(settings: Settings, path: str, query_string: str = "") -> str:
    """The URL the provider called: the public base URL + path (+ query)."""
    url = settings.public_base_url.rstrip("/") + "/" + path.lstrip("/")
    return f"{url}?{query_string}" if query_string else url


def twiml_reply(text: str | None = None) -> str:
    """A TwiML answer carrying ``text`` as the reply SMS (empty ``<Response/>`` if none)."""
    if not text:
        return '<?xml version="1.0" encoding="UTF-8"?><Response/>'
    body = escape(_XML_INVALID.sub("", text))
    return f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{body}</Message></Response>'


class TwilioAdapter(ChannelAdapter):
    name = "twilio"
    path = "/webhooks/twilio/sms"

    def enabled(self, settings: Settings) -> bool:
        return bool(secret_value(settings.twilio_auth_token))

    def verify(self, request: InboundRequest, settings: Settings, now: float | None = None) -> None:
        token = secret_value(settings.twilio_auth_token)
        if not token:
            raise SignatureError("twilio channel is off (no auth token)")
        signature = request.header(SIGNATURE_HEADER)
        if not signature:
            raise SignatureError(f"missing {SIGNATURE_HEADER}")
        algorithm = _algorithm(request.header(SIGNATURE_SETTINGS_HEADER))
        url = public_url(settings, request.path or self.path, request.query_string)
        query = dict(parse_qsl(request.query_string, keep_blank_values=True))
        if "bodySHA256" in query:
            # JSON-bodied webhooks: the URL carries the body hash and is all that is signed.
            body_hash = hashlib.sha256(request.body).hexdigest()
            if not constant_time_equals(body_hash, query["bodySHA256"].lower()):
                raise SignatureError("bodySHA256 does not match the body")
            params: list[tuple[str, str]] = []
        else:
            params = request.form_params()
        for candidate in url_variants(url):
            expected = compute_signature(candidate, params, token, algorithm)
            if constant_time_equals(expected, signature):
                return
        raise SignatureError(f"{SIGNATURE_HEADER} does not match")

    def parse(self, request: InboundRequest) -> list[InboundMessage]:
        params = dict(request.form_params(repair=True))  # last value wins for repeated names
        # Status callbacks (sent/delivered/failed) carry MessageStatus and no citizen text.
        status = params.get("SmsStatus") or params.get("MessageStatus")
        if "MessageStatus" in params or (status and status != "received"):
            return []
        message_sid = (
            params.get("MessageSid") or params.get("SmsMessageSid") or params.get("SmsSid")
        )
        if not message_sid:
            raise PayloadError("MessageSid", "missing")
        sender = (params.get("From") or "").strip()
        if not sender:
            raise PayloadError("From", "missing")
        media = tuple(_media(params))
        return [
            InboundMessage(
                channel=self.name,
                provider_message_id=message_sid,
                sender=sender,
                sender_phone=try_normalize_phone(sender),
                sender_name=params.get("ProfileName") or None,
                sender_user_id=params.get("WaId") or None,
                recipient=params.get("To") or None,
                text=params.get("Body", ""),
                received_at=None,  # Twilio sends no timestamp: the caller uses receipt time
                media=media,
                location=_location(params),
                raw_ref="form",
            )
        ]

    def ack(self, reply_text: str | None = None) -> WebhookAck:
        return WebhookAck(body=twiml_reply(reply_text), media_type="application/xml")

    def build_reply(self, to: str, text: str, settings: Settings) -> httpx.Request:
        sid = settings.twilio_account_sid
        token = secret_value(settings.twilio_auth_token)
        sender = settings.twilio_from_number
        if not (sid and token and sender):
            raise ChannelSendError(
                "twilio: SIMPUL_TWILIO_ACCOUNT_SID, _AUTH_TOKEN and _FROM_NUMBER are required",
                transient=False,
            )
        if to.startswith("whatsapp:") and not sender.startswith("whatsapp:"):
            sender = "whatsapp:" + sender  # answer a Twilio-WhatsApp user on WhatsApp
        url = f"{settings.twilio_api_base_url.rstrip('/')}/2010-04-01/Accounts/{sid}/Messages.json"
        credentials = base64.b64encode(f"{sid}:{token}".encode()).decode("ascii")
        return httpx.Request(
            "POST",
            url,
            data={"To": to, "From": sender, "Body": text},
            headers={"Authorization": f"Basic {credentials}", "Accept": "application/json"},
        )

    def _provider_message_id(self, response: httpx.Response) -> str:
        try:
            payload = response.json()
        except ValueError:
            return ""
        return str(payload.get("sid") or "") if isinstance(payload, dict) else ""

    def _secrets(self, settings: Settings) -> list[str]:
        return [secret_value(settings.twilio_auth_token)]


def _algorithm(settings_header: str | None) -> str:
    """The HMAC algorithm named by ``X-Twilio-Webhooks-Signature-Settings`` (SHA1 if none)."""
    if not settings_header:
        return "HMAC_SHA1"
    options = dict(
        part.strip().partition("=")[::2] for part in settings_header.split(",") if part.strip()
    )
    algorithm = options.get("algorithm", "HMAC_SHA1").strip().upper()
    if algorithm not in _HASHES:
        raise SignatureError(f"unsupported signature algorithm {algorithm[:32]!r}")
    return algorithm


def _media(params: dict[str, str]) -> Iterable[MediaRef]:
    try:
        count = int(params.get("NumMedia") or 0)
    except ValueError as exc:
        raise PayloadError("NumMedia", "not an integer") from exc
    for index in range(min(count, 10)):  # Twilio caps MMS at 10 media
        url = params.get(f"MediaUrl{index}")
        if not url:
            raise PayloadError(f"MediaUrl{index}", "missing")
        content_type = params.get(f"MediaContentType{index}") or None
        kind = (content_type or "file").split("/")[0]
        yield MediaRef(
            kind=kind if kind in ("image", "audio", "video") else "document",
            ref=url,
            content_type=content_type,
        )


def _location(params: dict[str, str]) -> Location | None:
    """Twilio-WhatsApp location messages carry ``Latitude``/``Longitude``."""
    if not params.get("Latitude") or not params.get("Longitude"):
        return None
    try:
        return Location(
            lat=float(params["Latitude"]),
            lon=float(params["Longitude"]),
            name=params.get("Label") or None,
            address=params.get("Address") or None,
        )
    except ValueError as exc:
        raise PayloadError("Latitude", "not a number") from exc
