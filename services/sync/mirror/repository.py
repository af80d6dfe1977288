"""Every query of the mirror's tables (``shared/models/sync.py``). Only flushes."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Row,
    Table,
    Update,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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


def _insert_or_nothing(session: AsyncSession, model: type, conflict_columns: list[str]) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` for the session's backend: a racing insert
    loses quietly in one round trip (no savepoint, no exception to recover from)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(model).on_conflict_do_nothing(index_elements=conflict_columns)


@functools.cache
def _update_by_key(table: Table, key: str, columns: tuple[str, ...]) -> Update:
    """``UPDATE table SET <column> = :v_<column>, ... WHERE <key> = :_key``, built once per
    shape. The mirror's hot path runs a handful of statements per case: prepared like this
    (Core, bind parameters) each skips SQLAlchemy's statement building, cache-key walk and
    ORM bulk-update step, about 0.3 ms of CPU of ~0.6 ms (measured). Being Core, they leave
    loaded ORM objects as they were; the mirror re-reads with ``populate_existing``."""
    return (
        update(table)
        .where(table.c[key] == bindparam("_key"))
        .values({name: bindparam(f"v_{name}", type_=table.c[name].type) for name in columns})
    )


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
    return mirror if mirror is not None else await insert_mirror(session, case_id)


async def insert_mirror(session: AsyncSession, case_id: int) -> LaporMirror:
    """A ``pending`` mirror row for a case that had none (or the row a racing insert made)."""
    now = utcnow()
    mirror = await session.scalar(
        _insert_or_nothing(session, LaporMirror, ["case_id"])
        .values(case_id=case_id, state="pending", created_at=now, updated_at=now)
        .returning(LaporMirror)
    )
    if mirror is None:  # another worker inserted it first
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

    A held mirror (or any but a pending, created or paused one) keeps its state, status
    code and schedule for the operator: only the id is recorded. One UPDATE per table. The
    case row is changed with a plain UPDATE, not through the ORM, so the sync does not bump
    the case's optimistic-lock version under an operator's feet.
    """
    with_status = status_code is not None
    params = {"_key": case_id, "v_complaint_id": complaint_id, "v_status_code": status_code}
    now = {"v_now": utcnow()}
    await session.execute(_mirror_national_id_update(with_status), {**params, **now})
    await session.execute(_case_national_id_update(with_status), params)


@functools.cache
def _mirror_national_id_update(with_status: bool) -> Update:
    """:func:`record_national_id` on the mirror row (built once, see ``_update_by_key``)."""
    mirror = LaporMirror.__table__.c
    # Plain comparisons, not IN: an IN list is re-rendered on every execution.
    movable = or_(*(mirror.state == state for state in ("pending", "created", "paused")))

    def when_movable(column: Any, value: Any) -> Any:
        return case((movable, value), else_=column)

    values: dict[str, Any] = {
        "lapor_complaint_id": bindparam("v_complaint_id", type_=mirror.lapor_complaint_id.type),
        "state": when_movable(mirror.state, literal("created", mirror.state.type)),
        "next_check_at": when_movable(
            mirror.next_check_at, bindparam("v_now", type_=mirror.next_check_at.type)
        ),
        "updated_at": bindparam("v_now", type_=mirror.updated_at.type),
    }
    if with_status:
        values["national_status_code"] = when_movable(
            mirror.national_status_code,
            bindparam("v_status_code", type_=mirror.national_status_code.type),
        )
    return update(LaporMirror.__table__).where(mirror.case_id == bindparam("_key")).values(values)


@functools.cache
def _case_national_id_update(with_status: bool) -> Update:
    cases = Case.__table__.c
    values: dict[str, Any] = {
        "lapor_complaint_id": bindparam("v_complaint_id", type_=cases.lapor_complaint_id.type)
    }
    if with_status:
        values["lapor_status_code"] = bindparam("v_status_code", type_=cases.lapor_status_code.type)
    return update(Case.__table__).where(cases.id == bindparam("_key")).values(values)


