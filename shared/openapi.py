"""The error answers of every operation, written into the OpenAPI from one table.

FastAPI documents what an endpoint returns and a 422 in a shape Simpul never sends
(``{"detail": [...]}``); the errors the shared machinery answers — the request guard's 400,
the body limit's 413, authentication's 401/403, a missing or hidden resource's 404, a
conflict's 409, a rate limit's 429, an unreachable database's 503 — were undocumented on
almost every operation. :data:`ERROR_RULES` says which operations can answer which, from
what the operation is (its path, method, parameters, body); :func:`document_errors` adds
them to the generated schema in the format the operation really answers with (Simpul's
``{"error": {...}}``, Open311's error array, an HTML page). An operation's own ``responses``
take precedence. The bounded fuzz run (``tests/foundation/test_fuzz_openapi.py``) checks
every answer against the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

ERROR_SCHEMA_NAME = "SimpulError"
ERROR_SCHEMA: dict[str, Any] = {
    "title": ERROR_SCHEMA_NAME,
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "stable machine code"},
                "message": {"type": "string", "description": "what was wrong, for a person"},
            },
        }
    },
}
OPEN311_ERRORS_NAME = "Open311Errors"
OPEN311_ERRORS: dict[str, Any] = {
    "title": OPEN311_ERRORS_NAME,
    "type": "array",
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}

#: What each status means wherever it is answered.
MEANING = {
    400: "Malformed request: not parseable, or holding what no field accepts (NUL, lone "
    "surrogates, JSON nested too deep)",
    401: "Missing or invalid credentials (or webhook signature)",
    403: "The caller's role or OPD may not do this",
    404: "No such resource, or one the caller may not see (the same answer)",
    409: "Conflicts with the stored state (the message says which)",
    413: "Body over SIMPUL_MAX_BODY_BYTES",
    422: "Invalid input; the message and `errors` name the field",
    429: "Rate limited; retry after `Retry-After` seconds",
    503: "The database cannot be reached; retry after `Retry-After` seconds",
}


@dataclass(frozen=True)
class Operation:
    """What :data:`ERROR_RULES` look at: one path and method of the generated schema."""

    path: str
    method: str
    spec: dict[str, Any]

    @property
    def parameters(self) -> list[dict[str, Any]]:
        return self.spec.get("parameters", [])

    @property
    def has_body(self) -> bool:
        return "requestBody" in self.spec or self.method in ("post", "put", "patch")

    def under(self, *prefixes: str) -> bool:
        return self.path.startswith(prefixes)


def _always(_op: Operation) -> bool:
    return True


#: (which operations, the error statuses they may answer). Rules add up.
ERROR_RULES: list[tuple[Callable[[Operation], bool], frozenset[int]]] = [
    (_always, frozenset({400, 503})),  # the request guard; the database
    (lambda op: bool(op.parameters) or op.has_body, frozenset({422})),
    (lambda op: op.has_body, frozenset({413})),
    (lambda op: any(p.get("in") == "path" for p in op.parameters), frozenset({404})),
    (lambda op: op.method != "get", frozenset({409})),
    (lambda op: op.under("/admin/"), frozenset({401, 403, 404})),
    (lambda op: op.under("/api/v1/complaints"), frozenset({401, 429})),
    (lambda op: op.under("/open311/"), frozenset({403, 404, 429})),
    (lambda op: op.under("/webhooks/"), frozenset({401, 403, 404, 422, 429})),
    (lambda op: op.under("/lapor", "/lacak"), frozenset({403, 404, 429})),
]


def _content(op: Operation) -> dict[str, Any]:
    """The error body as this operation writes it."""
    if op.under("/open311/"):
        return {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{OPEN311_ERRORS_NAME}"}},
            "application/xml": {"schema": {"type": "string"}},
        }
    success = next(
        (r for code, r in op.spec.get("responses", {}).items() if str(code).startswith("2")), {}
    )
    types = set(success.get("content", {}))
    json_error = {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}}
    if types and all(t.startswith("text/html") for t in types):
        return {"text/html": {"schema": {"type": "string"}}, "application/json": json_error}
    return {"application/json": json_error}


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add every error status :data:`ERROR_RULES` name to each operation of ``schema``
    (in place; returns it). FastAPI's own 422 is replaced: Simpul never answers it."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    components[OPEN311_ERRORS_NAME] = OPEN311_ERRORS
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path, methods in schema.get("paths", {}).items():
        for method, spec in methods.items():
            op = Operation(path, method, spec)
            responses = spec.setdefault("responses", {})
            fastapi_422 = responses.get("422", {})
            if "HTTPValidationError" in str(fastapi_422):
                del responses["422"]
            codes = set().union(*(codes for applies, codes in ERROR_RULES if applies(op)))
            for code in sorted(codes):
                responses.setdefault(
                    str(code), {"description": MEANING[code], "content": _content(op)}
                )
    return schema


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` (``/openapi.json``, ``/docs``) carry the documented errors."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(generate())
        return app.openapi_schema

    app.openapi = openapi
