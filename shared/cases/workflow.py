"""The one writer of a case's status: every lifecycle action goes through :func:`apply`.

``apply`` checks the lifecycle table (``shared.lifecycle``: role, state, reason), sets the
status and the moments the action stamps (``STAMPS``), and emits the table's event with
its typed payload (``shared.cases.events``) — in the caller's transaction (it only
flushes). Routing's actions (and its auto-dispose), the reporter's answer to a request
for data (intake's conversations) and the sweeper's auto-archive and auto-close
(:func:`apply_to_many`, one conditional UPDATE for a batch) all come here, so a rule of
the lifecycle is changed in one place and no caller can forget the event.

What is *not* here is what each caller alone knows: routing's ownership check and body
validation (OPD, category, SLA class), the thread messages it writes, the reopen window.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import SYSTEM, Actor
from shared.cases.events import Payload
from shared.events import NewEvent, emit, emit_many
from shared.lifecycle import (
    TRANSITIONS,
    Action,
    Role,
    Status,
    TransitionRefused,
    check,
    next_status,
)
from shared.models import Case, Event, utcnow

#: A stamp's value: the action's moment, its reason, cleared, or the moment if still unset.
AT, REASON, CLEARED, FIRST = "at", "reason", "cleared", "first"

#: The columns each action writes besides ``status`` (the moments reports count from).
STAMPS: dict[Action, dict[str, str]] = {
    Action.VERIFY: {"verified_at": AT},
    Action.DISPOSE: {"disposed_at": AT},
    Action.RESPOND: {"first_response_at": FIRST},
    Action.RESOLVE: {"first_response_at": FIRST, "resolved_at": AT},
    Action.REOPEN: {"resolved_at": CLEARED, "closed_at": CLEARED},
    Action.CLOSE: {"closed_at": AT},
    Action.ARCHIVE: {"archived_at": AT, "archive_reason": REASON},
}


def _stamp_value(kind: str, current: Any, at: datetime, reason: str | None) -> Any:
    if kind == AT:
        return at
    if kind == REASON:
        return reason
    if kind == FIRST:
        return current if current is not None else at
    return None


def _data(payload: Payload | dict[str, Any] | None) -> dict[str, Any] | None:
    if isinstance(payload, Payload):
        return payload.model_dump(mode="json", exclude_unset=True)
    return payload


async def apply(
    session: AsyncSession,
    case: Case,
    action: Action,
    actor: Actor,
    *,
    reason: str | None = None,
    payload: Payload | dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Event:
    """Take ``action`` on ``case`` as ``actor``: check, set status and stamps, emit the event.

    Raises :class:`~shared.lifecycle.TransitionRefused` (409/403) when the table does not
    allow it. Returns the event written. Only flushes; the caller's unit of work commits.
    """
    target = next_status(case.status, action, actor.role, reason)
    rule = TRANSITIONS[action]
    now = at or utcnow()
    for column, kind in STAMPS.get(action, {}).items():
        setattr(case, column, _stamp_value(kind, getattr(case, column), now, reason))
    if case.status != target:
        case.status_changed_at = now
    case.status = str(target)
    case.updated_at = now  # always touch the row: the version check serializes every action
    await session.flush()
    return await emit(
        session, rule.event, actor, case_id=case.id, reason=reason, data=_data(payload)
    )


def system_sources(action: Action, reason: str) -> list[str]:
    """The statuses from which SYSTEM may take ``action`` (the lifecycle table decides);
    archiving is the missing-data clock's alone, so only a case still awaiting info."""
    sources = []
    for status in Status:
        try:
            check(status, action, Role.SYSTEM, reason)
        except TransitionRefused:
            continue
        if action == Action.ARCHIVE and status != Status.AWAITING_INFO:
            continue
        sources.append(status.value)
    return sources


async def apply_to_many(
    session: AsyncSession,
    payloads: Mapping[int, Payload],
    action: Action,
    *,
    reason: str,
    at: datetime,
) -> set[int]:
    """:func:`apply` for a batch of cases as SYSTEM (the sweeper's auto-archive and
    auto-close): one conditional UPDATE, then the events of the cases it moved with one
    ``emit_many`` (``payloads``: each case's event data, in the order to write them).

    A case that has moved on (the transition no longer applies) is left alone. The status
    test runs in the UPDATE itself, so a concurrent change is never overwritten, and
    ``version`` is bumped as the ORM would, so a writer holding the old version gets its
    usual conflict. Returns the ids of the cases moved.
    """
    if not payloads:
        return set()
    rule = TRANSITIONS[action]
    if rule.target is None:
        raise ValueError(f"{action} does not change the status: use apply()")
    values: dict[str, Any] = {
        "status": str(rule.target),
        "status_changed_at": at,
        "updated_at": utcnow(),
        "version": Case.version + 1,
    }
    for column, kind in STAMPS.get(action, {}).items():
        column_ref = getattr(Case, column)
        if kind == FIRST:
            values[column] = func.coalesce(column_ref, at)
        else:
            values[column] = _stamp_value(kind, None, at, reason)
    stmt = (
        update(Case)
        .where(Case.id.in_(list(payloads)), Case.status.in_(system_sources(action, reason)))
        .values(**values)
        .returning(Case.id)
        .execution_options(synchronize_session=False)
    )
    moved = set((await session.scalars(stmt)).all())
    await emit_many(
        session,
        [
            NewEvent(
                rule.event,
                SYSTEM,
                case_id=case_id,
                reason=reason,
                data=_data(payload) or {},
                occurred_at=at,
            )
            for case_id, payload in payloads.items()
            if case_id in moved
        ],
    )
    return moved
