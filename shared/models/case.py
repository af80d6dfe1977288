"""The case: one per complaint, whatever the channel. Never deleted (a database trigger refuses it).

The reporter's identity lives in its own table (``reporters``) so that reading it can be
controlled and audited in one place; the case row itself carries no personal data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, BigId, utcnow


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_status_received", "status", "received_at"),
        Index("ix_cases_opd_status", "opd_code", "status"),
        Index("ix_cases_received_at", "received_at"),
        Index("ix_cases_category", "category_code"),
        Index("ix_cases_kecamatan", "kecamatan_code"),
        Index("ix_cases_channel", "channel"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tracking_id: Mapped[str] = mapped_column(String(12), unique=True)
    channel: Mapped[str] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(24), default="pengaduan")
    status: Mapped[str] = mapped_column(String(24), default="received")
    sla_class: Mapped[str | None] = mapped_column(String(24), default=None)
    category_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"), default=None)
    #: The OPD the case is disposed to (its pejabat penghubung answers it).
    opd_code: Mapped[str | None] = mapped_column(ForeignKey("opds.code"), default=None)
    suggested_opd_code: Mapped[str | None] = mapped_column(ForeignKey("opds.code"), default=None)
    suggestion_reason: Mapped[str | None] = mapped_column(Text, default=None)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str | None] = mapped_column(String(200), default=None)
    description: Mapped[str] = mapped_column(Text)
    kecamatan_code: Mapped[str | None] = mapped_column(ForeignKey("kecamatan.code"), default=None)
    desa: Mapped[str | None] = mapped_column(String(120), default=None)
    address: Mapped[str | None] = mapped_column(String(300), default=None)
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    occurred_at: Mapped[datetime | None] = mapped_column(default=None)
    client_app_id: Mapped[int | None] = mapped_column(ForeignKey("client_apps.id"), default=None)
    external_ref: Mapped[str | None] = mapped_column(String(120), default=None)

    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(default=None)
    disposed_at: Mapped[datetime | None] = mapped_column(default=None)
    first_response_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    archived_at: Mapped[datetime | None] = mapped_column(default=None)
    archive_reason: Mapped[str | None] = mapped_column(Text, default=None)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    rating: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    rating_comment: Mapped[str | None] = mapped_column(Text, default=None)
    #: Where ``rating`` came from: None = the reporter in Simpul (web link, SMS/chat digit),
    #: ``lapor`` = a LAPOR! rating standing in while the case has no Simpul rating.
    rating_source: Mapped[str | None] = mapped_column(String(12), default=None)

    #: National SP4N-LAPOR! ids (set by the sync service).
    lapor_complaint_id: Mapped[int | None] = mapped_column(BigInteger, default=None, index=True)
    lapor_status_code: Mapped[int | None] = mapped_column(Integer, default=None)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: Optimistic concurrency: every state change bumps it (two admins cannot both win).
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def rated_in_simpul(self) -> bool:
        """Has the reporter rated the case in Simpul itself? (A LAPOR! rating standing in
        for a missing one does not count: the reporter may still rate here, and that wins.)"""
        return self.rating is not None and self.rating_source is None


class Reporter(Base):
    """The reporter's identity, one row per case, kept apart from the case (privacy by construction)."""

    __tablename__ = "reporters"
    __table_args__ = (Index("ix_reporters_channel_address", "channel", "channel_address"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    phone: Mapped[str | None] = mapped_column(String(20), default=None)  # E.164
    phone_raw: Mapped[str | None] = mapped_column(String(40), default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    nik: Mapped[str | None] = mapped_column(String(16), default=None)
    #: Where replies go: the channel and the address on it (phone, chat id, PSID, ...).
    channel: Mapped[str] = mapped_column(String(24))
    channel_address: Mapped[str | None] = mapped_column(String(200), default=None)
    postal_address: Mapped[str | None] = mapped_column(Text, default=None)


class CaseCopy(Base):
    """A tembusan: another OPD that must coordinate on the case (sees it, does not own it)."""

    __tablename__ = "case_copies"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    opd_code: Mapped[str] = mapped_column(ForeignKey("opds.code"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseMessage(Base):
    """The thread: reporter messages, replies to the reporter, internal notes."""

    __tablename__ = "case_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    #: ``reporter`` (from the reporter), ``reply`` (to the reporter), ``internal_note``.
    kind: Mapped[str] = mapped_column(String(24))
    body: Mapped[str] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(24), default=None)
    author_type: Mapped[str] = mapped_column(String(24))
    author_id: Mapped[str | None] = mapped_column(String(120), default=None)
    author_name: Mapped[str | None] = mapped_column(String(200), default=None)
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attachment(Base):
    """A stored file (content-type checked by content) or a URL kept as a reference, never fetched."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("case_messages.id"), default=None)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str | None] = mapped_column(String(100), default=None)
    size_bytes: Mapped[int | None] = mapped_column(Integer, default=None)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    #: Server-generated storage key (never a client path); None for URL references.
    storage_key: Mapped[str | None] = mapped_column(String(120), default=None)
    url: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
