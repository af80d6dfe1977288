"""The inbound-mail webhook's proof of origin: Mailgun's scheme (its "forward" routes to a
URL ending in ``mime`` post the raw message as ``body-mime``).

Every post carries ``timestamp``, ``token`` and ``signature`` = hex HMAC-SHA256 of
``timestamp + token`` keyed by the account's webhook signing key
(``SIMPUL_EMAIL_WEBHOOK_SIGNING_KEY``); compared in constant time. The provider retries a
post that failed for hours with the same signed values, so no freshness window is
enforced; a replay is harmless (the message's ``Message-ID`` is stored once, a second post
of it opens nothing).

>>> sign("key-demo", "1700000000", "abc")[:16]
'569093dc3e2c7fc8'
"""

from __future__ import annotations

import hashlib
import hmac

from services.intake.channels.base import SignatureError


def sign(signing_key: str, timestamp: str, token: str) -> str:
    return hmac.new(
        signing_key.encode("utf-8"), f"{timestamp}{token}".encode(), hashlib.sha256
    ).hexdigest()


def verify(signing_key: str, fields: dict[str, str]) -> None:
    """Raise :class:`SignatureError` unless ``fields`` carry a valid signature."""
    timestamp, token = fields.get("timestamp", ""), fields.get("token", "")
    signature = fields.get("signature", "")
    if not (timestamp and token and signature):
        raise SignatureError("email: timestamp, token or signature missing")
    if len(signature) > 128 or not hmac.compare_digest(
        sign(signing_key, timestamp, token), signature.lower()
    ):
        raise SignatureError("email: signature mismatch")
