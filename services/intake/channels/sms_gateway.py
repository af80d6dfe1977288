"""The local SMS box (Gammu SMSD with a GSM modem): ``POST /webhooks/sms-gateway``.

Many pemda run their own SMS number on a modem. Gammu SMSD stores each received SMS
and runs a ``RunOnReceive`` script; that script signs and POSTs the message here::

    POST /webhooks/sms-gateway
    Content-Type: application/json
    X-Simpul-Timestamp: 1773975600
    X-Simpul-Signature: sha256=<hex HMAC-SHA256(secret, "1773975600" + "." + raw body)>

    {"message_id": "modem1:1042", "from": "+6281234567890", "to": "+6281100000003",
     "text": "Lampu jalan mati di Jl. Merdeka No. 10",
     "received_at": "2026-03-20T03:00:00+00:00"}

The timestamp must be within :data:`MAX_SKEW_SECONDS` of our clock (else
:class:`StaleRequestError`), so a captured request cannot be replayed later; the
signature covers the timestamp. ``message_id`` is the dedup key: use the Gammu inbox
``ID`` (prefixed with the phone id when several modems share one Simpul).
``received_at`` is optional; when given it must be ISO 8601 *with* an offset (Gammu's
``ReceivingDateTime`` is server-local time) or unix seconds.

A working bridge, stdlib only, ships as ``services/intake/channels/gammu_bridge.py``;
copy it to the SMS box and point ``/etc/gammu-smsdrc`` at it::

    [smsd]
    RunOnReceive = /usr/local/bin/simpul-gammu-bridge

    # /etc/systemd/system/gammu-smsd.service.d/simpul.conf
    [Service]
    Environment=SIMPUL_SMS_GATEWAY_URL=https://pengaduan.example.go.id/webhooks/sms-gateway
    Environment=SIMPUL_SMS_GATEWAY_SECRET=<the same value as on the Simpul server>

In a nutshell the script does::

    text = os.environ.get("DECODED_1_TEXT") or "".join(
        os.environ.get(f"SMS_{i}_TEXT", "") for i in range(1, int(os.environ["SMS_MESSAGES"]) + 1))
    body = json.dumps({"message_id": f"{os.environ['PHONE_ID']}:{sys.argv[1]}",
                       "from": os.environ["SMS_1_NUMBER"], "to": ..., "text": text,
                       "received_at": datetime.now(UTC).isoformat()}).encode()
    ts = str(int(time.time()))
    sig = hmac.new(secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    urllib.request.urlopen(Request(url, body, {"X-Simpul-Timestamp": ts,
                                               "X-Simpul-Signature": "sha256=" + sig,
                                               "Content-Type": "application/json"}), timeout=20)

Replies go the other way: Simpul POSTs ``{"message_id", "to", "text"}`` to
``SIMPUL_SMS_GATEWAY_SEND_URL``, signed with the same headers and secret; the box answers
2xx, optionally with JSON ``{"message_id": "<its id>"}`` (our ``message_id`` is an
idempotency key the box may use to drop a repeated send).
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from services.intake.channels.base import (
    ChannelAdapter,
    ChannelSendError,
    InboundMessage,
    InboundRequest,
    PayloadError,
    SignatureError,
    StaleRequestError,
    hmac_sha256_hex,
    load_json_object,
    require,
    secret_value,
    unix_to_utc,
)
from shared.config import Settings
from shared.crypto import constant_time_equals
from shared.phones import try_normalize_phone

TIMESTAMP_HEADER = "X-Simpul-Timestamp"
SIGNATURE_HEADER = "X-Simpul-Signature"
#: How far the signed timestamp may be from our clock, either way (CONTRACT: 300 s).
MAX_SKEW_SECONDS = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Simpul-Signature`` value for ``body`` sent at ``timestamp``."""
    return "sha256=" + hmac_sha256_hex(secret, timestamp.encode("ascii") + b"." + body)


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The two headers a signed request carries (used for replies and by tests)."""
    timestamp = str(int(time.time() if now is None else now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, timestamp, body)}


class SmsGatewayAdapter(ChannelAdapter):
    name = "sms_gateway"
    path = "/webhooks/sms-gateway"

    def enabled(self, settings: Settings) -> bool:
        return bool(secret_value(settings.sms_gateway_secret))

    def verify(self, request: InboundRequest, settings: Settings, now: float | None = None) -> None:
        secret = secret_value(settings.sms_gateway_secret)
        if not secret:
            raise SignatureError("sms_gateway channel is off (no secret)")
        timestamp = (request.header(TIMESTAMP_HEADER) or "").strip()
        signature = (request.header(SIGNATURE_HEADER) or "").strip()
        if not timestamp:
            raise SignatureError(f"missing {TIMESTAMP_HEADER}")
        if not signature:
            raise SignatureError(f"missing {SIGNATURE_HEADER}")
        if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
            raise SignatureError(f"{TIMESTAMP_HEADER} is not unix seconds")
        expected = sign(secret, timestamp, request.body)
        if not constant_time_equals(expected, signature.lower()):
            raise SignatureError(f"{SIGNATURE_HEADER} does not match")
        # Checked after the signature, so a StaleRequestError is an authentic replay.
        current = time.time() if now is None else now
        if abs(current - int(timestamp)) > MAX_SKEW_SECONDS:
            raise StaleRequestError(
                f"{TIMESTAMP_HEADER} is {int(current) - int(timestamp)} s from now "
                f"(allowed ±{MAX_SKEW_SECONDS} s)"
            )

    def parse(self, request: InboundRequest) -> list[InboundMessage]:
        payload = load_json_object(request.body)
        message_id = require(payload, "message_id", "", (str, int))
        sender = require(payload, "from", "", str).strip()
        text = require(payload, "text", "", str, allow_empty=True)
        recipient = payload.get("to")
        if recipient is not None and not isinstance(recipient, str):
            raise PayloadError("to", "expected a string")
        phone = try_normalize_phone(sender)
        return [
            InboundMessage(
                channel=self.name,
                provider_message_id=str(message_id),
                # An alphanumeric sender ("TELKOMSEL") cannot be replied to but is kept.
                sender=phone or sender,
                sender_phone=phone,
                recipient=recipient or None,
                text=text,
                received_at=_received_at(payload.get("received_at")),
                raw_ref="body",
            )
        ]

    def build_reply(self, to: str, text: str, settings: Settings) -> httpx.Request:
        secret = secret_value(settings.sms_gateway_secret)
        if not (secret and settings.sms_gateway_send_url):
            raise ChannelSendError(
                "sms_gateway: SIMPUL_SMS_GATEWAY_SECRET and _SEND_URL are required",
                transient=False,
            )
        body = json.dumps(
            {"message_id": uuid.uuid4().hex, "to": to, "text": text},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        headers = {"Content-Type": "application/json", **signed_headers(secret, body)}
        return httpx.Request("POST", settings.sms_gateway_send_url, content=body, headers=headers)

    def _provider_message_id(self, response: httpx.Response) -> str:
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if isinstance(payload, dict) and payload.get("message_id"):
            return str(payload["message_id"])
        # The box did not name its own id: ours (sent in the request) identifies the send.
        try:
            sent = json.loads(response.request.content)
        except (RuntimeError, ValueError):
            return ""
        return str(sent.get("message_id", "")) if isinstance(sent, dict) else ""

    def _secrets(self, settings: Settings) -> list[str]:
        return [secret_value(settings.sms_gateway_secret)]


def _received_at(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return unix_to_utc(value, "received_at")
    if not isinstance(value, str):
        raise PayloadError("received_at", "expected ISO 8601 or unix seconds")
    if value.isdigit():
        return unix_to_utc(value, "received_at")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise PayloadError("received_at", "not ISO 8601") from exc
    if parsed.tzinfo is None:
        # Gammu's ReceivingDateTime is server-local; guessing the zone would shift SLAs.
        raise PayloadError("received_at", "needs a UTC offset")
    return parsed.astimezone(UTC)
