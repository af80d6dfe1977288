"""The append-only event log (audit trail and feed) and its per-consumer deliveries (the outbox).

Every change to a case writes one ``Event`` in the same transaction, plus one
``EventDelivery`` row per consumer subscribed to its type. Consumers claim delivery rows
by status and lease, never by "id greater than my cursor", so a row committed late by a
slow writer cannot be skipped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, BigId, JSONDoc, utcnow


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_case_id_id", "case_id", "id"),
        Index("ix_events_type", "type"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    #: The case it is about (None for reference-data and configuration changes).
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), default=None)
    #: For non-case events: what changed (``opd``, ``category``, ``holiday``, ...) and its key.
    subject_type: Mapped[str] = mapped_column(String(40), default="case")
    subject_id: Mapped[str | None] = mapped_column(String(120), default=None)
    type: Mapped[str] = mapped_column(String(60))
    actor_type: Mapped[str] = mapped_column(String(24))  # ops, client_app, reporter, system, lapor
    actor_id: Mapped[str | None] = mapped_column(String(120), default=None)
    actor_name: Mapped[str | None] = mapped_column(String(200), default=None)
    actor_role: Mapped[str | None] = mapped_column(String(24), default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    data: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)


class EventDelivery(Base):
    """One event for one consumer: pending until handled, ``dead`` after too many failures."""

    __tablename__ = "event_deliveries"
    __table_args__ = (
        Index("ix_event_deliveries_claim", "consumer", "status", "next_attempt_at", "id"),
        Index("ix_event_deliveries_case_order", "consumer", "case_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    consumer: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending, done, dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    locked_by: Mapped[str | None] = mapped_column(String(80), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(default=None)
