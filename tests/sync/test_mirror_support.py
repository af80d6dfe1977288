"""Helpers shared by the mirror's tests (no tests here): a fast LAPOR! client on the
simulator fixture, short timings, case factories, lifecycle events, and a sync drain
that keeps going through ``Defer`` until the sync backlog is empty."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import func, select, update

from services.sync.confirmation import service as confirmation
from services.sync.lapor import LaporClient, LaporProfile
from services.sync.mirror.tuning import SyncTuning
from shared.auth import Actor
from shared.errors import Conflict
from shared.events import emit
from shared.lifecycle import Role
from shared.models import Case, Event, EventDelivery
from shared.models.sync import LaporMirror
from tests import factories

ADMIN = Actor(type="ops", id="token:1", name="admin", role=Role.ADMIN_INSTANSI)
OPERATOR = Actor(type="ops", id="token:3", name="operator", role=Role.OPERATOR)
OPD = Actor(type="ops", id="token:2", name="opd", role=Role.OPD, opd_code="DINKES")
NIK = "3201234567890001"
PHONE = "+6281234567890"
#: A deadline for slow, loaded machines (a passing run settles in well under a second).
SETTLE_TIMEOUT_S = 30.0

FAST_TUNING = SyncTuning(
    max_defer_s=0.05,
    uncertain_recheck_s=0.0,
    poll_after_read_s=0,
    poll_after_error_s=0,
    poll_young_s=0,
    poll_lease_s=1,
    reconcile_grace_s=0,
)


def fast_client(base_url: str, **overrides: Any) -> LaporClient:
    """Small timeouts, no client-side rate limit, quick retries, a breaker that heals fast."""
    options: dict[str, Any] = {
        "timeout_s": 0.5,
        "rate_limit_per_s": 0,
        "retry_attempts": 3,
        "retry_backoff_s": 0.01,
        "retry_backoff_max_s": 0.05,
        "max_retry_after_s": 0.0,
        "breaker_failure_threshold": 5,
        "breaker_reset_timeout_s": 0.1,
    }
    options.update(overrides)
    return LaporClient(base_url, "demo-auth-key", "demo-token", **options)


async def use_client(app: Any, client: LaporClient) -> LaporClient:
    """Put ``client`` in the app's worker context (closing the one the startup hook made)."""
    resources = app.state.ctx.resources
    old = resources.get("lapor")
    resources["lapor"] = client
    if old is not None and old is not client:
        await old.aclose()
    return client


def sync_consumer(app: Any) -> Any:
    return next(c for s in app.state.specs for c in s.consumers if c.name == "sync")


async def open_case(
    app: Any,
    *,
    description: str = "Jalan berlubang di depan pasar, mohon diperbaiki.",
    title: str | None = "Jalan rusak",
    anonymous: bool = False,
    confidential: bool = False,
    name: str | None = "Budi Santoso",
    category: str | None = None,
) -> tuple[int, str]:
    case = await factories.open_case(
        app.state.db,
        actor=ADMIN,
        channel="api",
        description=description,
        title=title,
        anonymous=anonymous,
        confidential=confidential,
        category_code=category,
        reporter=factories.reporter(
            "api",
            name=name,
            phone=PHONE,
            phone_raw="0812-3456-7890",
            nik=NIK,
            email="budi@example.com",
            postal_address="Jl. Melati No. 7",
        ),
    )
    return case.id, case.tracking_id


async def act(
    app: Any,
    case_id: int,
    event_type: str,
    status: str | None,
    *,
    actor: Actor = ADMIN,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> int:
    """A lifecycle change as the routing service makes it: new status + its event."""
    async with app.state.db.session() as session:
        if status is not None:
            await session.execute(update(Case).where(Case.id == case_id).values(status=status))
        event = await emit(session, event_type, actor, case_id=case_id, reason=reason, data=data)
        return event.id


async def sync_backlog(app: Any) -> int:
    async with app.state.db.session() as session:
        return int(
            await session.scalar(
                select(func.count()).where(
                    EventDelivery.consumer == "sync", EventDelivery.status == "pending"
                )
            )
            or 0
        )


async def settle(
    app: Any,
    *,
    timeout_s: float = SETTLE_TIMEOUT_S,
    consumer: Any = None,
    operator: Any = None,
) -> None:
    """Run the sync consumer until its backlog is empty (through Defers); a deadline, not
    an assertion on time. ``operator`` (a ``SimAdmin``): settle "perlu konfirmasi" the way
    an operator would, by looking each case up on the (simulated) national site."""
    consumer = consumer or sync_consumer(app)
    ctx = app.state.ctx
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        claimed = await consumer.run_once(ctx)
        if claimed == 0:
            if await sync_backlog(app) == 0:
                return
            if operator is not None:
                await confirm_like_an_operator(app, operator)
            await asyncio.sleep(0.02)
    raise AssertionError(f"sync backlog not empty after {timeout_s}s: {await sync_backlog(app)}")


async def events_of(app: Any, event_type: str, case_id: int | None = None) -> list[Event]:
    async with app.state.db.session() as session:
        stmt = select(Event).where(Event.type == event_type).order_by(Event.id)
        if case_id is not None:
            stmt = stmt.where(Event.case_id == case_id)
        return list(await session.scalars(stmt))


def by_tag(complaints: list[dict[str, Any]], tracking_id: str) -> list[dict[str, Any]]:
    tag = f"#simpul-{tracking_id}".lower()
    return [c for c in complaints if tag in (c["tags_raw"] or "").lower().split()]


async def confirm_like_an_operator(app: Any, sim_admin: Any) -> int:
    """Every case in "perlu konfirmasi": look it up by its tag on the national side; confirm
    "created as N" if it is there (the oldest, as a person would pick), else "not created"."""
    async with app.state.db.session() as session:
        waiting = [item["tracking_id"] for item in await confirmation.unconfirmed(session)]
    if not waiting:
        return 0
    complaints = await sim_admin.complaints()
    client = app.state.ctx.resources["lapor"]
    for tracking_id in waiting:
        found = sorted(c["complaint_id"] for c in by_tag(complaints, tracking_id))
        async with app.state.db.session() as session:
            case = await session.scalar(select(Case).where(Case.tracking_id == tracking_id))
            try:
                if found:
                    await confirmation.confirm_created(session, client, case, found[0], OPERATOR)
                else:
                    await confirmation.confirm_not_created(session, case, OPERATOR)
            except Conflict as exc:
                # Two workers' loops each play an operator: the other one got there first.
                if exc.code != "not_awaiting_confirmation":
                    raise
    return len(waiting)


async def unconfirmed_count(app: Any) -> int:
    async with app.state.db.session() as session:
        return int(
            await session.scalar(select(func.count()).where(LaporMirror.state == "to_confirm")) or 0
        )


async def with_search(app: Any, base_url: str) -> LaporClient:
    """The app's client with the national list/search on (discovery of forwarded cases)."""
    return await use_client(app, fast_client(base_url, profile=LaporProfile(search=True)))
