"""Rendering the citizen pages: Jinja2 (autoescaped), the text-size preference, safe headers.

Text size works without JavaScript: any page accepts ``?ukuran=besar`` or
``?ukuran=normal``, remembers it in a cookie, and renders with the matching class.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from shared.cases import deadlines

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
CSS_URL = "/static/web/simpul.css"
#: The pemda's logo (``SIMPUL_PEMDA_LOGO``, else the demo logo shipped here).
LOGO_URL = "/static/web/logo"
DEMO_LOGO = STATIC_DIR / "logo-demo.svg"
TEXT_SIZE_COOKIE = "ukuran"
TEXT_SIZES = ("normal", "besar")
ONE_YEAR_S = 365 * 24 * 3600
MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
#: No script, no third-party anything; pages cannot be framed; tracking ids never leak
#: through the Referer header.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
#: The case's numbers, for the pages that promise them (``shared.cases.deadlines``).
environment.globals["deadlines"] = deadlines


def local_time(value: datetime, request: Request) -> str:
    """``20 Maret 2026, 10.00 WIB`` in the pemda's timezone."""
    tz = request.app.state.settings.tz
    local = value.astimezone(tz)
    return (
        f"{local.day} {MONTHS[local.month - 1]} {local.year}, "
        f"{local:%H.%M} {local.tzname() or ''}".rstrip()
    )


def text_size(request: Request) -> tuple[str, bool]:
    """The text size to render and whether the query asked to change it."""
    asked = request.query_params.get(TEXT_SIZE_COOKIE)
    if asked in TEXT_SIZES:
        return asked, True
    saved = request.cookies.get(TEXT_SIZE_COOKIE)
    return (saved if saved in TEXT_SIZES else "normal"), False


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    size, changed = text_size(request)
    values = {
        "text_size": size,
        "path": request.url.path,
        "css_url": CSS_URL,
        "logo_url": LOGO_URL,
        "pemda_name": request.app.state.settings.pemda_name,
        **(context or {}),
    }
    env = environment.overlay()
    env.filters["waktu"] = lambda value: local_time(value, request)
    body = env.get_template(template).render(values)
    response = HTMLResponse(
        body, status_code=status_code, headers={**SECURITY_HEADERS, **(headers or {})}
    )
    if changed:
        response.set_cookie(
            TEXT_SIZE_COOKIE, size, max_age=ONE_YEAR_S, path="/", samesite="lax",
            httponly=True, secure=is_https(request),
        )  # fmt: skip
    return response


def friendly_error(
    request: Request,
    status_code: int,
    heading: str,
    message: str,
    *,
    back_url: str = "/lapor",
    back_label: str = "Kembali ke formulir laporan",
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "galat.html",
        {"heading": heading, "message": message, "back_url": back_url, "back_label": back_label},
        status_code=status_code,
        headers=headers,
    )
