"""Thin routers of the push API: authenticate, rate-limit, parse, call the service, answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from services.intake.complaints import group_commit, service
from services.intake.complaints import repository as repo
from services.intake.complaints.body import COMPLAINT_REQUEST_BODY, read_complaint
from services.intake.complaints.schemas import (
    ComplaintAccepted,
    ComplaintForApp,
    PublicComplaint,
)
from shared.auth import ClientAppRef, CurrentClientApp, cached_client_app
from shared.config import Settings
from shared.deps import AppSettings, DbSession
from shared.errors import NotFound, Unprocessable
from shared.models import ClientApp
from shared.observability import add_to_access_line
from shared.ratelimit import SCOPE_API_KEY, get_rate_limiter

router = APIRouter(tags=["complaints"])


async def rate_limited_app(request: Request, client_app: CurrentClientApp) -> ClientApp:
    """The calling app, once its own bucket allows one more request (429 + Retry-After)."""
    get_rate_limiter(request.app).check(SCOPE_API_KEY, str(client_app.id))
    return client_app


async def rate_limited_pusher(request: Request) -> ClientAppRef:
    """As :func:`rate_limited_app`, for the push endpoint: the key from the process cache
    (the grouped write re-checks it in its transaction)."""
    client_app = await cached_client_app(request)
    get_rate_limiter(request.app).check(SCOPE_API_KEY, str(client_app.id))
    return client_app


ClientAppWithinLimit = Annotated[ClientApp, Depends(rate_limited_app)]


def _idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    key = value.strip()
    if (
        not key
        or len(key) > service.MAX_IDEMPOTENCY_KEY
        or not key.isascii()
        or not key.isprintable()
    ):
        raise Unprocessable(
            f"Idempotency-Key must be 1-{service.MAX_IDEMPOTENCY_KEY} printable ASCII characters",
            code="invalid_idempotency_key",
            field="Idempotency-Key",
        )
    return key


IDEMPOTENCY_KEY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Retries with the same key and body answer the first answer (24 h)",
    "schema": {"type": "string", "maxLength": service.MAX_IDEMPOTENCY_KEY},
}


@router.post(
    "/api/v1/complaints",
    status_code=201,
    response_model=ComplaintAccepted,
    summary="Push a complaint (local apps)",
    openapi_extra={
        "parameters": [IDEMPOTENCY_KEY_PARAMETER],
        "requestBody": COMPLAINT_REQUEST_BODY,
    },
    responses={
        409: {"description": "Idempotency-Key already used with another body"},
        413: {"description": "Body too large"},
        422: {"description": "Invalid field (named in the error)"},
        429: {"description": "Rate limit of this API key; see Retry-After"},
    },
)
async def push_complaint(request: Request) -> JSONResponse:
    """Open a case. The same ``Idempotency-Key`` and body within 24 h answer the first answer
    (same status and body, header ``Idempotent-Replayed: true``); the same key with another
    body is ``409 idempotency_key_reused``. Answers once the case is committed."""
    # Key, header, body and settings read here rather than as parameters and dependencies
    # (see services/intake/complaints/body.py); the OpenAPI declares them by hand.
    client_app = await rate_limited_pusher(request)
    key = _idempotency_key(request.headers.get("idempotency-key"))
    complaint = await read_complaint(request)
    settings: Settings = request.app.state.settings
    # Only a keyed request is ever compared with another (same key, same body?).
    body_sha256 = service.body_fingerprint(await request.body()) if key is not None else ""
    ctx = request.app.state.ctx
    if settings.intake_group_commit:
        attachments = await service.store_attachments(settings, complaint)
        answer = await group_commit.writer_of(ctx).submit(
            group_commit.Submission(client_app, complaint, body_sha256, key, attachments)
        )
    else:
        async with ctx.db.session() as session:
            answer = await service.accept_complaint(
                session,
                settings=settings,
                client_app=client_app,
                complaint=complaint,
                body_sha256=body_sha256,
                idempotency_key=key,
            )
    # One log line per request: the access line names the case it opened.
    add_to_access_line(
        client_app_id=client_app.id, case_id=answer.case_id, replayed=answer.replayed
    )
    headers = {"Location": f"/api/v1/complaints/{answer.body.get('tracking_id', '')}"}
    if answer.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(answer.body, status_code=answer.status_code, headers=headers)


@router.get(
    "/api/v1/complaints/{tracking_id}",
    response_model=ComplaintForApp,
    summary="A complaint this app pushed",
    responses={404: {"description": "No such case, or not pushed by this app (same answer)"}},
)
async def get_complaint(
    tracking_id: str, client_app: ClientAppWithinLimit, session: DbSession, settings: AppSettings
) -> ComplaintForApp:
    case = await repo.case_for_app(session, client_app.id, tracking_id)
    if case is None:
        raise NotFound("no such complaint", code="not_found")
    return await service.view_for_app(session, settings, case)


@router.get(
    "/api/v1/public/complaints/{tracking_id}",
    response_model=PublicComplaint,
    response_model_exclude_none=True,
    summary="Public status of a complaint (no personal data)",
)
async def get_public_complaint(tracking_id: str, session: DbSession) -> PublicComplaint:
    case = await repo.case_for_public(session, tracking_id)
    if case is None:
        raise NotFound("no such complaint", code="not_found")
    return await service.public_view(session, case)
