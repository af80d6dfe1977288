"""Every query of the performance reports: aggregates over cases and SLA clocks, in SQL.

Access is decided in ``shared.cases.access``: every figure counts the cases the caller
answers for (:func:`~shared.cases.access.owned_conditions` — an OPD's pejabat penghubung
its OPD's cases, without copies; Admin Instansi and viewers all), and the figure cache
applies the same rule to its rows (:func:`~shared.cases.access.opd_limit`).

One pass over the period's cases gives every figure (:func:`tally`): rows per group *and* per
pair of working-day durations (first response, resolution), with integer counts and sums.
Averages are divided and medians read off the duration histograms in Python, so the figures
are identical on SQLite and PostgreSQL (no backend-specific float rounding, no
``percentile_cont``), and a total or a merge of cached and live rows is exact: histograms add.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from shared.auth import Actor
from shared.cases.access import owned_conditions
from shared.lifecycle import Status
from shared.models import Case, Category, Kecamatan, Opd
from shared.models.sla import SlaClock

from .workdays import local_date, local_month, working_day_alias

GROUPS = ("opd", "category", "channel", "kecamatan", "month")
#: Statuses that end a case without a resolution of the pemda's own (not "not yet resolved").
ENDED_UNRESOLVED = (Status.ARCHIVED.value, Status.FORWARDED_NATIONAL.value)
#: The additive figures of a tally row, in the order :func:`tally_select` returns them after
#: its keys and the two durations.
COUNTS = (
    "received",
    "not_responded",
    "resolved",
    "unresolved",
    "ended_unresolved",
    "rating_sum",
    "rating_count",
    "within_deadline",
    "breaches",
)


@dataclass
class Period:
    """Cases received from ``start`` (inclusive) to ``end`` (exclusive), as UTC moments."""

    start: dt.datetime
    end: dt.datetime

    @classmethod
    def of_days(cls, first_day: dt.date, last_day: dt.date, tz: dt.tzinfo) -> Period:
        """Local midnight of ``first_day`` to local midnight after ``last_day``, in UTC."""
        start = dt.datetime.combine(first_day, dt.time(0), tzinfo=tz)
        end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
        return cls(start.astimezone(dt.UTC), end.astimezone(dt.UTC))


def median(histogram: Counter[int]) -> float | None:
    """The middle value (or the two middle values' mean) of a histogram ``{value: count}``."""
    n = sum(histogram.values())
    if not n:
        return None
    wanted, found, seen = {(n + 1) // 2, (n + 2) // 2}, [], 0
    for value in sorted(histogram):
        before, seen = seen, seen + histogram[value]
        found += [value for rank in sorted(wanted) if before < rank <= seen]
        if len(found) == len(wanted):
            break
    return sum(found) / len(found)


@dataclass
class GroupFigures:
    key: str | None
    received: int = 0
    not_responded: int = 0
    resolved: int = 0
    unresolved: int = 0
    ended_unresolved: int = 0
    rating_sum: int = 0
    rating_count: int = 0
    within_deadline: int = 0
    breaches: int = 0
    #: Working days from receipt to first response / to resolution: ``{days: cases}``.
    response_days: Counter[int] = field(default_factory=Counter)
    resolution_days: Counter[int] = field(default_factory=Counter)

    def add(
        self, response_wd: int | None, resolution_wd: int | None, counts: Sequence[Any]
    ) -> None:
        """Fold in one tally row: ``counts`` in :data:`COUNTS` order, for ``received`` cases
        that all took ``response_wd`` / ``resolution_wd`` working days (None: not yet)."""
        for name, value in zip(COUNTS, counts, strict=True):
            setattr(self, name, getattr(self, name) + int(value or 0))
        cases = int(counts[0])
        if response_wd is not None:
            self.response_days[int(response_wd)] += cases
        if resolution_wd is not None:
            self.resolution_days[int(resolution_wd)] += cases

    def merge(self, other: GroupFigures) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.response_days.update(other.response_days)
        self.resolution_days.update(other.resolution_days)

    @property
    def response_count(self) -> int:
        return sum(self.response_days.values())

    @property
    def response_sum(self) -> int:
        return sum(days * n for days, n in self.response_days.items())

    @property
    def resolution_count(self) -> int:
        return sum(self.resolution_days.values())

    @property
    def resolution_sum(self) -> int:
        return sum(days * n for days, n in self.resolution_days.items())

    @property
    def response_median(self) -> float | None:
        return median(self.response_days)

    @property
    def resolution_median(self) -> float | None:
        return median(self.resolution_days)


def fold(
    rows: Iterable[Sequence[Any]], groups: dict[str | None, GroupFigures] | None = None
) -> dict[str | None, GroupFigures]:
    """Tally rows ``(key, response_wd, resolution_wd, *COUNTS)`` into figures per key."""
    out = {} if groups is None else groups
    for key, response_wd, resolution_wd, *counts in rows:
        figures = out.get(key)
        if figures is None:
            figures = out[key] = GroupFigures(key=key)
        figures.add(response_wd, resolution_wd, counts)
    return out


def total(groups: Iterable[GroupFigures], key: str | None = "all") -> GroupFigures:
    """All groups together (every case is in exactly one group, so every figure adds up)."""
    out = GroupFigures(key=key)
    for figures in groups:
        out.merge(figures)
    return out


#: The group a rahasia case falls in on public pages when grouping would describe it.
CONFIDENTIAL_KEY = "RAHASIA"


def group_key(
    group_by: str | None, offset_minutes: int, mask_confidential: bool = False
) -> ColumnElement:
    """The grouping expression. ``mask_confidential``: rahasia cases are counted but put in one
    ``RAHASIA`` group for category and kecamatan, so their subject and place are never shown."""
    if group_by is None:
        return literal("all")
    if mask_confidential and group_by in ("category", "kecamatan"):
        column = Case.category_code if group_by == "category" else Case.kecamatan_code
        return case((Case.confidential.is_(True), literal(CONFIDENTIAL_KEY)), else_=column)
    return {
        "opd": Case.opd_code,
        "category": Case.category_code,
        "channel": Case.channel,
        "kecamatan": Case.kecamatan_code,
        "month": local_month(Case.received_at, offset_minutes),
    }[group_by]


def case_filter(period: Period, actor: Actor) -> list[ColumnElement[bool]]:
    return [
        Case.received_at >= period.start,
        Case.received_at < period.end,
        *owned_conditions(actor),
    ]


def clock_flags(cases: list[ColumnElement[bool]]):
    """Per case counted (``cases``: the tally's conditions) with any: whether a resolution
    clock was met, and how many clocks breached. Limited to those cases so a day's tally
    does not aggregate every met clock of past years."""
    met = and_(SlaClock.kind == "resolution", SlaClock.state == "met")
    breached = SlaClock.breached_at.is_not(None)
    return (
        select(
            SlaClock.case_id.label("case_id"),
            func.max(case((met, 1), else_=0)).label("met"),
            func.sum(case((breached, 1), else_=0)).label("breaches"),
        )
        .where(or_(met, breached), SlaClock.case_id.in_(select(Case.id).where(*cases)))
        .group_by(SlaClock.case_id)
        .subquery("clock_flags")
    )


def tally_select(
    keys: Sequence[ColumnElement], period: Period, actor: Actor, offset_minutes: int
) -> Select:
    """``(*keys, response_wd, resolution_wd, *COUNTS)`` per distinct keys and durations, over
    the cases received in ``period`` that ``actor`` may count.

    Durations join the working-day index (``idx(end's local date) - idx(receipt's)``); a case
    not answered yet (or whose dates fall outside the index) has a None duration and is left
    out of that duration's average and median, as it always was.
    """
    start, responded, resolved = working_day_alias(), working_day_alias(), working_day_alias()
    response_wd = (responded.ordinal - start.ordinal).label("response_wd")
    resolution_wd = (resolved.ordinal - start.ordinal).label("resolution_wd")
    conditions = case_filter(period, actor)
    flags = clock_flags(conditions)
    labelled = [k.label(f"k{i}") for i, k in enumerate(keys)]
    return (
        select(*labelled, response_wd, resolution_wd, *tally_counts(flags))
        .select_from(Case)
        .outerjoin(flags, flags.c.case_id == Case.id)
        .outerjoin(start, start.day == local_date(Case.received_at, offset_minutes))
        .outerjoin(responded, responded.day == local_date(Case.first_response_at, offset_minutes))
        .outerjoin(resolved, resolved.day == local_date(Case.resolved_at, offset_minutes))
        .where(*conditions)
        .group_by(*labelled, response_wd, resolution_wd)
    )


def tally_counts(flags) -> list[ColumnElement]:
    """The aggregates of :data:`COUNTS`, in order, over ``Case`` joined with ``flags``
    (:func:`clock_flags`)."""
    one, zero = literal(1), literal(0)
    return [
        func.count(Case.id),
        func.sum(case((Case.first_response_at.is_(None), one), else_=zero)),
        func.sum(case((Case.resolved_at.is_not(None), one), else_=zero)),
        func.sum(
            case(
                (and_(Case.resolved_at.is_(None), Case.status.not_in(ENDED_UNRESOLVED)), one),
                else_=zero,
            )
        ),
        func.sum(
            case(
                (and_(Case.resolved_at.is_(None), Case.status.in_(ENDED_UNRESOLVED)), one),
                else_=zero,
            )
        ),
        func.coalesce(func.sum(Case.rating), 0),
        func.count(Case.rating),
        func.coalesce(func.sum(flags.c.met), 0),
        func.coalesce(func.sum(flags.c.breaches), 0),
    ]


async def tally(
    session: AsyncSession,
    period: Period,
    actor: Actor,
    group_by: str | None,
    offset_minutes: int,
    *,
    mask_confidential: bool = False,
) -> dict[str | None, GroupFigures]:
    """Every figure per group (``group_by=None``: one group ``"all"``), in one pass."""
    if group_by is None:
        stmt = tally_select([], period, actor, offset_minutes)
        return fold(("all", *row) for row in (await session.execute(stmt)).all())
    key = group_key(group_by, offset_minutes, mask_confidential)
    stmt = tally_select([key], period, actor, offset_minutes)
    return fold((await session.execute(stmt)).all())


async def reference_names(session: AsyncSession, group_by: str | None) -> dict[str, str]:
    model = {"opd": Opd, "category": Category, "kecamatan": Kecamatan}.get(group_by or "")
    if model is None:
        return {}
    return {
        code: name for code, name in (await session.execute(select(model.code, model.name))).all()
    }
