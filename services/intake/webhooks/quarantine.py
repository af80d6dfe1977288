"""A bounded quarantine of refused webhook deliveries, so a misconfigured secret is noticed.

A bad signature must store nothing a forger could use to fill the disk, so the quarantine
is capped three ways: at most :data:`MAX_ROWS` rows in total (the oldest are deleted),
at most :data:`INSERTS_PER_CHANNEL_PER_MIN` inserts per channel and minute (the rest are
only counted), and bodies truncated to :data:`MAX_BODY_BYTES`. Headers are kept by an
allow-list; those that carry a secret or a signature are recorded as present, not copied.
"""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy import delete, func, select

from services.intake.channels import InboundRequest
from shared.db import Database
from shared.errors import RateLimited
from shared.models.channels import QuarantinedDelivery
from shared.ratelimit import RateLimiter
from shared.redaction import redact_payload

log = structlog.get_logger("simpul.webhooks")

MAX_ROWS = 1_000
INSERTS_PER_CHANNEL_PER_MIN = 30
MAX_BODY_BYTES = 64 * 1024
#: How much of a refused body an operator sees.
PREVIEW_CHARS = 2_000

#: Headers worth keeping to diagnose a delivery (values copied, truncated).
KEPT_HEADERS = frozenset(
    {
        "content-type",
        "content-length",
        "user-agent",
        "x-forwarded-for",
        "x-forwarded-proto",
        "x-forwarded-host",
        "x-request-id",
        "x-simpul-timestamp",
        "x-twilio-webhooks-signature-settings",
        "i-twilio-idempotency-token",
    }
)
#: Headers recorded only as present: they hold a secret (Telegram) or a signature.
REDACTED_HEADERS = frozenset(
    {
        "authorization",
        "cookie",
        "x-telegram-bot-api-secret-token",
        "x-twilio-signature",
        "x-hub-signature",
        "x-hub-signature-256",
        "x-simpul-signature",
    }
)
MAX_HEADER_VALUE = 300


def safe_headers(headers: Any) -> dict[str, str]:
    """The allow-listed headers of a request; secret-bearing ones as ``[redacted]``."""
    kept: dict[str, str] = {}
    for name in headers:
        lower = name.lower()
        if lower in REDACTED_HEADERS:
            kept[lower] = "[redacted]"
        elif lower in KEPT_HEADERS:
            kept[lower] = str(headers[name])[:MAX_HEADER_VALUE]
    return kept


class Quarantine:
    """Records refused deliveries of one app (its insert-rate gate lives in memory)."""

    def __init__(self, db: Database, *, per_minute: int = INSERTS_PER_CHANNEL_PER_MIN) -> None:
        self.db = db
        self._gate = RateLimiter({"quarantine": per_minute})

    async def record(self, channel: str, reason: str, detail: str, request: InboundRequest) -> bool:
        """Keep the delivery if the channel's per-minute cap allows; True if a row was written.

        Runs in its own unit of work: the refusal answer does not depend on the caller's.
        """
        log.warning(
            "webhook_rejected",
            channel=channel,
            reason=reason,
            detail=detail[:200],
            path=request.path,
            body_bytes=len(request.body),
        )
        try:
            self._gate.check("quarantine", channel)
        except RateLimited:
            return False
        async with self.db.session() as session:
            session.add(
                QuarantinedDelivery(
                    channel=channel,
                    reason=reason,
                    detail=detail[:500],
                    method=request.method[:8],
                    path=request.path[:200],
                    headers=safe_headers(request.headers),
                    body=request.body[:MAX_BODY_BYTES],
                    body_size=len(request.body),
                )
            )
            await session.flush()
            await prune(session)
        return True


async def prune(session: Any, keep: int = MAX_ROWS) -> None:
    """Delete the oldest rows beyond ``keep``."""
    threshold = await session.scalar(
        select(QuarantinedDelivery.id).order_by(QuarantinedDelivery.id.desc()).offset(keep).limit(1)
    )
    if threshold is not None:
        await session.execute(
            delete(QuarantinedDelivery).where(QuarantinedDelivery.id <= threshold)
        )


async def list_quarantined(
    session: Any, *, channel: str | None, reason: str | None, limit: int, offset: int
) -> tuple[list[QuarantinedDelivery], int]:
    stmt = select(QuarantinedDelivery)
    count = select(func.count()).select_from(QuarantinedDelivery)
    if channel:
        stmt = stmt.where(QuarantinedDelivery.channel == channel)
        count = count.where(QuarantinedDelivery.channel == channel)
    if reason:
        stmt = stmt.where(QuarantinedDelivery.reason == reason)
        count = count.where(QuarantinedDelivery.reason == reason)
    rows = (
        await session.scalars(
            stmt.order_by(QuarantinedDelivery.id.desc()).limit(limit).offset(offset)
        )
    ).all()
    return list(rows), int(await session.scalar(count) or 0)


def quarantine_view(row: QuarantinedDelivery) -> dict[str, Any]:
    """One refused delivery as operators see it: the body redacted as every output is
    (operators never see identity, README) and cut to :data:`PREVIEW_CHARS`."""
    return {
        "id": row.id,
        "channel": row.channel,
        "reason": row.reason,
        "detail": row.detail,
        "method": row.method,
        "path": row.path,
        "received_at": row.received_at.isoformat(),
        "headers": row.headers,
        "body_size": row.body_size,
        "body_preview": redact_payload(row.body)[:PREVIEW_CHARS],
    }
