"""Optimistic concurrency for officers: act on the case you saw, or be told what changed.

Every page or answer that shows a case carries its ``version`` (``Case.version``, bumped by
every change; ``version_id_col`` makes a concurrent flush fail as well). An action that
names the version it was decided on — the console's hidden ``version`` field, the API's
``If-Match: "<version>"`` header — is refused when the case has moved since, with what
changed in the meantime (the events after the one the officer last saw, shown as that
officer may see them: identity stripped by the same rule as the timeline). Never a silent
overwrite, never a 500: 409 ``stale_case`` with ``current_version``, ``case_status`` and
``changes``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.routing.cases import service
from services.routing.cases.detail import timeline_event
from shared.auth import Actor
from shared.cases.access import IDENTITY_VIEWED, identity_visible, owns_case
from shared.config import Settings
from shared.errors import Conflict, Unprocessable
from shared.models import Case, Event

#: How many of the events since are listed (the newest ones).
MAX_CHANGES = 10


def parse_if_match(value: str | None) -> int | None:
    """The version an ``If-Match`` header names (``"3"``, ``W/"3"`` or ``3``); None if absent."""
    if value is None or not value.strip() or value.strip() == "*":
        return None
    raw = value.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise Unprocessable(
            'If-Match must name the case version, e.g. "3"', code="invalid", field="If-Match"
        )
    return int(raw)


async def changes_since(
    session: AsyncSession, case: Case, actor: Actor, after_event_id: int | None
) -> list[dict[str, Any]]:
    """The events of ``case`` after ``after_event_id`` (the newest ones when None), as
    ``actor`` may see them on the timeline."""
    stmt = select(Event).where(Event.case_id == case.id, Event.type != IDENTITY_VIEWED)
    if after_event_id is not None:
        stmt = stmt.where(Event.id > after_event_id)
    rows = list((await session.scalars(stmt.order_by(Event.id.desc()).limit(MAX_CHANGES))).all())
    show = identity_visible(case, actor, owner=await owns_case(session, actor, case))
    return [timeline_event(e, actor, show_identity=show) for e in reversed(rows)]


async def ensure_fresh(
    session: AsyncSession,
    case: Case,
    actor: Actor,
    expected_version: int | None,
    *,
    seen_event_id: int | None = None,
) -> None:
    """Refuse (409 ``stale_case``) when ``case`` is no longer at ``expected_version``."""
    if expected_version is None or expected_version == case.version:
        return
    raise Conflict(
        f"the case changed since version {expected_version} (now {case.version}): "
        "read what changed and decide again",
        code="stale_case",
        current_version=case.version,
        case_status=case.status,
        changes=await changes_since(session, case, actor, seen_event_id),
    )


async def perform_if_fresh(
    session: AsyncSession,
    case: Case,
    actor: Actor,
    action: str,
    body: BaseModel,
    settings: Settings,
    *,
    expected_version: int | None,
    seen_event_id: int | None = None,
) -> None:
    """:func:`service.perform`, refused first when the case moved past ``expected_version``."""
    await ensure_fresh(session, case, actor, expected_version, seen_event_id=seen_event_id)
    await service.perform(session, case, actor, action, body, settings)
