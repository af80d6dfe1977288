"""Tables of the SP4N-LAPOR! mirror: per-case mirror state, per-operation intents,
received callbacks, national follow-ups already seen, and a few sync settings.

Create and follow-up are not idempotent on LAPOR!, so every outbound call is recorded as
an intent (``lapor_outbound_ops``) and committed BEFORE it is sent; its state after a
crash or a lost answer tells the next attempt to look before sending again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, BigId, JSONDoc, NullableJSONDoc, utcnow


class LaporMirror(Base):
    """One row per mirrored case: its national id, state and polling schedule.

    ``state``: ``pending`` (not yet created nationally), ``created``, ``held`` (an operator
    must look: e.g. an unknown national status name), ``to_confirm`` ("perlu konfirmasi":
    a create whose outcome is unknown and that no trusted search can settle; an operator
    confirms "created as national id N" or "not created, send"), ``paused``.
    """

    __tablename__ = "lapor_mirror"
    __table_args__ = (
        UniqueConstraint("lapor_complaint_id", name="uq_lapor_mirror_lapor_complaint_id"),
        Index("ix_lapor_mirror_due", "state", "next_check_at"),
    )

    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), primary_key=True)
    lapor_complaint_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    #: ``simpul`` (we created it nationally) or ``national`` (forwarded in by Admin Nasional).
    origin: Mapped[str] = mapped_column(String(12), default="simpul")
    state: Mapped[str] = mapped_column(String(12), default="pending")
    last_synced_event_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    #: The national status code as last read or pushed by us (inbound changes compare to it).
    national_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    #: The national status *name* as last read (statuses are mapped by name).
    national_status_name: Mapped[str | None] = mapped_column(String(80), default=None)
    #: The instansi the case sits with nationally, as last read (replies are addressed to it).
    national_disposition_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    #: ``score:comment-hash`` of the national rating already turned into a local event.
    rating_key: Mapped[str | None] = mapped_column(String(80), default=None)
    #: The reporter's rating on LAPOR! as last read (kept apart from ``cases.rating``,
    #: which reports use: see ``services/sync/inbound/national.py``).
    national_rating: Mapped[int | None] = mapped_column(Integer, default=None)
    national_rating_comment: Mapped[str | None] = mapped_column(Text, default=None)
    next_check_at: Mapped[datetime | None] = mapped_column(default=None)
    check_interval_s: Mapped[int] = mapped_column(Integer, default=300)
    last_checked_at: Mapped[datetime | None] = mapped_column(default=None)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    held_reason: Mapped[str | None] = mapped_column(Text, default=None)
    #: What the last reconciliation found different (SQL NULL: in step; never JSON null,
    #: which ``IS NOT NULL`` would count as drift).
    drift: Mapped[dict[str, Any] | None] = mapped_column(NullableJSONDoc, default=None)
    drift_checked_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LaporOutboundOp(Base):
    """One outbound call for one event: ``pending`` → ``sent`` → ``done``, or ``uncertain``
    (sent, answer lost: look before resending) or ``dead`` (refused; body kept)."""

    __tablename__ = "lapor_outbound_ops"
    __table_args__ = (
        UniqueConstraint("event_id", "kind", name="uq_lapor_outbound_ops_event_id_kind"),
        Index("ix_lapor_outbound_ops_case", "case_id", "id"),
        Index("ix_lapor_outbound_ops_status", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"))
    event_id: Mapped[int] = mapped_column(BigId, ForeignKey("events.id"))
    #: ``create``, ``status``, ``followup``, ``reject``.
    kind: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lapor_complaint_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    lapor_followup_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    #: The national status code this op moves the case to (status and follow-up ops).
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    #: The text sent (follow-ups), to recognise it among national follow-ups after a loss.
    content: Mapped[str | None] = mapped_column(Text, default=None)
    response_body: Mapped[Any | None] = mapped_column(JSONDoc, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LaporCallback(Base):
    """A verified national callback, kept once per ``event_id`` (they arrive at least once)."""

    __tablename__ = "lapor_callbacks"
    __table_args__ = (
        UniqueConstraint("event_id", name="uq_lapor_callbacks_event_id"),
        Index("ix_lapor_callbacks_unprocessed", "processed_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(60))
    lapor_complaint_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)


class LaporFollowupSeen(Base):
    """A national follow-up already read (dedupe by its national id)."""

    __tablename__ = "lapor_followups_seen"
    __table_args__ = (Index("ix_lapor_followups_seen_case", "case_id"),)

    lapor_followup_id: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False
    )
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"))
    lapor_complaint_id: Mapped[int] = mapped_column(BigInteger)
    author: Mapped[str] = mapped_column(String(12))  # reporter | instansi
    message_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("case_messages.id"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncSetting(Base):
    """Small named settings of the mirror: ``paused``, the discovery cursor."""

    __tablename__ = "sync_settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONDoc, nullable=True, default=None)
    updated_by: Mapped[str | None] = mapped_column(String(200), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LaporReconcileRun(Base):
    """One reconciliation run (``POST /admin/sync/reconcile`` or the hourly job).

    At most one is ``running`` at a time, in every process together (a unique partial
    index); a run whose process died stops being ``running`` once its heartbeat is older
    than the stale limit (``services/sync/reconcile/jobs.py``).
    """

    __tablename__ = "lapor_reconcile_runs"
    __table_args__ = (
        Index(
            "uq_lapor_reconcile_runs_running",
            "state",
            unique=True,
            postgresql_where=text("state = 'running'"),
            sqlite_where=text("state = 'running'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    #: ``running``, ``done``, ``failed``.
    state: Mapped[str] = mapped_column(String(12))
    requested_by: Mapped[str | None] = mapped_column(String(200), default=None)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    #: ``{"total", "compared", "drift", "errors", "requeued"}`` so far.
    progress: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(NullableJSONDoc, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
