"""Tables of channel webhooks: accepted provider deliveries (audit + dedup) and the quarantine.

``inbound_deliveries`` keeps every accepted provider message with its raw payload, and its
UNIQUE (channel, provider_message_id) is what makes a provider's redelivery harmless: the
second insert fails inside a savepoint and the webhook answers 200 without a second case.

``quarantined_deliveries`` keeps a *bounded* sample of refused deliveries (bad signature,
stale timestamp, malformed payload) so an operator notices a misconfigured secret. It is
capped in rows and in inserts per minute; headers that carry secrets are redacted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, BigId, JSONDoc, utcnow


class InboundDelivery(Base):
    """One accepted provider message (a webhook body may carry several)."""

    __tablename__ = "inbound_deliveries"
    __table_args__ = (
        UniqueConstraint(
            "channel", "provider_message_id", name="uq_inbound_deliveries_provider_message"
        ),
        Index("ix_inbound_deliveries_case_id", "case_id"),
        Index("ix_inbound_deliveries_received_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    #: The adapter name (twilio, sms_gateway, whatsapp, telegram, facebook).
    channel: Mapped[str] = mapped_column(String(24))
    provider_message_id: Mapped[str] = mapped_column(String(200))
    #: The exact bytes received (signatures cover them), for audit.
    body: Mapped[bytes] = mapped_column(LargeBinary)
    headers: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), default=None)
    #: new_case, joined, info_provided, status_query, rated, ignored
    outcome: Mapped[str] = mapped_column(String(24), default="processing")


class QuarantinedDelivery(Base):
    """A refused webhook delivery, kept (bounded) for operators to diagnose."""

    __tablename__ = "quarantined_deliveries"
    __table_args__ = (Index("ix_quarantined_deliveries_channel_id", "channel", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(24))
    #: signature, stale, payload_error, subscription
    reason: Mapped[str] = mapped_column(String(40))
    #: The adapter's reason text (never a secret).
    detail: Mapped[str | None] = mapped_column(Text, default=None)
    method: Mapped[str] = mapped_column(String(8), default="POST")
    path: Mapped[str] = mapped_column(String(200))
    headers: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    body_size: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
