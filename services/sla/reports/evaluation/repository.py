"""Every query of the semester evaluation: the rating distribution (the one figure the
performance summary does not carry) and the published snapshots."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.sla.reports import repository as reports
from services.sla.reports.repository import Period
from shared.auth import Actor
from shared.cases.access import owned_conditions
from shared.models import Case
from shared.models.reporting import PublishedEvaluation

from .schemas import RATINGS


async def rating_distribution(
    session: AsyncSession, period: Period, actor: Actor, group_by: str | None
) -> dict[str | None, dict[int, int]]:
    """Ratings 1–5 counted per group (``None``: one group, key ``"all"``)."""
    key = reports.group_key(group_by, 0).label("key")
    stmt = (
        select(key, Case.rating, func.count())
        .where(
            Case.received_at >= period.start,
            Case.received_at < period.end,
            Case.rating.is_not(None),
            *owned_conditions(actor),
        )
        .group_by(key, Case.rating)
    )
    out: dict[str | None, dict[int, int]] = {}
    for group, rating, count in (await session.execute(stmt)).all():
        out.setdefault(group, dict.fromkeys(RATINGS, 0))[int(rating)] = int(count)
    return out


async def published_row(
    session: AsyncSession, year: int, semester: int
) -> PublishedEvaluation | None:
    stmt = select(PublishedEvaluation).where(
        PublishedEvaluation.year == year, PublishedEvaluation.semester == semester
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def published(session: AsyncSession) -> list[PublishedEvaluation]:
    stmt = select(PublishedEvaluation).order_by(
        PublishedEvaluation.year.desc(), PublishedEvaluation.semester.desc()
    )
    return list((await session.execute(stmt)).scalars())


async def get_published(
    session: AsyncSession, year: int, semester: int
) -> PublishedEvaluation | None:
    return await published_row(session, year, semester)
