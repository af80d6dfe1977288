#!/usr/bin/env python3
"""Gammu SMSD ``RunOnReceive`` bridge: forward each received SMS to Simpul, signed.

Standalone and standard-library only, so it can be copied as-is to the SMS box::

    install -m 0755 gammu_bridge.py /usr/local/bin/simpul-gammu-bridge

    # /etc/gammu-smsdrc
    [smsd]
    RunOnReceive = /usr/local/bin/simpul-gammu-bridge

Configuration comes from the environment of ``gammu-smsd`` (e.g. a systemd drop-in):

``SIMPUL_SMS_GATEWAY_URL``     e.g. ``https://pengaduan.example.go.id/webhooks/sms-gateway``
``SIMPUL_SMS_GATEWAY_SECRET``  the same secret as ``SIMPUL_SMS_GATEWAY_SECRET`` on Simpul
``SIMPUL_SMS_GATEWAY_TO``      optional: this modem's own number (reported as ``to``)

Gammu runs the script once per received message (all parts of a long SMS together) with
``SMS_MESSAGES``, ``SMS_<n>_NUMBER``, ``SMS_<n>_TEXT``, ``DECODED_PARTS``,
``DECODED_<n>_TEXT``, ``PHONE_ID`` in the environment and the inbox row ids as arguments.
SMSD waits for the script, so it gives up after a short timeout and exits non-zero; the
SMS stays in Gammu's inbox and can be re-sent by running the script again with the same
ids (Simpul drops the duplicate by ``message_id``).

Wire format (see ``services/intake/channels/sms_gateway.py``): JSON body
``{message_id, from, to, text, received_at}``, headers ``X-Simpul-Timestamp`` (unix
seconds) and ``X-Simpul-Signature: sha256=<hex HMAC-SHA256(secret, ts + "." + body)>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

TIMEOUT_SECONDS = 15
ATTEMPTS = 2


def collect_message(env: Mapping[str, str], ids: Sequence[str], now: float) -> dict[str, str]:
    """The JSON message for the SMS described by Gammu's environment variables."""
    sender = env.get("SMS_1_NUMBER", "").strip()
    if not sender:
        raise ValueError("SMS_1_NUMBER is not set: run this from gammu-smsd RunOnReceive")
    decoded_parts = int(env.get("DECODED_PARTS") or 0)
    if decoded_parts:
        text = "".join(env.get(f"DECODED_{i}_TEXT", "") for i in range(1, decoded_parts + 1))
    else:
        parts = int(env.get("SMS_MESSAGES") or 1)
        text = "".join(env.get(f"SMS_{i}_TEXT", "") for i in range(1, parts + 1))
    phone_id = env.get("PHONE_ID", "").strip() or "gammu"
    # The first inbox row id identifies the message; a re-run sends the same id.
    local_id = ids[0] if ids else uuid.uuid4().hex
    return {
        "message_id": f"{phone_id}:{local_id}",
        "from": sender,
        "to": env.get("SIMPUL_SMS_GATEWAY_TO", ""),
        "text": text,
        "received_at": datetime.fromtimestamp(now, tz=UTC).isoformat(),
    }


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def build_request(
    message: Mapping[str, str], url: str, secret: str, now: float
) -> urllib.request.Request:
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    timestamp = str(int(now))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "simpul-gammu-bridge/1",
        "X-Simpul-Timestamp": timestamp,
        "X-Simpul-Signature": sign(secret, timestamp, body),
    }
    return urllib.request.Request(url, data=body, headers=headers, method="POST")


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    ids = list(sys.argv[1:] if argv is None else argv)
    url = env.get("SIMPUL_SMS_GATEWAY_URL", "")
    secret = env.get("SIMPUL_SMS_GATEWAY_SECRET", "")
    if not url or not secret:
        print("simpul-gammu-bridge: set SIMPUL_SMS_GATEWAY_URL and _SECRET", file=sys.stderr)
        return 2
    try:
        message = collect_message(env, ids, time.time())
    except ValueError as exc:
        print(f"simpul-gammu-bridge: {exc}", file=sys.stderr)
        return 2
    for attempt in range(1, ATTEMPTS + 1):
        # Signed per attempt: the timestamp must be fresh.
        request = build_request(message, url, secret, time.time())
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                if 200 <= response.status < 300:
                    return 0
        except urllib.error.HTTPError as exc:
            print(
                f"simpul-gammu-bridge: HTTP {exc.code} for {message['message_id']}", file=sys.stderr
            )
            if exc.code < 500 and exc.code != 429:
                return 1  # refused (bad secret, bad payload): retrying will not help
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            print(f"simpul-gammu-bridge: {type(exc).__name__} (attempt {attempt})", file=sys.stderr)
        if attempt < ATTEMPTS:
            time.sleep(2)
    return 1


if __name__ == "__main__":
    sys.exit(main())
