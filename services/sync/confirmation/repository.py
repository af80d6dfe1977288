"""Queries of "perlu konfirmasi": mirrors waiting for an operator, and their creates in
flight. Only flushes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.sync.mirror.repository import IN_FLIGHT
from shared.models import Case, utcnow
from shared.models.sync import LaporMirror, LaporOutboundOp


async def mark_to_confirm(session: AsyncSession, case_id: int, reason: str) -> bool:
    """ "Perlu konfirmasi": a mirror with no national id waits for an operator. False when
    it already waits (or has its id)."""
    result = await session.execute(
        update(LaporMirror)
        .where(
            LaporMirror.case_id == case_id,
            LaporMirror.lapor_complaint_id.is_(None),
            LaporMirror.state.in_(("pending", "paused")),
        )
        .values(state="to_confirm", held_reason=reason, updated_at=utcnow())
    )
    return bool(result.rowcount)


async def unconfirmed_mirrors(session: AsyncSession, limit: int = 200) -> list[Row[Any]]:
    """Mirrors in ``to_confirm`` with their case and latest create op, oldest first."""
    create = aliased(LaporOutboundOp)
    latest_create = (
        select(func.max(create.id))
        .where(create.case_id == LaporMirror.case_id, create.kind == "create")
        .correlate(LaporMirror)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(LaporMirror, Case, LaporOutboundOp)
        .join(Case, Case.id == LaporMirror.case_id)
        .outerjoin(LaporOutboundOp, LaporOutboundOp.id == latest_create)
        .where(LaporMirror.state == "to_confirm")
        .order_by(LaporMirror.updated_at, LaporMirror.case_id)
        .limit(limit)
    )
    return list(rows.all())


async def settle_create_ops(session: AsyncSession, case_id: int, **values: Any) -> int:
    """An operator's answer for the case's creates in flight (``sent``/``uncertain``)."""
    values.setdefault("updated_at", utcnow())
    result = await session.execute(
        update(LaporOutboundOp)
        .where(
            LaporOutboundOp.case_id == case_id,
            LaporOutboundOp.kind == "create",
            LaporOutboundOp.status.in_(IN_FLIGHT),
        )
        .values(**values)
    )
    return result.rowcount or 0


async def latest_create_op(session: AsyncSession, case_id: int) -> LaporOutboundOp | None:
    return await session.scalar(
        select(LaporOutboundOp)
        .where(LaporOutboundOp.case_id == case_id, LaporOutboundOp.kind == "create")
        .order_by(LaporOutboundOp.id.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )
