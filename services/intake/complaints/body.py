"""The push endpoint's JSON body, read by hand: one pydantic pass over the raw bytes.

Why not a ``complaint: ComplaintIn`` parameter: FastAPI then decodes the JSON into dicts,
validates those, and solves the endpoint's parameters on every request; on the busiest
endpoint that was ~20 % of a worker's time (docs/performance.md). The errors are the
ones FastAPI raises for such a parameter (``RequestValidationError``, locations under
``body``), so clients see the same 400/422 answers; the OpenAPI gets the same schema.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from services.intake.complaints.schemas import ComplaintIn


async def read_complaint(request: Request) -> ComplaintIn:
    raw = await request.body()
    if not _is_json(request.headers.get("content-type")):
        raise RequestValidationError(
            [
                {
                    "type": "content_type",
                    "loc": ("body",),
                    "msg": "the body must be JSON (Content-Type: application/json)",
                    "input": None,
                }
            ]
        )
    if not raw.strip():
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
        )
    try:
        return ComplaintIn.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    if any(e["type"] == "json_invalid" for e in errors):
        raise RequestValidationError([_json_error(raw)])
    raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors])


def _is_json(content_type: str | None) -> bool:
    """As FastAPI decides: no Content-Type, ``application/json`` or ``application/*+json``."""
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _json_error(raw: bytes) -> dict[str, Any]:
    """FastAPI's ``json_invalid`` error: where the decoder stopped, and why."""
    try:
        json.loads(raw)
    except ValueError as exc:
        position = getattr(exc, "pos", 0)
        reason = getattr(exc, "msg", str(exc))
    else:  # decodable by json but not by pydantic (e.g. a lone surrogate): say so
        position, reason = 0, "invalid JSON"
    return {
        "type": "json_invalid",
        "loc": ("body", position),
        "msg": "JSON decode error",
        "input": {},
        "ctx": {"error": reason},
    }


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its ``$defs`` written in place (an OpenAPI request body
    cannot point at a JSON schema's own ``$defs``)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    return resolve(schema)


#: The OpenAPI request body of ``POST /api/v1/complaints``.
COMPLAINT_REQUEST_BODY = {
    "required": True,
    "content": {"application/json": {"schema": inline_schema(ComplaintIn)}},
}
