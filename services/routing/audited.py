"""Versioned, audited admin data — reply templates, routing rules, reference data: each
change is one event ``<subject>.<change>`` carrying the row before and after, and an edit
naming a stale ``version`` is refused (409), so every admin list records and refuses alike.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Actor
from shared.errors import Conflict
from shared.events import emit
from shared.models import utcnow


async def record(
    session: AsyncSession,
    actor: Actor,
    subject: str,
    subject_id: object,
    change: str,
    *,
    before: Any,
    after: Any,
) -> None:
    """The audit event of one change (``created``: ``before`` is None)."""
    await emit(
        session,
        f"{subject}.{change}",
        actor,
        subject_type=subject,
        subject_id=str(subject_id),
        data={"before": before, "after": after},
    )


def check_version(expected: int | None, version: int, what: str, **details: Any) -> None:
    """409 ``version_mismatch`` when the caller edited another version than ``version``."""
    if expected is not None and expected != version:
        raise Conflict(
            f"{what} is at version {version}, not {expected}", code="version_mismatch", **details
        )


def bump(row: Any) -> None:
    """A changed row's next version (and its ``updated_at`` where it has one)."""
    row.version += 1
    if hasattr(row, "updated_at"):
        row.updated_at = utcnow()
