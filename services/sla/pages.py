"""What the sla service's pages share — the ops board, ``/statistik`` and the printable
semester evaluation: one stylesheet served by this service (the pages' CSP allows styles
from this server only, so none is inline) and Simpul's security headers on every answer.

The stylesheet sits under ``/statistik/`` because that prefix reaches this service in
every deployment (``deploy/nginx``), whether it runs alone or embedded.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from shared.pages import security_headers

CSS_URL = "/statistik/gaya.css"
SECURITY_HEADERS = security_headers()
_CSS = (Path(__file__).parent / "static" / "sla.css").read_bytes()

router = APIRouter(include_in_schema=False)


@router.get(CSS_URL)
async def stylesheet() -> Response:
    return Response(_CSS, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


def html_page(body: str, *, status_code: int = 200) -> HTMLResponse:
    """An HTML answer with the security headers (no script, not framed, not cached)."""
    return HTMLResponse(body, status_code=status_code, headers=SECURITY_HEADERS)
