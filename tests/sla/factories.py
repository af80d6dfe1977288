"""Cases and lifecycle events for the SLA tests: the case row moves as the routing service
would move it, and the event is written with ``shared.events.emit`` at a chosen moment."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from shared.auth import Actor
from shared.db import Database
from shared.events import emit
from shared.lifecycle import Role
from shared.models import Case, Event
from shared.models.sla import SlaClock
from tests import factories

WIB = ZoneInfo("Asia/Jakarta")
ADMIN = Actor(type="ops", id="token:1", name="Admin", role=Role.ADMIN_INSTANSI)

#: The status each event leaves the case in (what the routing service does).
STATUS_AFTER = {
    "info_requested": "awaiting_info",
    "info_provided": "received",
    "verified": "verified",
    "disposed": "disposed",
    "returned": "returned",
    "responded": "in_progress",
    "resolved": "resolved",
    "reopened": "in_progress",
    "closed": "closed",
    "archived": "archived",
    "forwarded_national": "forwarded_national",
    "referred_apip": "referred_apip",
}


def wib(text: str) -> dt.datetime:
    """A WIB wall-clock time, e.g. ``wib("2026-11-20 15:00")``."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=WIB)


def end_of(day: str, tz: ZoneInfo = WIB) -> dt.datetime:
    return dt.datetime.combine(
        dt.date.fromisoformat(day), dt.time(23, 59, 59), tzinfo=tz
    ).astimezone(dt.UTC)


async def open_case(
    db: Database,
    received_at: dt.datetime,
    *,
    category: str | None = "ADMINDUK",
    kind: str | None = None,
) -> int:
    case = await factories.open_case(
        db,
        description="Jalan rusak di depan sekolah",
        category_code=category,
        kind=kind,
        received_at=received_at,
    )
    return case.id


async def step(
    db: Database,
    case_id: int,
    what: str,
    at: dt.datetime,
    *,
    actor: Actor = ADMIN,
    reason: str | None = None,
    **data: Any,
) -> int:
    """Move the case as the lifecycle would and write ``case.<what>`` at ``at``; the event id."""
    async with db.session() as session:
        case = await session.get(Case, case_id)
        if what in STATUS_AFTER:
            case.status = STATUS_AFTER[what]
            case.status_changed_at = at
        if what == "disposed":
            case.opd_code = data.get("opd", case.opd_code)
            case.sla_class = data.get("sla_class", case.sla_class)
        if what == "referred_apip":
            case.opd_code = data.get("opd", case.opd_code)
        event = await emit(
            session,
            f"case.{what}",
            actor,
            case_id=case_id,
            reason=reason,
            data=data,
            occurred_at=at,
        )
        return event.id


async def clocks(db: Database, case_id: int, kind: str | None = None) -> list[SlaClock]:
    async with db.session() as session:
        stmt = select(SlaClock).where(SlaClock.case_id == case_id).order_by(SlaClock.id)
        if kind:
            stmt = stmt.where(SlaClock.kind == kind)
        return list((await session.scalars(stmt)).all())


async def events(db: Database, case_id: int | None = None, prefix: str = "") -> list[Event]:
    async with db.session() as session:
        stmt = select(Event).order_by(Event.id)
        if case_id is not None:
            stmt = stmt.where(Event.case_id == case_id)
        rows = (await session.scalars(stmt)).all()
        return [e for e in rows if e.type.startswith(prefix)]
