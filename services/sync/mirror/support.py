"""What the mirror's parts and the inbound side share: who SP4N-LAPOR! is as an actor, the
process's client, how a failed call reads to operators, and the commit before every call.

Its own module so that :mod:`planning`, :mod:`operations`, :mod:`service` and
``services.sync.inbound`` depend on it and not on one another.
"""

from __future__ import annotations

from typing import Any

from services.sync.lapor import LaporClient, LaporProtocolError
from shared.auth import Actor
from shared.events import WorkerContext
from shared.lifecycle import Role

#: Who inbound changes are attributed to; the mirror never sends their events back.
LAPOR_ACTOR = Actor(type="lapor", id="sp4n-lapor", name="SP4N-LAPOR!", role=Role.LAPOR)


class PermanentFailure(Exception):
    """LAPOR! refused an operation (4xx): retrying the same request will not help."""


def client_of(ctx: WorkerContext) -> LaporClient:
    client = ctx.resources.get("lapor")
    if client is None:
        raise RuntimeError("no LAPOR! client in ctx.resources['lapor'] (sync startup hook not run)")
    return client


def error_text(exc: Exception) -> str:
    """What operators read about a failed call: an answer in no known shape comes with its
    body (identities scrubbed), to send to the national team."""
    if isinstance(exc, LaporProtocolError):
        return f"{exc} — answer: {exc.redacted_body}"
    return str(exc)


async def commit_before_call(session: Any) -> None:
    """Make everything written so far (the intent above all) durable before a national
    call, and give the connection back to the pool while LAPOR! answers."""
    await session.commit()
