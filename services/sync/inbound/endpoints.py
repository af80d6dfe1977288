"""``POST /webhooks/lapor``: national callbacks, verified, stored once, used as hints."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.sync.inbound import repository as inrepo
from services.sync.lapor import CallbackSignatureError, verify
from services.sync.lapor.signing import EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from services.sync.mirror.metrics import CALLBACKS
from shared.deps import AppSettings, DbSession
from shared.errors import Unauthorized, Unprocessable
from shared.guard import INVALID, MAX_STORED_INT, UnsafeInput, load_json, stored_int

router = APIRouter(tags=["SP4N-LAPOR! callbacks"])


@router.post("/webhooks/lapor", summary="SP4N-LAPOR! callback (a hint to re-read the case)")
async def lapor_callback(request: Request, session: DbSession, settings: AppSettings) -> dict:
    """Verified (HMAC over timestamp + raw body, 300 s window), deduplicated by
    ``event_id`` and durable before the 2xx. It only makes the case due for a re-read:
    the mirror is correct without any callback."""
    body = await request.body()
    try:
        verify(
            settings.lapor_webhook_secret,
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            body,
        )
    except CallbackSignatureError as exc:
        CALLBACKS.labels(f"rejected_{exc.reason}").inc()
        raise Unauthorized(
            "invalid SP4N-LAPOR! callback signature", code="invalid_signature"
        ) from None
    try:
        payload = load_json(body)
    except UnsafeInput as exc:
        CALLBACKS.labels("invalid").inc()
        raise Unprocessable(f"callback body holds {exc.reason}", code="invalid_json") from None
    except ValueError:
        CALLBACKS.labels("invalid").inc()
        raise Unprocessable("callback body is not JSON", code="invalid_json") from None
    if not isinstance(payload, dict):
        CALLBACKS.labels("invalid").inc()
        raise Unprocessable("callback body must be a JSON object", code="invalid_payload")
    event_id = payload.get("event_id") or request.headers.get(EVENT_ID_HEADER)
    if not isinstance(event_id, str) or not event_id.strip() or len(event_id) > 100:
        CALLBACKS.labels("invalid").inc()
        raise Unprocessable("callback needs an event_id", code="invalid_payload", field="event_id")
    complaint_id = stored_int(payload.get("complaint_id"))
    if complaint_id is INVALID:
        CALLBACKS.labels("invalid").inc()
        raise Unprocessable(
            f"complaint_id must be an integer from 1 to {MAX_STORED_INT}",
            code="invalid_payload",
            field="complaint_id",
        )
    fresh = await inrepo.record_callback(
        session,
        event_id=event_id.strip(),
        type=str(payload.get("type") or "")[:60],
        complaint_id=complaint_id,
        payload=payload,
    )
    if fresh and complaint_id is not None:
        await inrepo.hint_case(session, complaint_id)
    CALLBACKS.labels("accepted" if fresh else "duplicate").inc()
    return {"received": True, "duplicate": not fresh}
