"""Constant-time comparison of secrets and signatures as they arrive in headers.

``hmac.compare_digest`` raises ``TypeError`` for a ``str`` holding anything but ASCII, and
a header is whatever the sender typed: a signature header of ``"v1=é"`` was a 500 on
``/webhooks/lapor``. Every comparison of a received secret goes through here instead.

>>> constant_time_equals("abc", "abc"), constant_time_equals("abc", "äbc")
(True, False)
"""

from __future__ import annotations

import hmac


def _bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def constant_time_equals(expected: str | bytes, received: str | bytes) -> bool:
    """True when ``received`` equals ``expected``, in time independent of where they differ;
    any text (non-ASCII, lone surrogates) is compared as its UTF-8 bytes, never refused."""
    return hmac.compare_digest(_bytes(expected), _bytes(received))
