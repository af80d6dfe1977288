"""Tables of reporting: the working-day index reports count with, and yearly targets.

``working_day_index`` turns working-day arithmetic into a join: ``ordinal`` is the number of
working days from the start of the index up to and including ``day``, so the working days
between two moments are ``idx(end's local date) - idx(start's local date)`` — exactly
:meth:`shared.calendar.WorkingCalendar.working_days_between`, aggregated in SQL over a
million cases, identically on SQLite and PostgreSQL. It is rebuilt from the calendar when
the calendar changes (``working_day_index_state.fingerprint``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, BigId, JSONDoc, utcnow


class WorkingDayIndex(Base):
    __tablename__ = "working_day_index"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    #: Working days from the index's first day up to and including ``day``.
    ordinal: Mapped[int] = mapped_column(Integer)


class WorkingDayIndexState(Base):
    """One row: which calendar (fingerprint) and which days the index was built for."""

    __tablename__ = "working_day_index_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    built_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportTarget(Base):
    """A year's targets of the local action plan (rencana aksi): cases received, % resolved."""

    __tablename__ = "report_targets"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    received: Mapped[int | None] = mapped_column(Integer, default=None)
    resolved_pct: Mapped[float | None] = mapped_column(Float, default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    updated_by: Mapped[str | None] = mapped_column(String(200), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PublishedEvaluation(Base):
    """A semester evaluation as published on ``/statistik`` (Perbup: every six months).

    ``figures`` is a snapshot of aggregates only — never a case or a reporter — so what was
    published stays as it was even when cases change later; publishing again replaces it."""

    __tablename__ = "published_evaluations"
    __table_args__ = (
        UniqueConstraint("year", "semester", name="uq_published_evaluations_year_semester"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer)
    semester: Mapped[int] = mapped_column(Integer)
    figures: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str] = mapped_column(String(200))
