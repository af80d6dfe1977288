"""What WhatsApp Cloud API and Facebook page messaging share: Meta's webhook security.

* GET subscription handshake: ``hub.mode=subscribe`` and ``hub.verify_token`` equal to
  ours → answer the raw ``hub.challenge`` (text/plain); anything else → refuse (403).
  An unset verify token never verifies.
* POST: ``X-Hub-Signature-256: sha256=<lower hex HMAC-SHA256(app secret, raw body)>``.
  Meta signs its escaped-unicode serialization, so only the exact bytes received verify.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from services.intake.channels.base import (
    TRANSIENT_STATUS_CODES,
    InboundRequest,
    SignatureError,
    hmac_sha256_hex,
)
from shared.crypto import constant_time_equals

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="
#: Meta's challenge is a short number; refuse to echo anything large.
MAX_CHALLENGE_LENGTH = 256


def verify_hub_signature(request: InboundRequest, app_secret: str) -> None:
    if not app_secret:
        raise SignatureError("channel is off (no app secret)")
    header = (request.header(SIGNATURE_HEADER) or "").strip()
    if not header:
        raise SignatureError(f"missing {SIGNATURE_HEADER}")
    if not header.lower().startswith(_PREFIX):
        raise SignatureError(f"{SIGNATURE_HEADER} is not sha256=<hex>")
    received = header[len(_PREFIX) :].lower()
    if not constant_time_equals(hmac_sha256_hex(app_secret, request.body), received):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match")


def verify_subscription(query_params: Mapping[str, str], verify_token: str) -> str:
    """The ``hub.challenge`` to echo, or :class:`SignatureError`."""
    if not verify_token:
        raise SignatureError("no verify token configured")
    if query_params.get("hub.mode") != "subscribe":
        raise SignatureError("hub.mode is not subscribe")
    received = query_params.get("hub.verify_token") or ""
    if not constant_time_equals(verify_token, received):
        raise SignatureError("hub.verify_token does not match")
    challenge = query_params.get("hub.challenge") or ""
    if not challenge or len(challenge) > MAX_CHALLENGE_LENGTH:
        raise SignatureError("hub.challenge missing or too long")
    return challenge


#: Graph API error codes that mean "later", even when the HTTP status is 400: throttling
#: (4, 17, 32, 613, 80007, 130429, 131056) and temporary failures (1, 2, 131000).
TRANSIENT_GRAPH_CODES = frozenset({1, 2, 4, 17, 32, 613, 80007, 130429, 131000, 131056})


def graph_error_code(response: httpx.Response) -> int | None:
    """``error.code`` of a Graph API error answer, if any."""
    try:
        payload = response.json()
    except ValueError:
        return None
    error = payload.get("error") if isinstance(payload, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def is_transient_graph_error(response: httpx.Response) -> bool:
    if response.status_code in TRANSIENT_STATUS_CODES or response.status_code >= 500:
        return True
    return graph_error_code(response) in TRANSIENT_GRAPH_CODES
