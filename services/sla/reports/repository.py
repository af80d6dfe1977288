"""Every query of the performance reports: aggregates over cases and SLA clocks, in SQL.

Access is decided once, in :func:`readable_cases`: an OPD's pejabat penghubung sees only its
OPD's cases; Admin Instansi and viewers see all. Every figure starts from it.

Sums and counts come back as integers and averages/medians are divided in Python, so the
figures are identical on SQLite and PostgreSQL (no backend-specific float rounding, no
``percentile_cont``): the median is taken with ``ROW_NUMBER``/``COUNT`` windows, which both
backends have.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from shared.auth import Actor
from shared.lifecycle import Role, Status
from shared.models import Case
from shared.models.sla import SlaClock

from .workdays import local_date, local_month, working_day_alias

GROUPS = ("opd", "category", "channel", "kecamatan", "month")
#: Statuses that end a case without a resolution of the pemda's own (not "not yet resolved").
ENDED_UNRESOLVED = (Status.ARCHIVED.value, Status.FORWARDED_NATIONAL.value)


@dataclass
class Period:
    """Cases received from ``start`` (inclusive) to ``end`` (exclusive), as UTC moments."""

    start: dt.datetime
    end: dt.datetime


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
    response_sum: int = 0
    response_count: int = 0
    resolution_sum: int = 0
    resolution_count: int = 0
    response_median: float | None = None
    resolution_median: float | None = None
    within_deadline: int = 0
    breaches: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def readable_cases(actor: Actor) -> list[ColumnElement[bool]]:
    """The conditions that limit ``cases`` to what ``actor`` may count."""
    if actor.role == Role.OPD:
        return [Case.opd_code == actor.opd_code]
    return []


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


def _case_filter(period: Period, actor: Actor) -> list[ColumnElement[bool]]:
    return [Case.received_at >= period.start, Case.received_at < period.end, *readable_cases(actor)]


async def counts(
    session: AsyncSession,
    period: Period,
    actor: Actor,
    group_by: str | None,
    offset_minutes: int,
    *,
    mask_confidential: bool = False,
) -> dict[str | None, GroupFigures]:
    """Received, responded, resolved, ratings and duration sums per group."""
    key = group_key(group_by, offset_minutes, mask_confidential).label("key")
    resp_start, resp_end = working_day_alias(), working_day_alias()
    res_end = working_day_alias()
    response_wd = resp_end.ordinal - resp_start.ordinal
    resolution_wd = res_end.ordinal - resp_start.ordinal
    one, zero = literal(1), literal(0)
    stmt = (
        select(
            key,
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
            func.coalesce(func.sum(response_wd), 0),
            func.count(response_wd),
            func.coalesce(func.sum(resolution_wd), 0),
            func.count(resolution_wd),
        )
        .select_from(Case)
        .outerjoin(resp_start, resp_start.day == local_date(Case.received_at, offset_minutes))
        .outerjoin(resp_end, resp_end.day == local_date(Case.first_response_at, offset_minutes))
        .outerjoin(res_end, res_end.day == local_date(Case.resolved_at, offset_minutes))
        .where(*_case_filter(period, actor))
        .group_by(key)
    )
    out: dict[str | None, GroupFigures] = {}
    for row in (await session.execute(stmt)).all():
        out[row[0]] = GroupFigures(
            key=row[0],
            received=int(row[1]),
            not_responded=int(row[2] or 0),
            resolved=int(row[3] or 0),
            unresolved=int(row[4] or 0),
            ended_unresolved=int(row[5] or 0),
            rating_sum=int(row[6]),
            rating_count=int(row[7]),
            response_sum=int(row[8]),
            response_count=int(row[9]),
            resolution_sum=int(row[10]),
            resolution_count=int(row[11]),
        )
    return out


async def medians(
    session: AsyncSession,
    period: Period,
    actor: Actor,
    group_by: str | None,
    offset_minutes: int,
    end: str,
) -> dict[str | None, float]:
    """The median working days from receipt to ``end`` (``first_response_at``/``resolved_at``)
    per group: the middle row (or the two middle rows' mean) by ``ROW_NUMBER`` over the group."""
    end_column = getattr(Case, end)
    start_idx, end_idx = working_day_alias(), working_day_alias()
    key = group_key(group_by, offset_minutes).label("key")
    wd = (end_idx.ordinal - start_idx.ordinal).label("wd")
    ranked = (
        select(
            key,
            wd,
            func.row_number().over(partition_by=key, order_by=wd).label("rn"),
            func.count().over(partition_by=key).label("n"),
        )
        .select_from(Case)
        .join(start_idx, start_idx.day == local_date(Case.received_at, offset_minutes))
        .join(end_idx, end_idx.day == local_date(end_column, offset_minutes))
        .where(*_case_filter(period, actor), end_column.is_not(None))
        .subquery()
    )
    middle = (
        select(ranked.c.key, func.sum(ranked.c.wd), func.count())
        .where(ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2]))
        .group_by(ranked.c.key)
    )
    return {row[0]: int(row[1]) / int(row[2]) for row in (await session.execute(middle)).all()}


async def clock_figures(
    session: AsyncSession, period: Period, actor: Actor, group_by: str | None, offset_minutes: int
) -> dict[str | None, tuple[int, int]]:
    """Per group: cases whose resolution clock was met (resolved within the deadline), and
    clocks breached (any kind), from the SLA clocks of the period's cases."""
    key = group_key(group_by, offset_minutes).label("key")
    one, zero = literal(1), literal(0)
    met = and_(SlaClock.kind == "resolution", SlaClock.state == "met")
    stmt = (
        select(
            key,
            func.count(func.distinct(case((met, SlaClock.case_id), else_=None))),
            func.sum(case((SlaClock.breached_at.is_not(None), one), else_=zero)),
        )
        .select_from(Case)
        .join(SlaClock, SlaClock.case_id == Case.id)
        .where(*_case_filter(period, actor))
        .group_by(key)
    )
    return {
        row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in (await session.execute(stmt)).all()
    }


async def reference_names(session: AsyncSession, group_by: str | None) -> dict[str, str]:
    from shared.models import Category, Kecamatan, Opd

    model = {"opd": Opd, "category": Category, "kecamatan": Kecamatan}.get(group_by or "")
    if model is None:
        return {}
    return {
        code: name for code, name in (await session.execute(select(model.code, model.name))).all()
    }
