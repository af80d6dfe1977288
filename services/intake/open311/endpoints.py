"""Open311 GeoReport v2 routes at ``/open311/v2`` — thin: parse, call the service, render.

Every resource answers ``.xml`` and ``.json``; without an extension it answers XML, the
spec's default format. Errors — including validation, auth and database failures — are
rendered here in the spec's error array (:class:`Open311Route`), so the app-wide
``{"error": {...}}`` handlers never rewrite them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from services.intake.open311 import service
from services.intake.open311.errors import Open311Error, bad_request, not_found
from services.intake.open311.render import DEFAULT_FORMAT, FORMATS, JSON, render, render_errors
from services.intake.open311.schemas import RequestQuery, ServiceRequestForm, UpdateQuery
from shared.deps import AppSettings, DbSession
from shared.errors import RETRY_AFTER_DB_DOWN_S, SimpulError, is_bad_value
from shared.ratelimit import SCOPE_API_KEY, get_rate_limiter

log = structlog.get_logger("simpul.open311")
MAX_FORM_FIELDS = 200


def _error_format(request: Request) -> str:
    """The asked format if it is one we speak, else the path's extension, else XML."""
    fmt = str(request.scope.get("path_params", {}).get("fmt", "")).lower()
    if fmt in FORMATS:
        return fmt
    return JSON if request.url.path.lower().endswith(".json") else DEFAULT_FORMAT


def _status_for(exc: SimpulError) -> int:
    if exc.status_code in (401, 403):
        return 403  # the spec's answer for a bad api_key
    if exc.status_code == 422:
        return 400
    return exc.status_code


