"""Webhook endpoints of the five channel adapters, and the operators' view of the quarantine.

One implementation for every adapter (``_delivery_endpoint``); the adapter decides how a
provider proves itself, parses, and what it expects back.

Answers by case:

* channel off (its secret unset) → 404, before reading anything;
* bad or missing signature, stale timestamp → 401, nothing stored but a counter and a
  bounded quarantine row (GET handshake refused → 403, as Meta expects);
* authentic but malformed payload → quarantined (``payload_error``) and answered **200**
  with the usual ack: Meta, Telegram and Twilio would otherwise redeliver the same bad
  body for hours or days (Meta may even disable the subscription). The local SMS box is
  ours: it gets **422** with the reason, which its bridge logs and does not retry;
* receipts, echoes, status callbacks (no citizen message) → 200, nothing stored;
* a flooding sender → 429 with ``Retry-After`` (providers retry later);
* accepted → the case, its delivery row and events commit, then the ack (TwiML for
  Twilio, carrying the reply with the tracking ID).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, Response

from services.intake.channels import (
    ADAPTERS,
    ChannelAdapter,
    InboundRequest,
    PayloadError,
    SignatureError,
    StaleRequestError,
    WebhookAck,
)
from services.intake.webhooks import service
from services.intake.webhooks.quarantine import (
    MAX_ROWS,
    Quarantine,
    list_quarantined,
    quarantine_view,
)
from services.intake.webhooks.repository import ReporterLocks
from shared.auth import Actor, require_roles
from shared.deps import DbSession
from shared.errors import NotFound, error_response
from shared.ratelimit import get_rate_limiter

router = APIRouter(tags=["channels"])
admin_router = APIRouter(prefix="/admin", tags=["ops"])
#: Who reads the quarantine (the console's page admits the same).
QUARANTINE_ROLES = ("operator", "admin_instansi")

#: Adapters whose malformed-but-authentic payloads are refused (422) instead of acked.
REFUSE_MALFORMED = frozenset({"sms_gateway"})


def _quarantine(request: Request) -> Quarantine:
    state = request.app.state
    if getattr(state, "webhook_quarantine", None) is None:
        state.webhook_quarantine = Quarantine(state.db)
    return state.webhook_quarantine


def _reporter_locks(request: Request) -> ReporterLocks:
    state = request.app.state
    if getattr(state, "webhook_reporter_locks", None) is None:
        state.webhook_reporter_locks = ReporterLocks()
    return state.webhook_reporter_locks


def _ack_response(ack: WebhookAck) -> Response:
    return Response(content=ack.body, media_type=ack.media_type, status_code=ack.status_code)


def _enabled_adapter(request: Request, adapter: ChannelAdapter) -> None:
    if not adapter.enabled(request.app.state.settings):
        raise NotFound(f"channel {adapter.name} is not enabled", code="channel_off")


async def _inbound(request: Request) -> InboundRequest:
    return InboundRequest(
        method=request.method,
        path=request.url.path,
        query_string=request.scope.get("query_string", b""),
        headers=request.headers,
        body=await request.body(),
    )


def _delivery_endpoint(adapter: ChannelAdapter):
    async def receive_delivery(request: Request) -> Response:
        _enabled_adapter(request, adapter)
        settings = request.app.state.settings
        inbound = await _inbound(request)
        try:
            adapter.verify(inbound, settings)
        except SignatureError as exc:
            reason = "stale" if isinstance(exc, StaleRequestError) else "signature"
            service.WEBHOOK_REJECTED.labels(adapter.name, reason).inc()
            await _quarantine(request).record(adapter.name, reason, exc.reason, inbound)
            return error_response(401, "invalid_signature", "the request signature is not valid")
        try:
            messages = adapter.parse(inbound)
        except PayloadError as exc:
            service.WEBHOOK_REJECTED.labels(adapter.name, "payload_error").inc()
            await _quarantine(request).record(adapter.name, "payload_error", exc.reason, inbound)
            if adapter.name in REFUSE_MALFORMED:
                return error_response(422, "invalid_payload", exc.reason, field=exc.field)
            return _ack_response(adapter.ack())
        if not messages:  # delivery receipts, echoes, status callbacks
            service.WEBHOOK_MESSAGES.labels(adapter.name, "no_message").inc()
            return _ack_response(adapter.ack())
        accepted = await service.accept_delivery(
            request.app.state.db,
            _reporter_locks(request),
            get_rate_limiter(request.app),
            settings,
            adapter.name,
            inbound,
            messages,
        )
        return _ack_response(adapter.ack(accepted.inline_reply))

    receive_delivery.__name__ = f"receive_{adapter.name}_delivery"
    return receive_delivery


def _subscription_endpoint(adapter: ChannelAdapter):
    async def verify_subscription(request: Request) -> Response:
        _enabled_adapter(request, adapter)
        settings = request.app.state.settings
        try:
            challenge = adapter.verify_subscription(dict(request.query_params), settings)
        except SignatureError as exc:
            service.WEBHOOK_REJECTED.labels(adapter.name, "subscription").inc()
            # The query holds the (wrong) verify token: keep the path only.
            inbound = InboundRequest(method="GET", path=request.url.path, headers=request.headers)
            await _quarantine(request).record(adapter.name, "subscription", exc.reason, inbound)
            return error_response(403, "subscription_refused", "verify token does not match")
        return PlainTextResponse(challenge)

    verify_subscription.__name__ = f"verify_{adapter.name}_subscription"
    return verify_subscription


for _adapter in ADAPTERS.values():
    router.add_api_route(
        _adapter.path,
        _delivery_endpoint(_adapter),
        methods=["POST"],
        summary=f"{_adapter.name} webhook",
        response_class=Response,
    )
    if _adapter.subscription_handshake:
        router.add_api_route(
            _adapter.path,
            _subscription_endpoint(_adapter),
            methods=["GET"],
            summary=f"{_adapter.name} subscription handshake",
            response_class=PlainTextResponse,
        )


# -- ops: the quarantine ------------------------------------------------------------------


@admin_router.get("/quarantine", summary="Refused webhook deliveries (bounded sample)")
async def get_quarantine(
    session: DbSession,
    _actor: Annotated[Actor, require_roles(*QUARANTINE_ROLES)],
    channel: str | None = None,
    reason: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    rows, total = await list_quarantined(
        session, channel=channel, reason=reason, limit=limit, offset=offset
    )
    return {
        "items": [quarantine_view(row) for row in rows],
        "total": total,
        "cap": MAX_ROWS,
        "limit": limit,
        "offset": offset,
    }
