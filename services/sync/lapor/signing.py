"""Signatures of SP4N-LAPOR! callbacks (``contracts/lapor-api.md``, "Callbacks").

The national side signs each callback with ``SIMPUL_LAPOR_WEBHOOK_SECRET``::

    X-Lapor-Timestamp: 1718000000
    X-Lapor-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>

The simulator signs with :func:`sign`; Simpul's ``/webhooks/lapor`` checks with
:func:`verify` over the exact bytes received (never a re-serialisation)::

    try:
        verify(secret, request.headers.get("X-Lapor-Timestamp"),
               request.headers.get("X-Lapor-Signature"), raw_body)
    except CallbackSignatureError as exc:
        ...  # 401, count exc.reason, store nothing

Several comma-separated ``v1=`` values are accepted, so a secret can be rotated.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from shared.crypto import constant_time_equals

SIGNATURE_VERSION = "v1"
#: Contract: "Reject bad signatures and timestamps more than 300 s off."
DEFAULT_TOLERANCE_S = 300

TIMESTAMP_HEADER = "X-Lapor-Timestamp"
SIGNATURE_HEADER = "X-Lapor-Signature"
EVENT_ID_HEADER = "X-Lapor-Event-Id"


class CallbackSignatureError(Exception):
    """A callback failed verification. ``reason`` is a short, log-safe code."""

    reason = "invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MissingSignature(CallbackSignatureError):
    reason = "missing"


class MalformedSignature(CallbackSignatureError):
    reason = "malformed"


class StaleTimestamp(CallbackSignatureError):
    reason = "stale"


class SignatureMismatch(CallbackSignatureError):
    reason = "mismatch"


def _secret_bytes(secret: Any) -> bytes:
    if hasattr(secret, "get_secret_value"):  # pydantic SecretStr
        secret = secret.get_secret_value()
    return secret if isinstance(secret, bytes) else str(secret).encode()


def _body_bytes(body: bytes | str) -> bytes:
    return body if isinstance(body, bytes) else body.encode()


def _digest(secret: Any, timestamp: int | str, body: bytes | str) -> str:
    message = str(timestamp).encode() + b"." + _body_bytes(body)
    return hmac.new(_secret_bytes(secret), message, hashlib.sha256).hexdigest()


def sign(secret: Any, timestamp: int | str, body: bytes | str) -> str:
    """The ``X-Lapor-Signature`` header value, ``"v1=<hex>"``, for ``body`` at ``timestamp``."""
    return f"{SIGNATURE_VERSION}={_digest(secret, timestamp, body)}"


def verify(
    secret: Any,
    timestamp_header: str | None,
    signature_header: str | None,
    body: bytes | str,
    now: float | None = None,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> None:
    """Check a callback; return ``None`` or raise a :class:`CallbackSignatureError`.

    ``now`` (unix seconds) is injectable for tests; the timestamp may be at most
    ``tolerance_s`` away from it in either direction (clock skew, replays).
    """
    if not timestamp_header or not signature_header:
        raise MissingSignature("missing X-Lapor-Timestamp or X-Lapor-Signature")
    try:
        timestamp = int(timestamp_header.strip())
    except ValueError as exc:
        raise MalformedSignature("X-Lapor-Timestamp is not unix seconds") from exc
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        raise StaleTimestamp("X-Lapor-Timestamp is outside the tolerance window")
    candidates = []
    for part in signature_header.split(","):
        version, _, value = part.strip().partition("=")
        if version == SIGNATURE_VERSION and value:
            candidates.append(value.strip().lower())
    if not candidates:
        raise MalformedSignature("X-Lapor-Signature carries no v1= value")
    expected = _digest(secret, timestamp_header.strip(), body)
    if not any(constant_time_equals(expected, candidate) for candidate in candidates):
        raise SignatureMismatch("X-Lapor-Signature does not match the body")