class Open311Route(APIRoute):
    """A route whose every failure is answered in the spec's error format."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:  # noqa: BLE001 - each kind is mapped below
                return _error_response(request, exc)

        return guarded


def _error_response(request: Request, exc: Exception) -> Response:
    fmt = _error_format(request)
    if isinstance(exc, Open311Error):
        return render_errors(fmt, exc.status_code, exc.description)
    if isinstance(exc, RequestValidationError):
        first = (exc.errors() or [{}])[0]
        where = ".".join(
            str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body", "form")
        )
        return render_errors(
            fmt, 400, f"{where}: {first.get('msg', 'invalid')}" if where else "invalid request"
        )
    if isinstance(exc, SimpulError):
        return render_errors(fmt, _status_for(exc), exc.message, exc.headers)
    if isinstance(exc, StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else "error"
        return render_errors(fmt, exc.status_code, detail, exc.headers)
    if isinstance(exc, StaleDataError):
        return render_errors(fmt, 409, "the request was changed concurrently; retry")
    if isinstance(exc, OperationalError | InterfaceError | ConnectionError | OSError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        log.error("database_unavailable", error_type=type(exc).__name__)
        return render_errors(
            fmt,
            503,
            "the service is unavailable; retry later",
            {"Retry-After": str(RETRY_AFTER_DB_DOWN_S)},
        )
    if isinstance(exc, OverflowError) or (isinstance(exc, DBAPIError) and is_bad_value(exc)):
        return render_errors(
            fmt, 400, "a value in the request is out of the range Simpul can store"
        )
    log.exception("open311_error", error_type=type(exc).__name__)
    return render_errors(fmt, 500, "internal error")


def _format(request: Request) -> str:
    fmt = str(request.path_params.get("fmt", DEFAULT_FORMAT)).lower()
    if fmt not in FORMATS:
        raise bad_request(f"unsupported format {fmt!r}: use .xml or .json")
    return fmt


router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route)


#: ``{fmt}`` is read from the path by each endpoint, so the schema is declared here.
FORMAT_PARAMETER = {
    "name": "fmt",
    "in": "path",
    "required": True,
    "description": "Response format (the resource's extension); without one, XML.",
    "schema": {"type": "string", "enum": list(FORMATS)},
}


def _route(path: str, methods: list[str], **kwargs: Any) -> Callable:
    """Register ``path.{fmt}`` (documented) and ``path`` (XML, the spec's default)."""

    def register(endpoint: Callable) -> Callable:
        router.add_api_route(
            path + ".{fmt}",
            endpoint,
            methods=methods,
            openapi_extra={"parameters": [FORMAT_PARAMETER]},
            **kwargs,
        )
        router.add_api_route(path, endpoint, methods=methods, include_in_schema=False, **kwargs)
        return endpoint

    return register


@_route("/discovery", ["GET"], summary="Service discovery")
async def get_discovery(request: Request, settings: AppSettings) -> Response:
    """Where and how to use this API: ``changeset``, ``contact``, ``key_service``, ``endpoints``."""
    return render(_format(request), service.discovery(settings), root_tag="discovery")


@_route("/services", ["GET"], summary="GET Service List: the complaint categories")
async def get_services(request: Request, session: DbSession) -> Response:
    """Each active Simpul category as a service: ``service_code`` is the category code,
    ``group`` its default OPD."""
    fmt = _format(request)
    return render(
        fmt, await service.list_services(session), root_tag="services", item_tag="service"
    )


@_route("/services/{service_code}", ["GET"], summary="GET Service Definition")
async def get_service_definition(
    request: Request, session: DbSession, service_code: str
) -> Response:
    """The service's attributes (none so far: an empty list). Unknown code: 404."""
    fmt = _format(request)
    return render(
        fmt, await service.service_definition(session, service_code), root_tag="service_definition"
    )


@_route("/requests", ["GET"], summary="GET Service Requests")
async def get_requests(request: Request, session: DbSession, settings: AppSettings) -> Response:
    """Query: ``service_request_id`` (comma list; ignores the other filters), ``service_code``
    (comma list), ``status`` (``open``/``closed``), ``start_date``/``end_date`` (ISO 8601; without
    both, the last 90 days), ``page`` and ``page_size`` (at most 1000). Newest first. No
    reporter data; a confidential case shows only id, status and service."""
    fmt = _format(request)
    query = RequestQuery.parse(request.query_params, settings.tz)
    records = await service.list_requests(session, query, settings)
    return render(fmt, records, root_tag="service_requests", item_tag="request")


@_route("/requests", ["POST"], summary="POST Service Request", status_code=201)
async def post_request(request: Request, session: DbSession) -> Response:
    """Form-encoded: ``api_key`` (or header ``X-API-Key``), ``service_code``, ``lat``+``long``
    or ``address_string``, ``description``, ``email``, ``first_name``, ``last_name``,
    ``phone``, ``device_id``, ``account_id``, ``media_url``, ``attribute[code]``. Answers 201
    with ``[{"service_request_id", "service_notice", "account_id"}]``."""
    fmt = _format(request)
    async with request.form(max_files=0, max_fields=MAX_FORM_FIELDS) as form:
        raw_key = (
            form.get("api_key")
            or request.query_params.get("api_key")
            or request.headers.get("x-api-key")
        )
        app = await service.authenticate(session, raw_key if isinstance(raw_key, str) else None)
        # One budget per key, shared with the REST push API (429 + Retry-After).
        get_rate_limiter(request.app).check(SCOPE_API_KEY, str(app.id))
        parsed = ServiceRequestForm.parse(form)
    created = await service.submit_request(session, parsed, app)
    return render(fmt, created, root_tag="service_requests", item_tag="request", status_code=201)


@_route("/requests/{service_request_id}", ["GET"], summary="GET Service Request")
async def get_request(
    request: Request, session: DbSession, settings: AppSettings, service_request_id: str
) -> Response:
    """One request by its tracking ID (as a one-item list, as the spec shows). Unknown: 404."""
    fmt = _format(request)
    records = await service.get_request(session, service_request_id, settings)
    return render(fmt, records, root_tag="service_requests", item_tag="request")


@_route("/tokens/{token}", ["GET"], summary="GET service_request_id from a token")
async def get_token(request: Request, session: DbSession, token: str) -> Response:
    """Simpul answers ids at once; a token is the tracking ID itself. Unknown: 404."""
    fmt = _format(request)
    records = await service.request_for_token(session, token)
    return render(fmt, records, root_tag="service_requests", item_tag="request")


@_route("/servicerequestupdates", ["GET"], summary="GET Service Request Updates (FixMyStreet)")
async def get_updates(request: Request, session: DbSession, settings: AppSettings) -> Response:
    """Replies to reporters and status changes, oldest first: ``start_date``/``end_date``
    (without both, the last 90 days), optional ``service_request_id``, ``page``/``page_size``."""
    fmt = _format(request)
    query = UpdateQuery.parse(request.query_params, settings.tz)
    updates = await service.list_updates(session, query, settings)
    return render(fmt, updates, root_tag="service_request_updates", item_tag="request_update")


@router.api_route(
    "/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False
)
async def unknown_resource(request: Request, path: str) -> Response:
    """Anything else under the base: 405 for a known resource, else 404 — in the spec's format."""
    allowed: set[str] = set()
    for route in router.routes:
        if isinstance(route, APIRoute) and route.matches(request.scope)[0] == Match.PARTIAL:
            allowed |= route.methods or set()
    if allowed:
        raise StarletteHTTPException(
            405, f"method {request.method} not allowed", {"Allow": ", ".join(sorted(allowed))}
        )
    raise not_found(f"no resource {path!r} here; see {service.BASE_PATH}/discovery.xml")
