"""Holiday overrides as one step each: the override, then the running clocks whose
deadlines span its date recomputed on the new calendar — what the admin API and the
console both call (``/admin/calendar/overrides``, ``/konsol/admin/hari-libur``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from services.sla.clocks.service import reschedule_around
from shared.auth import Actor
from shared.events.consumer import WorkerContext
from shared.models.sla import HolidayOverride

from . import service


async def add_override(
    session: AsyncSession, ctx: WorkerContext, *, day: dt.date, kind: str, reason: str,
    actor: Actor,
) -> HolidayOverride:  # fmt: skip
    calendar = await service.current_calendar(session, ctx)
    row = await service.add_override(
        session, calendar, day=day, kind=kind, reason=reason, actor=actor
    )
    await reschedule_around(
        session, await service.current_calendar(session, ctx), ctx.settings, day
    )
    return row


async def revoke_override(
    session: AsyncSession, ctx: WorkerContext, *, override_id: int, reason: str, actor: Actor
) -> HolidayOverride:
    row = await service.revoke_override(
        session, override_id=override_id, reason=reason, actor=actor
    )
    await reschedule_around(
        session, await service.current_calendar(session, ctx), ctx.settings, row.date
    )
    return row
