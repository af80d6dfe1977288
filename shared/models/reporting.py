"""Tables of reporting: the working-day index reports count with, the report figure cache,
and yearly targets.

``working_day_index`` turns working-day arithmetic into a join: ``ordinal`` is the number of
working days from the start of the index up to and including ``day``, so the working days
between two moments are ``idx(end's local date) - idx(start's local date)`` — exactly
:meth:`shared.calendar.WorkingCalendar.working_days_between`, aggregated in SQL over a
million cases, identically on SQLite and PostgreSQL. It is rebuilt from the calendar when
the calendar changes (``working_day_index_state.fingerprint``).

The figure cache (``report_cache_units`` / ``report_cache_figures``, kept honest by
``report_stale_marks``) holds the tally of settled spans of days, so a year's report over a
million cases reads thousands of rows, not a million.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, Index, Integer, String, Text, UniqueConstraint
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


class ReportCacheUnit(Base):
    """One settled span of cases for the report figure cache (``services/sla/reports/cache.py``):
    a closed local month, or one local day of the month still open.

    A unit never changes once written: a rebuild deletes it and inserts a new one (a new id,
    never reused — hence AUTOINCREMENT on SQLite), so a reader that still finds the ids it read
    has read complete units."""

    __tablename__ = "report_cache_units"
    __table_args__ = (
        Index("ix_report_cache_units_days", "first_day", "last_day"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    #: ``YYYY-MM`` of the local month the unit lies in (units never span months).
    month: Mapped[str] = mapped_column(String(7))
    #: The unit's days as UTC moments (``starts_at`` inclusive), for the stale-mark check.
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    #: The calendar (and cache format) the working days were counted with.
    fingerprint: Mapped[str] = mapped_column(String(64))
    built_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportCacheFigures(Base):
    """The tally of a unit's cases per OPD and per pair of working-day durations (None: not
    answered / not resolved yet), with every additive figure of the report."""

    __tablename__ = "report_cache_figures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    #: The unit's id, without a foreign key (migration 0022: its row-by-row check was most of
    #: a cold year's write); figures are written and deleted with their unit by the cache.
    unit_id: Mapped[int] = mapped_column(BigId, index=True)
    opd_code: Mapped[str | None] = mapped_column(String(40), default=None)
    response_wd: Mapped[int | None] = mapped_column(Integer, default=None)
    resolution_wd: Mapped[int | None] = mapped_column(Integer, default=None)
    received: Mapped[int] = mapped_column(Integer)
    not_responded: Mapped[int] = mapped_column(Integer)
    resolved: Mapped[int] = mapped_column(Integer)
    unresolved: Mapped[int] = mapped_column(Integer)
    ended_unresolved: Mapped[int] = mapped_column(Integer)
    rating_sum: Mapped[int] = mapped_column(Integer)
    rating_count: Mapped[int] = mapped_column(Integer)
    within_deadline: Mapped[int] = mapped_column(Integer)
    breaches: Mapped[int] = mapped_column(Integer)


class ReportStaleMark(Base):
    """A figure of the case received at ``received_at`` may have changed: appended by database
    triggers on ``cases`` and ``sla_clocks`` (migration 0009) in the changing transaction, read
    and consumed by the figure cache. Append-only, so writers never wait on one another."""

    __tablename__ = "report_stale_marks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


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
