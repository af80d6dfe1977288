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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.lifecycle import QUEUE_STATUSES
from shared.models.base import Base, BigId, utcnow

#: What the full-text search reads: title and description (PostgreSQL stores its stemmed
#: vector in ``cases.search_vector``, a generated column of migration 0020).
TEXT_SEARCH_DOCUMENT = "coalesce(title, '') || ' ' || description"
#: The predicate of the queue's index: the statuses of Admin Instansi's queue, as literals.
QUEUE_PREDICATE = "status IN ({})".format(", ".join(f"'{s}'" for s in QUEUE_STATUSES))
#: What ``ix_cases_received_at`` carries besides its key on PostgreSQL (migration 0021): every
#: column the report cache's tally reads, so a year's tally is an index-only scan.
RECEIVED_INDEX_INCLUDES = (
    "first_response_at",
    "resolved_at",
    "id",
    "rating",
    "status",
    "opd_code",
)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_status_received", "status", "received_at"),
        Index("ix_cases_opd_status", "opd_code", "status"),
        Index("ix_cases_received_at", "received_at", postgresql_include=RECEIVED_INDEX_INCLUDES),
        Index("ix_cases_category", "category_code"),
        Index("ix_cases_kecamatan", "kecamatan_code"),
        Index("ix_cases_channel", "channel"),
        # The console's "words of the text" search reads ``search_vector`` on PostgreSQL,
        # a generated ``tsvector`` column with the GIN index ``ix_cases_search_vector``
        # (migration 0020 only: SQLite cannot build them, so they are not declared here).
        Index("ix_cases_assignee", "assignee_id"),
        # Admin Instansi's queue, in deadline order, read from the index (migration 0019).
        Index(
            "ix_cases_queue_due",
            "due_at",
            "received_at",
            "id",
            sqlite_where=text(QUEUE_PREDICATE),
            postgresql_where=text(QUEUE_PREDICATE),
        ),  # fmt: skip
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

    #: The officer of the owning OPD who works on it (an Admin UPP the pejabat penghubung
    #: chose): the actor id (``user:<id>``) and name as events record them. Who may act is
    #: still the OPD (``shared/cases/access.py``); this only says whose desk it is on.
    assignee_id: Mapped[str | None] = mapped_column(String(120), default=None)
    assignee_name: Mapped[str | None] = mapped_column(String(200), default=None)
    assigned_at: Mapped[datetime | None] = mapped_column(default=None)

    #: National SP4N-LAPOR! ids (set by the sync service).
    lapor_complaint_id: Mapped[int | None] = mapped_column(BigInteger, default=None, index=True)
    lapor_status_code: Mapped[int | None] = mapped_column(Integer, default=None)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: Optimistic concurrency: every state change bumps it (two admins cannot both win).
    #: The earliest deadline of the case's open SLA clocks (NULL when none is open). Kept by
    #: the database's triggers on ``sla_clocks`` (migration 0019), never written here: the
    #: worklists sort by it. In a session that just moved a clock, the loaded value is old.
    due_at: Mapped[datetime | None] = mapped_column(default=None)
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
    __table_args__ = (
        Index("ix_reporters_channel_address", "channel", "channel_address"),
        # Admin Instansi finds a reporter's cases by phone (the console's search box).
        Index("ix_reporters_phone", "phone"),
    )

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
    """A stored file (content-type checked by content), or a reference: a REST URL (never
    fetched) or a provider's media (fetched once by a worker, then stored)."""

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
    #: Provider media to fetch (``services/intake/media``): the adapter it came through, and
    #: ``pending`` → ``stored`` | ``failed``; None for files stored at intake or references
    #: never to be fetched (REST URLs).
    fetch_channel: Mapped[str | None] = mapped_column(String(24), default=None)
    fetch_status: Mapped[str | None] = mapped_column(String(12), default=None, index=True)
    fetch_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Why the fetch failed (too large, refused type, checksum, provider answer), for the case.
    fetch_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
