"""Tracking IDs: short, typeable in an SMS, case-insensitive, no look-alikes, not guessable.

Eight symbols from a 23-symbol alphabet without 0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V
(23**8 ≈ 7.8e10 ids), drawn with :mod:`secrets` — no sequence to guess — as one number
below 23**8 written in that alphabet: the same uniform draw as eight ``secrets.choice``
calls, at a sixth of the CPU (one of the costs of every accepted complaint). Collisions are
caught by the unique constraint and retried by the caller (see ``new_tracking_id``).

>>> len(new_tracking_id())
8
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "ACDEFGHJKMNPQRTWXY34679"  # no 0 O 1 I L 2 Z 5 S 8 B U V
LENGTH = 8
_PATTERN = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")
#: Accepts an id as typed in an SMS: ``#abc...``, lower case, spaces or dashes.
_IN_TEXT = re.compile(rf"#\s*([{ALPHABET}{ALPHABET.lower()}]{{{LENGTH}}})\b")


_BASE = len(ALPHABET)
_IDS = _BASE**LENGTH


def new_tracking_id() -> str:
    n = secrets.randbelow(_IDS)
    symbols = []
    for _ in range(LENGTH):
        n, digit = divmod(n, _BASE)
        symbols.append(ALPHABET[digit])
    return "".join(symbols)


def normalize(value: str) -> str | None:
    """The canonical id for what a person typed, or None if it cannot be one."""
    candidate = re.sub(r"[\s\-#]", "", value or "").upper()
    return candidate if _PATTERN.match(candidate) else None


def find_in_text(text: str) -> str | None:
    """A tracking id named in a message as ``#ABC12345`` (case-insensitive), if any."""
    match = _IN_TEXT.search(text or "")
    return match.group(1).upper() if match else None
