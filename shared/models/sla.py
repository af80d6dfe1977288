"""Tables of SLA: the working-day clocks of each case, and Admin Instansi's holiday overrides.

A clock is data, not a timer: one row per clock with its computed ``deadline_at`` and
``warning_at``, so a sweeper finds what is due with an indexed range scan, however many
clocks are open (partial indexes cover only the running ones).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, BigId, utcnow

_RUNNING = text("state = 'running'")
_RUNNING_UNWARNED = text("state = 'running' AND warned_at IS NULL")
_ACTIVE_OVERRIDE = text("revoked_at IS NULL")
#: A clock that still counts for its case (``services.routing.cases.repository``).
_OPEN = text("stopped_at IS NULL AND state IN ('running', 'breached')")


class SlaClock(Base):
    """One working-day clock of one case (verification, missing_info, resolution, closure).

    ``state``: ``running`` (counting), ``paused`` (waiting for the reporter; paused days do
    not count), ``met``, ``breached`` (the deadline passed; stays breached when it is later
    stopped, ``stopped_at`` then says when), ``cancelled``. A clock that restarts (a second
    request for data, a re-disposal, a reopen) is a new row with the next ``generation``.
    """

    __tablename__ = "sla_clocks"
    __table_args__ = (
        UniqueConstraint(
            "case_id", "kind", "generation", name="uq_sla_clocks_case_kind_generation"
        ),
        # The sweeper's two range scans; partial so a million met clocks cost nothing.
        Index(
            "ix_sla_clocks_warning_due",
            "warning_at",
            sqlite_where=_RUNNING_UNWARNED,
            postgresql_where=_RUNNING_UNWARNED,
        ),
        Index(
            "ix_sla_clocks_deadline_due",
            "deadline_at",
            sqlite_where=_RUNNING,
            postgresql_where=_RUNNING,
        ),
        # Ops reports: breaches in a period.
        Index("ix_sla_clocks_breached_at", "breached_at"),
        Index("ix_sla_clocks_opd_state", "opd_code", "state"),
        # The worklists' order: a case's earliest open deadline, read from the index alone
        # (migration 0018; the queue sorts thousands of cases by it for every page).
        Index(
            "ix_sla_clocks_open_deadline",
            "case_id",
            "deadline_at",
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    #: ``verification`` (3 WD), ``missing_info`` (10 WD), ``resolution`` (5/14/60 WD),
    #: ``closure`` (10 WD).
    kind: Mapped[str] = mapped_column(String(20))
    generation: Mapped[int] = mapped_column(Integer, default=1)
    #: The OPD accountable (resolution clocks); None for Admin Instansi's and the reporter's clocks.
    opd_code: Mapped[str | None] = mapped_column(String(40), default=None)
    sla_class: Mapped[str | None] = mapped_column(String(24), default=None)
    working_days: Mapped[int] = mapped_column(Integer)
    #: Warning lead (days before the deadline); None: this clock never warns.
    warning_days: Mapped[int | None] = mapped_column(Integer, default=None)
    #: Working days consumed before the last pause.
    used_working_days: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column()
    #: Start of the current running segment (``started_at`` until the first resume).
    resumed_at: Mapped[datetime | None] = mapped_column(default=None)
    paused_at: Mapped[datetime | None] = mapped_column(default=None)
    deadline_at: Mapped[datetime] = mapped_column()
    warning_at: Mapped[datetime | None] = mapped_column(default=None)
    state: Mapped[str] = mapped_column(String(12), default="running")
    warned_at: Mapped[datetime | None] = mapped_column(default=None)
    breached_at: Mapped[datetime | None] = mapped_column(default=None)
    stopped_at: Mapped[datetime | None] = mapped_column(default=None)
    #: The event that started it, and the last event applied (redelivery is a no-op).
    start_event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), default=None)
    last_event_id: Mapped[int | None] = mapped_column(BigId, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class HolidayOverride(Base):
    """A local decision on one date: ``add`` makes it a day off (a Perbup day off), ``remove``
    makes it a working day. Revoking keeps the row (``revoked_at``); the event log has the audit.
    At most one active override per date."""

    __tablename__ = "holiday_overrides"
    __table_args__ = (
        Index(
            "uq_holiday_overrides_active_date",
            "date",
            unique=True,
            sqlite_where=_ACTIVE_OVERRIDE,
            postgresql_where=_ACTIVE_OVERRIDE,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(8))  # add | remove
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_by: Mapped[str | None] = mapped_column(String(200), default=None)
    revoke_reason: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
