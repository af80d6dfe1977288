"""Every query of the mirror's tables (``shared/models/sync.py``). Only flushes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models import Attachment, Case, CaseMessage, EventDelivery, Reporter, utcnow
from shared.models.sync import LaporMirror, LaporOutboundOp, SyncSetting

PAUSED_KEY = "paused"
DISCOVER_CURSOR_KEY = "discover_cursor"
SYNC_CONSUMER = "sync"

IN_FLIGHT = ("sent", "uncertain")


# -- settings -----------------------------------------------------------------------------
async def get_setting(session: AsyncSession, key: str, default: Any = None) -> Any:
    row = await session.get(SyncSetting, key)
    return default if row is None else row.value


async def set_setting(session: AsyncSession, key: str, value: Any, by: str | None = None) -> None:
    row = await session.get(SyncSetting, key)
    if row is None:
        try:
            async with session.begin_nested():
                session.add(SyncSetting(key=key, value=value, updated_by=by, updated_at=utcnow()))
                await session.flush()
            return
        except IntegrityError:
            row = await session.get(SyncSetting, key)
    await session.execute(
        update(SyncSetting)
        .where(SyncSetting.key == key)
        .values(value=value, updated_by=by, updated_at=utcnow())
    )


async def is_paused(session: AsyncSession) -> bool:
    value = await get_setting(session, PAUSED_KEY)
    return bool(value and value.get("paused"))


# -- mirror rows --------------------------------------------------------------------------
async def get_mirror(session: AsyncSession, case_id: int) -> LaporMirror | None:
    return await session.scalar(
        select(LaporMirror)
        .where(LaporMirror.case_id == case_id)
        .execution_options(populate_existing=True)
    )


async def mirror_by_complaint(session: AsyncSession, complaint_id: int) -> LaporMirror | None:
    return await session.scalar(
        select(LaporMirror).where(LaporMirror.lapor_complaint_id == complaint_id)
    )


async def ensure_mirror(session: AsyncSession, case_id: int) -> LaporMirror:
    """The case's mirror row, made ``pending`` if it has none (safe against a racing insert)."""
    mirror = await get_mirror(session, case_id)
    if mirror is not None:
        return mirror
    now = utcnow()
    try:
        async with session.begin_nested():
            session.add(
                LaporMirror(case_id=case_id, state="pending", created_at=now, updated_at=now)
            )
            await session.flush()
    except IntegrityError:
        pass
    mirror = await get_mirror(session, case_id)
    assert mirror is not None
    return mirror


async def update_mirror(session: AsyncSession, case_id: int, **values: Any) -> None:
    values.setdefault("updated_at", utcnow())
    await session.execute(
        update(LaporMirror).where(LaporMirror.case_id == case_id).values(**values)
    )


async def record_national_id(
    session: AsyncSession, case_id: int, complaint_id: int, status_code: int | None
) -> None:
    """The national case exists: remember its id on the mirror and on the case.

    The case row is changed with a plain UPDATE, not through the ORM, so the sync does not
    bump the case's optimistic-lock version under an operator's feet.
    """
    values: dict[str, Any] = {"lapor_complaint_id": complaint_id, "state": "created"}
    if status_code is not None:
        values["national_status_code"] = status_code
    await session.execute(
        update(LaporMirror)
        .where(
            LaporMirror.case_id == case_id, LaporMirror.state.in_(("pending", "created", "paused"))
        )
        .values(**values, updated_at=utcnow(), next_check_at=utcnow())
    )
    await session.execute(
        update(LaporMirror)
        .where(LaporMirror.case_id == case_id, LaporMirror.state == "held")
        .values(lapor_complaint_id=complaint_id, updated_at=utcnow())
    )
    case_values: dict[str, Any] = {"lapor_complaint_id": complaint_id}
    if status_code is not None:
        case_values["lapor_status_code"] = status_code
    await session.execute(update(Case).where(Case.id == case_id).values(**case_values))


async def record_national_status(session: AsyncSession, case_id: int, status_code: int) -> None:
    await update_mirror(session, case_id, national_status_code=status_code)
    await session.execute(
        update(Case).where(Case.id == case_id).values(lapor_status_code=status_code)
    )


# -- outbound ops -------------------------------------------------------------------------
async def get_or_create_op(
    session: AsyncSession,
    *,
    case_id: int,
    event_id: int,
    kind: str,
    status_code: int | None = None,
    content: str | None = None,
) -> LaporOutboundOp:
    stmt = (
        select(LaporOutboundOp)
        .where(LaporOutboundOp.event_id == event_id, LaporOutboundOp.kind == kind)
        .execution_options(populate_existing=True)
    )
    op = await session.scalar(stmt)
    if op is not None:
        return op
    now = utcnow()
    try:
        async with session.begin_nested():
            session.add(
                LaporOutboundOp(
                    case_id=case_id,
                    event_id=event_id,
                    kind=kind,
                    status="pending",
                    attempts=0,
                    status_code=status_code,
                    content=content,
                    created_at=now,
                    updated_at=now,
                )
            )
            await session.flush()
    except IntegrityError:
        pass
    op = await session.scalar(stmt)
    assert op is not None
    return op


