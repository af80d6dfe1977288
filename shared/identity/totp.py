"""Two-factor codes: TOTP (RFC 6238, ``pyotp``), the enrolment QR code (``segno``, drawn
here as SVG, nothing fetched), and recovery codes.

A code is accepted for the current 30-second step or one step either side (clock drift
of a phone), and only for a step later than the last one accepted for the account, so a
code seen over a shoulder or replayed from a log is refused (:func:`matching_step`; the
caller stores the step with a conditional UPDATE, so two requests racing with the same
code cannot both win).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
import segno

ISSUER = "Simpul"
DIGITS = 6
STEP_S = 30
#: Steps either side of now that still count (a phone's clock a little off).
DRIFT_STEPS = 1
RECOVERY_CODES = 10
#: Recovery codes: 3 groups of 4 from an alphabet without look-alikes (~60 bits).
RECOVERY_ALPHABET = "ACDEFGHJKMNPQRTWXY34679"


def new_secret() -> str:
    """A fresh 160-bit base32 secret (RFC 4226's recommended length)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, username: str, issuer: str = ISSUER) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).provisioning_uri(
        name=username, issuer_name=issuer
    )


def qr_svg(uri: str) -> str:
    """The ``otpauth://`` URI as an inline SVG QR code (no script, no external image)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff")


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an authenticator by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).generate_otp(step)


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_S)


def clean_code(code: str) -> str:
    return "".join(ch for ch in code if not ch.isspace() and ch != "-")


def matching_step(
    secret: str, code: str, *, last_step: int | None, now: float | None = None
) -> int | None:
    """The time step ``code`` is valid for, if it is valid now and newer than ``last_step``."""
    code = clean_code(code)
    if len(code) != DIGITS or not code.isdigit():
        return None
    here = current_step(now)
    for step in range(here - DRIFT_STEPS, here + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


def new_recovery_codes(n: int = RECOVERY_CODES) -> list[str]:
    return [
        "-".join("".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(4)) for _ in range(3))
        for _ in range(n)
    ]


def recovery_code_hash(code: str) -> str:
    """Recovery codes are case-insensitive and may be typed with or without dashes."""
    return hashlib.sha256(clean_code(code).upper().encode()).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    cleaned = clean_code(code).upper()
    return len(cleaned) == 12 and all(ch in RECOVERY_ALPHABET for ch in cleaned)