async def mark_event_synced(session: AsyncSession, case_id: int, event_id: int) -> None:
    """The last event of the case the mirror has brought to LAPOR!."""
    stmt = _update_by_key(LaporMirror.__table__, "case_id", ("last_synced_event_id", "updated_at"))
    await session.execute(
        stmt, {"_key": case_id, "v_last_synced_event_id": event_id, "v_updated_at": utcnow()}
    )


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
) -> Row[Any]:
    """The op of (event, kind) as a row, inserted ``pending`` if new. Inserted first, since
    nearly every op is new (one round trip); read back only when it already existed."""
    now = utcnow()
    values = {
        "case_id": case_id,
        "event_id": event_id,
        "kind": kind,
        "status": "pending",
        "attempts": 0,
        "status_code": status_code,
        "content": content,
        "created_at": now,
        "updated_at": now,
    }
    dialect = session.get_bind().dialect.name
    result = await session.execute(
        _op_insert(dialect), {f"v_{name}": value for name, value in values.items()}
    )
    op = result.first()
    if op is None:  # recorded by an earlier attempt (or another worker)
        op = (
            await session.execute(_OP_BY_EVENT_AND_KIND, {"event_id": event_id, "kind": kind})
        ).first()
    assert op is not None
    return op


@functools.cache
def _op_insert(dialect: str) -> Any:
    ops = LaporOutboundOp.__table__
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    columns = ("case_id", "event_id", "kind", "status", "attempts", "status_code", "content")
    return (
        insert(ops)
        .values(
            {
                name: bindparam(f"v_{name}", type_=ops.c[name].type)
                for name in (*columns, "created_at", "updated_at")
            }
        )
        .on_conflict_do_nothing(index_elements=["event_id", "kind"])
        .returning(*ops.c)
    )


_OPS = LaporOutboundOp.__table__
_OP_BY_EVENT_AND_KIND = select(_OPS).where(
    _OPS.c.event_id == bindparam("event_id"), _OPS.c.kind == bindparam("kind")
)


async def update_op(session: AsyncSession, op_id: int, **values: Any) -> None:
    """Change an op row (plain values only); loaded op rows keep what they were read with."""
    values.setdefault("updated_at", utcnow())
    stmt = _update_by_key(_OPS, "id", tuple(sorted(values)))
    await session.execute(stmt, {"_key": op_id, **{f"v_{k}": v for k, v in values.items()}})


_MARK_OP_SENT = (
    update(_OPS)
    .where(_OPS.c.id == bindparam("_key"))
    .values(
        status="sent",
        attempts=_OPS.c.attempts + 1,
        updated_at=bindparam("v_updated_at", type_=_OPS.c.updated_at.type),
    )
)


async def mark_op_sent(session: AsyncSession, op_id: int) -> None:
    """The intent: ``sent``, one more attempt (the caller commits before the call)."""
    await session.execute(_MARK_OP_SENT, {"_key": op_id, "v_updated_at": utcnow()})


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
@dataclass
class SyncContext:
    """What the mirror needs to decide about one event of a case, read in one query: each
    round trip costs the worker more than the query itself."""

    case: Case
    reporter: Reporter | None
    #: None until the case's first event makes it (:func:`ensure_mirror`).
    mirror: LaporMirror | None
    paused: bool
    #: Is a create of this case sent with its outcome unknown (``sent``/``uncertain``)?
    #: Then it is never sent again on a guess.
    create_attempted: bool
    #: Has the case stored files to upload before its create?
    has_stored_attachments: bool


async def sync_context(session: AsyncSession, case_id: int) -> SyncContext:
    """The case, its reporter and mirror row, the pause switch and what a create must know,
    fresh from the database in one query."""
    row = (await session.execute(_sync_context_query(), {"case_id": case_id})).first()
    if row is None:
        raise LookupError(f"case {case_id} does not exist")
    case, reporter, mirror, paused_value, attempted, has_files = row
    return SyncContext(
        case=case,
        reporter=reporter,
        mirror=mirror,
        paused=bool(paused_value and paused_value.get("paused")),
        create_attempted=bool(attempted),
        has_stored_attachments=bool(has_files),
    )


@functools.cache
def _sync_context_query() -> Any:
    """:func:`sync_context`'s statement, built once (building it took more CPU than
    running it; see ``_update_by_key``)."""
    paused = select(SyncSetting.value).where(SyncSetting.key == PAUSED_KEY).scalar_subquery()
    create_attempted = exists().where(
        LaporOutboundOp.case_id == Case.id,
        LaporOutboundOp.kind == "create",
        or_(*(LaporOutboundOp.status == status for status in IN_FLIGHT)),
    )
    has_stored_attachments = exists().where(
        Attachment.case_id == Case.id, Attachment.storage_key.is_not(None)
    )
    return (
        select(
            Case,
            Reporter,
            LaporMirror,
            paused.label("paused"),
            create_attempted.label("create_attempted"),
            has_stored_attachments.label("has_stored_attachments"),
        )
        .outerjoin(Reporter, Reporter.case_id == Case.id)
        .outerjoin(LaporMirror, LaporMirror.case_id == Case.id)
        .where(Case.id == bindparam("case_id"))
        .execution_options(populate_existing=True)
    )


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