async def update_op(session: AsyncSession, op_id: int, **values: Any) -> None:
    values.setdefault("updated_at", utcnow())
    await session.execute(
        update(LaporOutboundOp).where(LaporOutboundOp.id == op_id).values(**values)
    )


async def mark_op_sent(session: AsyncSession, op_id: int) -> None:
    await session.execute(
        update(LaporOutboundOp)
        .where(LaporOutboundOp.id == op_id)
        .values(status="sent", attempts=LaporOutboundOp.attempts + 1, updated_at=utcnow())
    )


async def create_was_attempted(session: AsyncSession, case_id: int) -> bool:
    """Has any create for this case ever been sent? Then search by tag before sending one."""
    return bool(
        await session.scalar(
            select(
                exists().where(
                    LaporOutboundOp.case_id == case_id,
                    LaporOutboundOp.kind == "create",
                    LaporOutboundOp.attempts > 0,
                )
            )
        )
    )


async def claimed_followup_ids(session: AsyncSession, case_id: int) -> set[int]:
    rows = await session.scalars(
        select(LaporOutboundOp.lapor_followup_id).where(
            LaporOutboundOp.case_id == case_id, LaporOutboundOp.lapor_followup_id.is_not(None)
        )
    )
    return {int(r) for r in rows}


async def in_flight_status_codes(session: AsyncSession, case_id: int) -> set[int]:
    """National codes our own sent-but-unconfirmed ops may have set (not a national change)."""
    rows = await session.scalars(
        select(LaporOutboundOp.status_code).where(
            LaporOutboundOp.case_id == case_id,
            LaporOutboundOp.status.in_(IN_FLIGHT),
            LaporOutboundOp.status_code.is_not(None),
        )
    )
    return {int(r) for r in rows}


async def has_dead_op(session: AsyncSession, event_id: int) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    LaporOutboundOp.event_id == event_id, LaporOutboundOp.status == "dead"
                )
            )
        )
    )


async def ops_of_case(
    session: AsyncSession, case_id: int, limit: int = 50
) -> list[LaporOutboundOp]:
    rows = await session.scalars(
        select(LaporOutboundOp)
        .where(LaporOutboundOp.case_id == case_id)
        .order_by(LaporOutboundOp.id.desc())
        .limit(limit)
    )
    return list(rows)


# -- what the create needs ------------------------------------------------------------------
async def case_with_reporter(session: AsyncSession, case_id: int) -> tuple[Case, Reporter | None]:
    case = await session.get(Case, case_id, populate_existing=True)
    if case is None:
        raise LookupError(f"case {case_id} does not exist")
    reporter = await session.get(Reporter, case_id)
    return case, reporter


async def stored_attachments(session: AsyncSession, case_id: int) -> list[Attachment]:
    rows = await session.scalars(
        select(Attachment)
        .where(Attachment.case_id == case_id, Attachment.storage_key.is_not(None))
        .order_by(Attachment.id)
    )
    return list(rows)


async def message_by_id(session: AsyncSession, message_id: int) -> CaseMessage | None:
    return await session.get(CaseMessage, message_id)


async def latest_reply(session: AsyncSession, case_id: int, before: datetime) -> CaseMessage | None:
    return await session.scalar(
        select(CaseMessage)
        .where(
            CaseMessage.case_id == case_id,
            CaseMessage.kind == "reply",
            CaseMessage.created_at <= before,
        )
        .order_by(CaseMessage.created_at.desc(), CaseMessage.id.desc())
        .limit(1)
    )


# -- the sync consumer's deliveries ----------------------------------------------------------
async def make_sync_deliveries_due(session: AsyncSession, case_id: int | None = None) -> int:
    """Pending sync deliveries become due now (after resume, release or a forced re-sync)."""
    d = EventDelivery
    stmt = (
        update(d)
        .where(d.consumer == SYNC_CONSUMER, d.status == "pending")
        .values(next_attempt_at=utcnow())
    )
    if case_id is not None:
        stmt = stmt.where(d.case_id == case_id)
    result = await session.execute(stmt)
    return result.rowcount or 0


async def enqueue_for_sync(session: AsyncSession, event_id: int, case_id: int) -> None:
    """Queue an event for the sync consumer only (``lapor.*`` types fan out to nobody)."""
    now = utcnow()
    session.add(
        EventDelivery(
            event_id=event_id,
            consumer=SYNC_CONSUMER,
            case_id=case_id,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    await session.flush()


async def has_open_sync_delivery(session: AsyncSession, case_id: int) -> bool:
    d = EventDelivery
    return bool(
        await session.scalar(
            select(
                exists().where(
                    and_(
                        d.consumer == SYNC_CONSUMER,
                        d.case_id == case_id,
                        d.status.in_(("pending", "dead")),
                    )
                )
            )
        )
    )


async def mirror_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(LaporMirror.state, func.count()).group_by(LaporMirror.state)
    )
    return {state: count for state, count in rows.all()}
