"""Every query of holiday overrides."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.sla import HolidayOverride


async def overrides_version(session: AsyncSession) -> tuple[Any, ...]:
    """A cheap fingerprint of the table: any add or revoke changes it (one aggregate over a
    table of tens of rows)."""
    row = (
        await session.execute(
            select(
                func.count(HolidayOverride.id),
                func.max(HolidayOverride.id),
                func.max(HolidayOverride.updated_at),
            )
        )
    ).one()
    return tuple(row)


async def active_overrides(session: AsyncSession) -> list[HolidayOverride]:
    stmt = (
        select(HolidayOverride)
        .where(HolidayOverride.revoked_at.is_(None))
        .order_by(HolidayOverride.date)
    )
    return list((await session.scalars(stmt)).all())


async def list_overrides(
    session: AsyncSession, *, year: int | None = None, include_revoked: bool = False
) -> list[HolidayOverride]:
    stmt = select(HolidayOverride).order_by(HolidayOverride.date, HolidayOverride.id)
    if not include_revoked:
        stmt = stmt.where(HolidayOverride.revoked_at.is_(None))
    if year is not None:
        stmt = stmt.where(
            HolidayOverride.date >= dt.date(year, 1, 1),
            HolidayOverride.date <= dt.date(year, 12, 31),
        )
    return list((await session.scalars(stmt)).all())


async def active_override_on(session: AsyncSession, day: dt.date) -> HolidayOverride | None:
    return await session.scalar(
        select(HolidayOverride).where(
            HolidayOverride.date == day, HolidayOverride.revoked_at.is_(None)
        )
    )


async def get_override(session: AsyncSession, override_id: int) -> HolidayOverride | None:
    return await session.get(HolidayOverride, override_id)
