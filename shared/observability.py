"""Structured logging (structlog, request ids, JSON in production) and Prometheus metrics.

Secrets and reporters' identities are never logged: log event names and ids, not payloads.
"""

from __future__ import annotations

import logging
import sys
import time
import uuid
from contextvars import ContextVar
from typing import Any

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.logfilter import install_record_filter, redact_event

REQUEST_ID_HEADER = "X-Request-ID"
#: Requests whose access line is at debug level: probes polled every few seconds, and the
#: embedded LAPOR! simulator's calls from this very process (an idle poll is not news).
QUIET_PATHS = ("/healthz", "/readyz", "/metrics", "/lapor-sim")
#: Libraries that log one INFO line per HTTP call they make; kept to WARNING unless the
#: log level is DEBUG (Simpul logs the calls that matter, and their failures, itself).
CHATTY_LOGGERS = ("httpx", "httpcore")

HTTP_REQUESTS = Counter(
    "simpul_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "simpul_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


#: Fields a handler adds to its request's access line (see :func:`add_to_access_line`).
_ACCESS_FIELDS: ContextVar[dict[str, Any] | None] = ContextVar("simpul_access_fields", default=None)


def add_to_access_line(**fields: Any) -> None:
    """Put ``fields`` (ids, counts: never personal data) on the current request's one access
    log line, instead of logging a line of one's own: a line costs a busy intake worker
    more CPU than most of what it does for a request (docs/performance.md)."""
    line = _ACCESS_FIELDS.get()
    if line is not None:
        line.update(fields)


def configure_logging(level: str = "INFO", json: bool = False) -> None:
    """Route stdlib and structlog through one renderer (JSON in production), both through
    one redaction of secrets and identity (``shared/logfilter.py``)."""
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    install_record_filter()  # every stdlib record, whichever logger or handler
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, redact_event, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(
        level=level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s %(message)s"
    )
    quiet = logging.DEBUG if level.upper() == "DEBUG" else logging.WARNING
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(quiet)


class RequestContextMiddleware:
    """Request id (echoed in ``X-Request-ID``), access log line, and HTTP metrics per route template."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = structlog.get_logger("simpul.http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(REQUEST_ID_HEADER.lower().encode(), b"").decode("latin-1")
        request_id = (
            incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        )
        structlog.contextvars.bind_contextvars(request_id=request_id)
        fields: dict[str, Any] = {}
        token = _ACCESS_FIELDS.set(fields)
        status_holder = {"status": 500}
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"].append((REQUEST_ID_HEADER.encode(), request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = (
                getattr(route, "path_format", None) or getattr(route, "path", None) or "unmatched"
            )
            HTTP_REQUESTS.labels(scope["method"], template, str(status_holder["status"])).inc()
            HTTP_LATENCY.labels(scope["method"], template).observe(elapsed)
            emit = self.log.debug if scope["path"].startswith(QUIET_PATHS) else self.log.info
            emit(
                "request",
                method=scope["method"],
                route=template,
                status=status_holder["status"],
                ms=round(elapsed * 1000, 1),
                **fields,
            )
            _ACCESS_FIELDS.reset(token)
            structlog.contextvars.unbind_contextvars("request_id")


class BodySizeLimitMiddleware:
    """Refuse bodies over ``max_bytes`` with 413 before reading them into memory.

    A browser's form post (``Accept: text/html``, e.g. the web form with five photos) is
    told in Bahasa Indonesia on a page with a way back; an API client gets the JSON error.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _refusal(self, scope: Scope) -> Response:
        from shared.errors import error_response

        accept = dict(scope.get("headers") or []).get(b"accept", b"").decode("latin-1")
        if "text/html" in accept:
            megabytes = max(1, self.max_bytes // (1024 * 1024))
            return HTMLResponse(
                TOO_LARGE_PAGE.format(megabytes=megabytes),
                status_code=413,
                headers={"Content-Security-Policy": "default-src 'none'"},
            )
        return error_response(413, "too_large", f"request body over {self.max_bytes} bytes")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._refusal(scope)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await self._refusal(scope)(scope, receive, send)


#: The page a browser gets for a body over the limit (no template engine needed here).
TOO_LARGE_PAGE = """<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kiriman terlalu besar</title></head>
<body><main>
<h1>Kiriman terlalu besar</h1>
<p>Isian dan lampiran yang Anda kirim melebihi {megabytes} MB seluruhnya, sehingga tidak
dapat kami terima. Tidak ada yang tersimpan.</p>
<p>Tekan tombol <strong>Kembali</strong> pada peramban (isian Anda biasanya masih ada),
kurangi jumlah atau ukuran lampiran (misalnya foto beresolusi lebih kecil), lalu kirim
lagi.</p>
</main></body></html>
"""


class _BodyTooLarge(Exception):
    pass


async def metrics_endpoint(_request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
