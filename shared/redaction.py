"""One redaction of a reporter's identity for every output that leaves the trusted circle:
the national SP4N-LAPOR! copy, the public Open311 reads, the operators' quarantine list and
every log line.

PermenPANRB 62/2018's code of ethics forbids spreading the reporter's identity. Free text
carries it as typed — "saya Siti, NIK 5102…, hubungi 0812…" — so what leaves is scrubbed
of every NIK, phone number and e-mail address, and of the reporter's own identifying values
(:func:`identity_terms`: their phone as stored and as people write it, NIK, e-mail, postal
address, and their name when the case is anonymous).

>>> scrub_private("Hubungi 0812-3456-7890 atau siti@example.id", ["Siti"])
'Hubungi [disamarkan] atau [disamarkan]'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode

REDACTED = "[disamarkan]"
#: NIK: 16 digits, possibly grouped with spaces, dots or dashes.
_NIK_RE = re.compile(r"(?<!\d)\d(?:[ .-]?\d){15}(?!\d)")
#: Indonesian mobile and fixed numbers: +62 / 62 / 0 then 8–13 digits, with separators.
_PHONE_RE = re.compile(r"(?<![\d+])(?:\+62|62|0)[ .-]?\(?\d{2,4}\)?(?:[ .-]?\d){5,10}(?!\d)")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
#: Shorter terms than this are not scrubbed (they would eat ordinary words).
MIN_TERM = 3


#: Fields of providers' payloads that name or reach a person (compared lower case): Meta's
#: ``contacts``/``profile``/``wa_id``, Telegram's ``from``/``chat``/``first_name``, Twilio's
#: ``From``/``ProfileName``/``WaId``, the SMS box's ``from``, and Simpul's own field names.
IDENTITY_FIELDS = frozenset(
    {
        "from", "sender", "author", "contacts", "contact", "profile", "profilename", "chat",
        "name", "first_name", "last_name", "username", "wa_id", "waid", "phone_number",
        "phone", "email", "nik", "nama", "telepon", "reporter", "pelapor", "fromcity",
        "fromzip", "fromstate",
    }
)  # fmt: skip


class ReporterIdentity(Protocol):
    """What :func:`identity_terms` reads (a ``shared.models.Reporter`` row)."""

    name: str | None
    phone: str | None
    phone_raw: str | None
    nik: str | None
    email: str | None
    postal_address: str | None


def scrub_identity(text: str) -> str:
    """``text`` without any NIK, phone number or e-mail address (whoever's they are)."""
    text = _EMAIL_RE.sub(REDACTED, text)
    text = _NIK_RE.sub(REDACTED, text)
    return _PHONE_RE.sub(REDACTED, text)


def scrub_private(text: str, private_terms: Iterable[str | None] = ()) -> str:
    """``text`` without any NIK, phone number or e-mail address, then without the given
    identifying terms (longest first, any case)."""
    text = scrub_identity(text)
    terms = {t.strip() for t in private_terms if t and len(t.strip()) >= MIN_TERM}
    for term in sorted(terms, key=len, reverse=True):
        text = re.sub(re.escape(term), REDACTED, text, flags=re.IGNORECASE)
    return text


def identity_terms(reporter: ReporterIdentity | None, *, with_name: bool) -> list[str]:
    """The reporter's identifying values to scrub from what leaves. ``with_name``: the name
    too — always in public outputs; to LAPOR! when the case is anonymous (a named
    reporter's name travels in the national record's own reporter field)."""
    if reporter is None:
        return []
    terms = [
        reporter.phone,
        reporter.phone_raw,
        reporter.nik,
        reporter.email,
        reporter.postal_address,
    ]
    if reporter.phone and reporter.phone.startswith("+62"):
        terms.append("0" + reporter.phone[3:])  # how people write it
    if with_name:
        terms.append(reporter.name)
    return [t for t in terms if t]


def _redact_fields(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: REDACTED if str(key).lower() in IDENTITY_FIELDS else _redact_fields(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_redact_fields(item) for item in node]
    return scrub_identity(node) if isinstance(node, str) else node


def redact_payload(body: bytes) -> str:
    """A provider payload as an operator may read it: every identity field's value replaced
    (JSON objects and form bodies), and any NIK, phone or e-mail left in the text scrubbed.
    A body that is neither JSON nor a form is scrubbed as text."""
    text = body.decode("utf-8", errors="replace")
    try:
        return json.dumps(_redact_fields(json.loads(text)), ensure_ascii=False)
    except (ValueError, RecursionError):
        pass
    if "=" in text and not any(c.isspace() for c in text.strip()):
        pairs = parse_qsl(text, keep_blank_values=True)
        if pairs:
            redacted = [
                (k, REDACTED if k.lower() in IDENTITY_FIELDS else scrub_identity(v))
                for k, v in pairs
            ]
            return urlencode(redacted, safe="[]")
    return scrub_identity(text)
