"""What operators see and do with the mirror: state per case, backlog, errors, breaker,
dead letters and replay, forced re-sync, pause/resume. Also refreshes the gauges."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from services.sync.confirmation import repository as confirm_repo
from services.sync.confirmation.service import lookup
from services.sync.inbound import coverage, national
from services.sync.lapor import LaporError, mapping
from services.sync.mirror import repository as repo
from services.sync.mirror.metrics import (
    BACKLOG,
    BACKLOG_AGE,
    BREAKER,
    DEAD_LETTERS,
    MIRROR_CASES,
    PAUSED,
)
from services.sync.reconcile.service import drift_count
from shared.auth import Actor
from shared.config import Settings, get_settings
from shared.db import Database
from shared.errors import NotFound
from shared.events import emit
from shared.events.consumer import backlog
from shared.events.outbox import list_dead_letters, replay
from shared.models import Case, Reporter, utcnow
from shared.models.sync import LaporMirror, LaporOutboundOp

MIRROR_STATES = ("pending", "created", "held", "to_confirm", "paused")


def _national_status(code: int | None, name: str | None = None) -> str | None:
    """The Simpul reading of a recorded national status, by name where one was read (None
    if unknown)."""
    if code is None and not name:
        return None
    try:
        return mapping.simpul_status_for(code, name)
    except LaporError:
        return None


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


async def mirror_state(session: Any, case_id: int) -> dict[str, Any]:
    """The case's LAPOR! mirror for the case detail (``GET /admin/cases/{id}``)."""
    mirror = await repo.get_mirror(session, case_id)
    if mirror is None:
        return {"state": "not_mirrored", "lapor_complaint_id": None}
    ops = await repo.ops_of_case(session, case_id, limit=20)
    paused = await repo.is_paused(session)
    confirmation = None
    if mirror.state == "to_confirm":
        case = await session.get(Case, case_id)
        reporter = await session.get(Reporter, case_id)
        confirmation = lookup(case, reporter, await confirm_repo.latest_create_op(session, case_id))
    return {
        "state": "paused"
        if paused and mirror.state not in ("held", "to_confirm")
        else mirror.state,
        "confirmation": confirmation,
        "national_status_name": mirror.national_status_name,
        "national_disposition_id": mirror.national_disposition_id,
        "origin": mirror.origin,
        "lapor_complaint_id": mirror.lapor_complaint_id,
        "national_status_code": mirror.national_status_code,
        "national_archived": national.is_archived_nationally(
            _national_status(mirror.national_status_code, mirror.national_status_name)
        ),
        "national_rating": mirror.national_rating,
        "last_synced_event_id": mirror.last_synced_event_id,
        "next_check_at": _iso(mirror.next_check_at),
        "last_checked_at": _iso(mirror.last_checked_at),
        "errors": mirror.errors,
        "last_error": mirror.last_error,
        "held_reason": mirror.held_reason,
        "drift": mirror.drift,
        "updated_at": _iso(mirror.updated_at),
        "operations": [
            {
                "id": op.id,
                "event_id": op.event_id,
                "kind": op.kind,
                "status": op.status,
                "attempts": op.attempts,
                "lapor_complaint_id": op.lapor_complaint_id,
                "lapor_followup_id": op.lapor_followup_id,
                "last_error": op.last_error,
                "response_body": op.response_body if op.status == "dead" else None,
                "updated_at": _iso(op.updated_at),
            }
            for op in ops
        ],
    }


async def sync_status(
    db: Database, resources: dict[str, Any], settings: Settings | None = None
) -> dict[str, Any]:
    """Backlog size and age, dead letters, mirror states, op errors, breaker, pause, and
    how forward-ins arrive here (``inbound/coverage.py``)."""
    settings = settings or get_settings()
    queues = await backlog(db)
    sync_queue = queues.get(repo.SYNC_CONSUMER, {"pending": 0, "dead": 0, "oldest_pending_s": 0.0})
    async with db.session() as s:
        states = await repo.mirror_counts(s)
        op_counts = dict(
            (
                await s.execute(
                    select(LaporOutboundOp.status, func.count()).group_by(LaporOutboundOp.status)
                )
            ).all()
        )
        mirror_errors = int(
            await s.scalar(select(func.coalesce(func.sum(LaporMirror.errors), 0))) or 0
        )
        paused_value = await repo.get_setting(s, repo.PAUSED_KEY) or {}
        drifting = await drift_count(s)
        last_callback = await coverage.last_callback_at(s)
    client = resources.get("lapor")
    breaker = (
        {"state": str(client.breaker_state), "gauge": client.breaker.gauge_value}
        if client
        else None
    )
    BACKLOG.set(sync_queue["pending"])
    BACKLOG_AGE.set(sync_queue["oldest_pending_s"])
    DEAD_LETTERS.set(sync_queue["dead"])
    PAUSED.set(1 if paused_value.get("paused") else 0)
    for state in MIRROR_STATES:
        MIRROR_CASES.labels(state).set(states.get(state, 0))
    if breaker:
        BREAKER.set(breaker["gauge"])
    return {
        "paused": bool(paused_value.get("paused")),
        "paused_reason": paused_value.get("reason"),
        "backlog": sync_queue,
        "consumers": queues,
        "mirror": {state: states.get(state, 0) for state in MIRROR_STATES},
        "operations": op_counts,
        "poll_errors": mirror_errors,
        "drift_cases": drifting,
        "breaker": breaker,
        "forward_in": coverage.forward_in_coverage(
            search=coverage.search_of(resources, settings),
            callbacks=settings.lapor_callbacks_expected,
            last_callback_at=last_callback,
        ),
    }


async def set_paused(
    session: Any, paused: bool, actor: Actor, reason: str | None = None
) -> dict[str, Any]:
    value = {"paused": paused, "reason": reason, "at": utcnow().isoformat()}
    await repo.set_setting(session, repo.PAUSED_KEY, value, by=actor.name or actor.id)
    await emit(
        session,
        "lapor.mirror_paused" if paused else "lapor.mirror_resumed",
        actor,
        subject_type="sync",
        subject_id="lapor-mirror",
        reason=reason,
    )
    if not paused:
        await repo.make_sync_deliveries_due(session)  # resume in order, now
    PAUSED.set(1 if paused else 0)
    return value


async def dead_letters(
    session: Any, consumer: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    rows = await list_dead_letters(session, consumer=consumer, limit=limit, offset=offset)
    return [
        {
            "delivery_id": delivery.id,
            "consumer": delivery.consumer,
            "event_id": event.id,
            "event_type": event.type,
            "case_id": delivery.case_id,
            "attempts": delivery.attempts,
            "last_error": delivery.last_error,
            "created_at": _iso(delivery.created_at),
        }
        for delivery, event in rows
    ]


async def replay_dead(
    session: Any, actor: Actor, *, delivery_id: int | None = None, consumer: str | None = None
) -> int:
    count = await replay(session, delivery_id=delivery_id, consumer=consumer)
    await emit(
        session,
        "lapor.dead_letters_replayed",
        actor,
        subject_type="sync",
        subject_id=str(delivery_id) if delivery_id is not None else (consumer or "all"),
        data={"count": count, "delivery_id": delivery_id, "consumer": consumer},
    )
    return count


async def replay_one(session: Any, actor: Actor, delivery_id: int) -> int:
    """Replay one dead delivery; 404 when there is none (any more) of that id."""
    count = await replay_dead(session, actor, delivery_id=delivery_id)
    if not count:
        raise NotFound(f"no dead delivery {delivery_id}", code="dead_letter_not_found")
    return count
