"""Passwords: Argon2id hashes (``pwdlib``), the password rules, temporary passwords.

Hashing is memory-hard on purpose (64 MiB, three passes: RFC 9106's second
recommendation, pwdlib's default), so it takes a noticeable fraction of a second of CPU:
it always runs in a worker thread (:func:`hash_password`, :func:`verify_password`), never
on the event loop. A login for an unknown username verifies against a dummy hash, so the
answer takes as long as for a known one (no account enumeration by timing).

The rules (:func:`problems`) follow NIST SP 800-63B: a minimum length, no upper limit
short of abuse, no composition rules, and a refusal of passwords that are common or
derived from the account. The reasons are in Bahasa Indonesia: an officer reads them.
"""

from __future__ import annotations

import asyncio
import secrets
from functools import cache
from pathlib import Path

from pwdlib import PasswordHash
from pwdlib.exceptions import PwdlibError
from pwdlib.hashers.argon2 import Argon2Hasher

MIN_LENGTH = 10
MAX_LENGTH = 128
#: Temporary passwords: 4 groups of 4 from an alphabet without look-alikes (~80 bits).
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TEMPORARY_GROUPS = 4
COMMON_PASSWORDS_FILE = Path(__file__).parent / "common_passwords.txt"

#: The one hasher. Tests swap in a cheaper Argon2 (the parameters live in each hash, so
#: verification needs no change).
HASHER = PasswordHash((Argon2Hasher(),))


@cache
def common_passwords() -> frozenset[str]:
    """A small list of the most used passwords, world-wide and Indonesian, lower-cased."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and line[0] != "#")


def problems(password: str, *, username: str = "", full_name: str = "") -> list[str]:
    """Why ``password`` may not be used (empty: it may)."""
    reasons = []
    if len(password) < MIN_LENGTH:
        reasons.append(f"Kata sandi terlalu pendek: minimal {MIN_LENGTH} karakter.")
    if len(password) > MAX_LENGTH:
        reasons.append(f"Kata sandi terlalu panjang: maksimal {MAX_LENGTH} karakter.")
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) <= 2:
        reasons.append("Kata sandi ini terlalu umum dan mudah ditebak; pilih yang lain.")
    names = {username.lower(), *full_name.lower().split()} - {""}
    if any(len(n) >= 4 and n in lowered for n in names):
        reasons.append("Kata sandi tidak boleh memuat nama pengguna atau nama Anda.")
    return reasons


def temporary_password() -> str:
    """A random password to hand over once (``user create``, a reset); it must be changed."""
    groups = (
        "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(4))
        for _ in range(TEMPORARY_GROUPS)
    )
    return "-".join(groups)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(HASHER.hash, password)


@cache
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(16))


async def verify_password(password: str, password_hash: str | None) -> bool:
    """Whether ``password`` matches; with no hash (unknown user, no password set) it still
    spends the time of one verification and answers False."""
    if password_hash is None:
        await asyncio.to_thread(HASHER.verify, password, await asyncio.to_thread(_dummy_hash))
        return False
    try:
        return await asyncio.to_thread(HASHER.verify, password, password_hash)
    except PwdlibError:  # a malformed stored hash never logs anyone in
        return False
