"""Outbound messages (to reporters, OPDs, staff), each tracked per destination.

A case's notifications never share one "sent" flag: each destination has its own row,
status and retries, so one failing destination never marks the others done.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, BigId, JSONDoc, utcnow


class OutboundMessage(Base):
    __tablename__ = "outbound_messages"
    __table_args__ = (
        UniqueConstraint("dedup_key", name="uq_outbound_messages_dedup_key"),
        Index("ix_outbound_messages_claim", "status", "next_attempt_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), default=None, index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), default=None)
    #: ``reporter``, ``opd``, ``staff``: who the destination is.
    audience: Mapped[str] = mapped_column(String(24))
    #: The adapter that sends it: a channel name (sms, whatsapp, ...) or ``log``/``email``/``letter``.
    channel: Mapped[str] = mapped_column(String(24))
    recipient: Mapped[str] = mapped_column(String(200))
    template: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text)
    #: What a provider template (WhatsApp) or an e-mail needs besides ``body``: template
    #: parameters, subject, the case link; rendered when the message is queued.
    params: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc, default=None)
    #: Idempotent creation: the same event never queues the same message twice.
    dedup_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending, sent, dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    provider_message_id: Mapped[str | None] = mapped_column(String(200), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
