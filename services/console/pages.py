"""Rendering console pages: Jinja2 (autoescaped), the text-size preference, safe headers.

Pages work without JavaScript and on a phone. Text size as on the citizen pages: any
page accepts ``?ukuran=besar`` / ``?ukuran=normal`` and remembers it in a cookie.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
CSS_URL = "/konsol/static/konsol.css"
TEXT_SIZE_COOKIE = "ukuran"
TEXT_SIZES = ("normal", "besar")
ONE_YEAR_S = 365 * 24 * 3600
MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
#: No script at all; styles from this server only; the QR code is inline SVG markup;
#: pages cannot be framed (no clickjacking of a form) and never cached.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
#: Labels of roles, as officers call them.
ROLE_LABELS = {
    "admin_instansi": "Admin Instansi",
    "opd": "Pejabat Penghubung / Admin UPP",
    "apip": "APIP (Inspektorat)",
    "viewer": "Pimpinan",
    "operator": "Operator",
}

environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def local_time(value: datetime | None, request: Request) -> str:
    """``20 Maret 2026, 10.00 WIB`` in the pemda's timezone."""
    if value is None:
        return "—"
    local = value.astimezone(request.app.state.settings.tz)
    return (
        f"{local.day} {MONTHS[local.month - 1]} {local.year}, "
        f"{local:%H.%M} {local.tzname() or ''}".rstrip()
    )


def text_size(request: Request) -> tuple[str, bool]:
    asked = request.query_params.get(TEXT_SIZE_COOKIE)
    if asked in TEXT_SIZES:
        return asked, True
    saved = request.cookies.get(TEXT_SIZE_COOKIE)
    return (saved if saved in TEXT_SIZES else "normal"), False


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
        "role_labels": ROLE_LABELS,
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
            httponly=True, secure=request.app.state.settings.secure_cookies,
        )  # fmt: skip
    return response
