"""Rendering console pages: Jinja2 (autoescaped), the text-size preference, safe headers.

Pages work without JavaScript and on a phone. Text size as on the citizen pages: any
page accepts ``?ukuran=besar`` / ``?ukuran=normal`` and remembers it in a cookie.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from shared.cases.labels import ROLE_LABELS
from shared.pages import remember_text_size, security_headers, text_size, with_local_time

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
CSS_URL = "/konsol/static/konsol.css"
#: The QR code of two-factor enrolment is inline SVG markup (``data:``); staff links may
#: name cases, so the Referer stays on this site.
SECURITY_HEADERS = security_headers(img_src="'self' data:", referrer="same-origin")

environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


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
    env = with_local_time(environment, request.app.state.settings.tz)
    body = env.get_template(template).render(values)
    response = HTMLResponse(
        body, status_code=status_code, headers={**SECURITY_HEADERS, **(headers or {})}
    )
    if changed:
        remember_text_size(response, size, secure=request.app.state.settings.secure_cookies)
    return response


def unexplained_refusal(code: str) -> str:
    """What a page says of a refusal it has no sentence for: never the API's English
    message, but the code for the operator to look up."""
    return (
        "Isian tidak dapat diterima; periksa kembali lalu ulangi. Bila tetap ditolak, "
        f"sampaikan kode ini kepada operator: {code}."
    )
