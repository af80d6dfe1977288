"""Rendering the citizen pages: Jinja2 (autoescaped), the text-size preference, safe headers.

Text size works without JavaScript: any page accepts ``?ukuran=besar`` or
``?ukuran=normal``, remembers it in a cookie, and renders with the matching class.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from shared.cases import deadlines
from shared.pages import remember_text_size, security_headers, text_size, with_local_time

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
CSS_URL = "/static/web/simpul.css"
#: The pemda's logo (``SIMPUL_PEMDA_LOGO``, else the demo logo shipped here).
LOGO_URL = "/static/web/logo"
DEMO_LOGO = STATIC_DIR / "logo-demo.svg"
#: Tracking ids never leak through the Referer header.
SECURITY_HEADERS = security_headers()

environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
#: The case's numbers, for the pages that promise them (``shared.cases.deadlines``).
environment.globals["deadlines"] = deadlines


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
        "max_upload_mb": request.app.state.settings.max_body_bytes // (1024 * 1024),
        **(context or {}),
    }
    env = with_local_time(environment, request.app.state.settings.tz)
    body = env.get_template(template).render(values)
    response = HTMLResponse(
        body, status_code=status_code, headers={**SECURITY_HEADERS, **(headers or {})}
    )
    if changed:
        remember_text_size(response, size, secure=is_https(request))
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
