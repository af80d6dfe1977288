"""What every server-rendered page of Simpul shares: the citizen pages and the console.

Dates in Bahasa Indonesia in the pemda's timezone, the text-size preference that works
without JavaScript (``?ukuran=besar`` / ``?ukuran=normal``, remembered in a cookie), and
one set of security headers: no script at all, styles from this server only, never
framed (no clickjacking of a form), never cached.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import lru_cache

from fastapi import Request
from fastapi.responses import Response
from jinja2 import Environment

TEXT_SIZE_COOKIE = "ukuran"
TEXT_SIZES = ("normal", "besar")
ONE_YEAR_S = 365 * 24 * 3600
MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip


def security_headers(*, img_src: str = "'self'", referrer: str = "no-referrer") -> dict[str, str]:
    """The headers of every HTML answer (``img_src`` widened where a page draws inline SVG)."""
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'self'; img-src {img_src}; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"
        ),
        "Referrer-Policy": referrer,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
    }


def local_time(value: datetime | None, tz: tzinfo) -> str:
    """``20 Maret 2026, 10.00 WIB`` in the pemda's timezone (``—`` for no time)."""
    if value is None:
        return "—"
    local = value.astimezone(tz)
    return (
        f"{local.day} {MONTHS[local.month - 1]} {local.year}, "
        f"{local:%H.%M} {local.tzname() or ''}".rstrip()
    )


@lru_cache(maxsize=32)
def with_local_time(environment: Environment, tz: tzinfo) -> Environment:
    """``environment`` with the ``waktu`` filter (:func:`local_time` in ``tz``), made once per
    pair and kept: an overlay has its own template cache, so one made per request compiled
    every template again on every request (100–300 ms of a console page at the bench)."""
    env = environment.overlay()
    # Its own filters (an overlay shares its parent's dict): one ``waktu`` per timezone.
    env.filters = {**environment.filters, "waktu": lambda value: local_time(value, tz)}
    return env


def text_size(request: Request) -> tuple[str, bool]:
    """The text size to render and whether the query asked to change it."""
    asked = request.query_params.get(TEXT_SIZE_COOKIE)
    if asked in TEXT_SIZES:
        return asked, True
    saved = request.cookies.get(TEXT_SIZE_COOKIE)
    return (saved if saved in TEXT_SIZES else "normal"), False


def remember_text_size(response: Response, size: str, *, secure: bool) -> None:
    response.set_cookie(
        TEXT_SIZE_COOKIE, size, max_age=ONE_YEAR_S, path="/", samesite="lax",
        httponly=True, secure=secure,
    )  # fmt: skip
