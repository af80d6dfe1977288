"""Test data in one place: every suite opens its cases through :func:`open_case`, the way
every channel does (``shared.cases.service.create_case``: a tracking id, the reporter
stored apart, ``case.received`` in the same transaction), with the defaults a test does
not care about filled in."""

from __future__ import annotations

from typing import Any

from shared.auth import SYSTEM, Actor
from shared.cases.service import NewCase, ReporterInput, create_case
from shared.db import Database
from shared.models import Case

DESCRIPTION = "Jalan rusak berlubang di depan pasar"


def reporter(channel: str = "web", **fields: Any) -> ReporterInput:
    """A reporter who came in on ``channel`` (name, phone, address... as given)."""
    return ReporterInput(channel=channel, **fields)


async def open_case(
    db: Database,
    *,
    actor: Actor = SYSTEM,
    channel: str = "web",
    description: str = DESCRIPTION,
    **fields: Any,
) -> Case:
    """Open one case (committed) and return it; ``fields`` are :class:`NewCase`'s."""
    async with db.session() as session:
        return await create_case(
            session, NewCase(channel=channel, description=description, **fields), actor
        )
