"""One error base and one JSON error format for every 4xx/5xx: ``{"error": {"code", "message", ...}}``.

No stack trace ever leaves the process; a database that cannot be reached answers 503
with ``Retry-After``; conflicts are 409, never 500.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.lifecycle import TransitionRefused

log = structlog.get_logger("simpul.errors")
RETRY_AFTER_DB_DOWN_S = 5


class SimpulError(Exception):
    """A domain error with its HTTP status, a stable machine code and a human message."""

    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        headers: dict[str, str] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        self.headers = headers
        self.details = details


class NotFound(SimpulError):
    status_code, code = 404, "not_found"


class Unauthorized(SimpulError):
    status_code, code = 401, "unauthorized"


class Forbidden(SimpulError):
    status_code, code = 403, "forbidden"


class Conflict(SimpulError):
    status_code, code = 409, "conflict"


class Unprocessable(SimpulError):
    status_code, code = 422, "invalid"


class TooLarge(SimpulError):
    status_code, code = 413, "too_large"


class RateLimited(SimpulError):
    status_code, code = 429, "rate_limited"


class ServiceUnavailable(SimpulError):
    status_code, code = 503, "unavailable"


def error_body(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **details}}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **details: Any
) -> JSONResponse:
    return JSONResponse(error_body(code, message, **details), status_code=status, headers=headers)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def is_bad_value(exc: DBAPIError) -> bool:
    """A database error caused by a value, not by the server: SQLSTATE class 22 ("data
    exception": out of range, invalid text, NUL), or the driver refusing to encode an
    argument (asyncpg raises those client-side, as a ``ValueError``)."""
    if isinstance(exc, DataError):
        return True
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    cause = getattr(orig, "__cause__", None)
    return (isinstance(state, str) and state.startswith("22")) or isinstance(
        cause, ValueError | OverflowError
    )


async def invalid_request_response(_req: Request, exc: RequestValidationError) -> JSONResponse:
    """A request that does not fit its schema: 422 naming the first field (400 for JSON
    that does not parse). Module-level so a service's pages can answer with a page and
    leave every other path to this."""
    errors = [
        {
            "field": _field(tuple(e.get("loc", ()))),
            "message": e.get("msg", "invalid"),
            "type": e.get("type"),
        }
        for e in exc.errors()
    ]
    malformed = next((e for e in exc.errors() if e.get("type") == "json_invalid"), None)
    if malformed is not None:
        # pydantic puts the character position where the field would be: say it plainly
        position = (malformed.get("loc") or ("body", "?"))[-1]
        detail = (malformed.get("ctx") or {}).get("error") or "JSON decode error"
        message = f"the request body is not valid JSON: {detail} at character {position}"
        errors = [{"field": "body", "message": message, "type": "json_invalid"}]
        return error_response(400, "malformed_json", message, errors=errors)
    first = errors[0] if errors else {"field": "", "message": "invalid request"}
    message = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    return error_response(422, "invalid", message, errors=errors)


async def http_error_response(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
    """Starlette's own errors (no route, wrong method) in the one format."""
    codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}
    message = exc.detail if isinstance(exc.detail, str) else "error"
    if exc.status_code == 404 and message == "Not Found":
        message = "no such resource"
    return error_response(
        exc.status_code, codes.get(exc.status_code, "http_error"), message, exc.headers
    )


def install_error_handlers(app: FastAPI) -> None:
    """Render every error in the one format."""

    @app.exception_handler(SimpulError)
    async def _simpul(_req: Request, exc: SimpulError) -> JSONResponse:
        return error_response(exc.status_code, exc.code, exc.message, exc.headers, **exc.details)

    @app.exception_handler(TransitionRefused)
    async def _refused(_req: Request, exc: TransitionRefused) -> JSONResponse:
        status = 403 if exc.code == "role_not_allowed" else 409
        return error_response(status, exc.code, exc.message, allowed_actions=exc.allowed)

    @app.exception_handler(StaleDataError)
    async def _stale(_req: Request, _exc: StaleDataError) -> JSONResponse:
        return error_response(
            409, "concurrent_update", "the case was changed by someone else; reload and retry"
        )

    app.add_exception_handler(RequestValidationError, invalid_request_response)
    app.add_exception_handler(StarletteHTTPException, http_error_response)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(ConnectionError)
    @app.exception_handler(OSError)
    async def _db_down(_req: Request, exc: Exception) -> JSONResponse:
        log.error("database_unavailable", error_type=type(exc).__name__)
        return error_response(
            503,
            "database_unavailable",
            "the database cannot be reached; retry later",
            {"Retry-After": str(RETRY_AFTER_DB_DOWN_S)},
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(_req: Request, exc: IntegrityError) -> JSONResponse:
        # A unique or foreign-key rule the change broke (often only at commit): a conflict
        # with stored data, not a server fault. The constraint's text is not echoed.
        log.warning("integrity_error", error_type=type(exc.orig).__name__)
        return error_response(409, "conflict", "the change conflicts with data already stored")

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def _out_of_range(_req: Request, exc: Exception) -> JSONResponse:
        # A value the schema let through but storage or arithmetic cannot hold (an id past
        # the column's integer range, a date past year 9999): the request's fault, a 422.
        # Validation should have caught it; the log line says where to add a bound.
        orig = getattr(exc, "orig", exc)
        log.warning("value_out_of_range", error_type=type(orig).__name__)
        return error_response(
            422, "out_of_range", "a value in the request is out of the range Simpul can store"
        )

    @app.exception_handler(DBAPIError)
    async def _db_error(_req: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:
            return await _db_down(_req, exc)
        if is_bad_value(exc):
            return await _out_of_range(_req, exc)
        log.exception("database_error", error_type=type(exc.orig).__name__)
        return error_response(500, "internal", "internal error")

    @app.exception_handler(Exception)
    async def _unexpected(_req: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", error_type=type(exc).__name__)
        return error_response(500, "internal", "internal error")
