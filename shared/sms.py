"""SMS length in GSM 03.38 terms: what fits one segment, and a text made to fit.

An SMS segment carries 160 characters of the GSM 7-bit default alphabet (153 each once a
message is split), but a single character outside it (an ellipsis "…", curly quotes, an
emoji) sends the whole message as UCS-2: 70 characters (67 when split). Citizens pay per
segment on many prepaid plans and old phones show parts out of order, so replies aim at
one GSM-7 segment, tracking ID first; :func:`gsm7` swaps typographic characters for their
plain equivalents before counting.

>>> segments("ABCD1234: Laporan Anda diterima.")
1
>>> gsm7("Tanggapan “selesai” …")
'Tanggapan "selesai" ...'
>>> segments("x" * 161)
2
"""

from __future__ import annotations

import unicodedata

SINGLE_SEGMENT = 160
MULTI_SEGMENT = 153
UCS2_SINGLE_SEGMENT = 70
UCS2_MULTI_SEGMENT = 67

#: The GSM 03.38 basic character set (one septet each).
BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: The extension table: an escape plus the character (two septets each).
EXTENDED = frozenset("^{}\\[~]|€\f")

#: Typographic characters that have a plain GSM-7 equivalent.
_REPLACEMENTS = {
    "\u2026": "...",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u00a0": " ",
    "\u2022": "-",
    "\t": " ",
}


def gsm7(text: str) -> str:
    """``text`` with typographic characters and removable accents made GSM-7 where possible
    (characters with no equivalent are kept: the message then goes as UCS-2)."""
    out = []
    for ch in text:
        if ch in BASIC or ch in EXTENDED:
            out.append(ch)
            continue
        if ch in _REPLACEMENTS:
            out.append(_REPLACEMENTS[ch])
            continue
        base = unicodedata.normalize("NFD", ch)[0]
        out.append(base if base in BASIC else ch)
    return "".join(out)


def is_gsm7(text: str) -> bool:
    return all(ch in BASIC or ch in EXTENDED for ch in text)


def septets(text: str) -> int:
    """Length in GSM-7 septets (extension characters count twice)."""
    return sum(2 if ch in EXTENDED else 1 for ch in text)


def segments(text: str) -> int:
    """How many SMS segments ``text`` takes as sent (GSM-7 when it can be, else UCS-2)."""
    if is_gsm7(text):
        length, single, multi = septets(text), SINGLE_SEGMENT, MULTI_SEGMENT
    else:
        length = len(text.encode("utf-16-le")) // 2
        single, multi = UCS2_SINGLE_SEGMENT, UCS2_MULTI_SEGMENT
    if length <= single:
        return 1
    return -(-length // multi)


def fit(tracking_id: str, text: str) -> str:
    """One SMS text: the tracking ID first, then ``text`` (GSM-7 where possible).

    When it cannot fit one segment, it says so after the ID, e.g. ``ABCD1234 (2 SMS): ...``,
    so a citizen whose phone shows the parts apart knows more is coming.
    """
    body = gsm7(" ".join(text.split()))
    single = f"{tracking_id}: {body}"
    count = segments(single)
    if count == 1:
        return single
    for _ in range(3):  # the note itself can push the text over a segment boundary
        labelled = f"{tracking_id} ({count} SMS): {body}"
        again = segments(labelled)
        if again == count:
            return labelled
        count = again
    return f"{tracking_id} ({count} SMS): {body}"
