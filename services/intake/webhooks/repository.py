"""Every query of the webhooks: provider deliveries, a reporter's cases, per-reporter locks."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from contextlib import AsyncExitStack

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models import Case, Reporter
from shared.models.channels import InboundDelivery

#: Adapters that share a case channel (a phone number on SMS is one reporter, whichever
#: box or provider carried the message).
ADAPTERS_OF_CASE_CHANNEL: dict[str, tuple[str, ...]] = {
    "sms": ("twilio", "sms_gateway"),
    "whatsapp": ("whatsapp", "twilio"),
    "telegram": ("telegram",),
    "facebook": ("facebook",),
    "email": ("email",),
}


async def insert_delivery(session: AsyncSession, delivery: InboundDelivery) -> bool:
    """Insert in a savepoint; False when the provider already delivered this message.

    The UNIQUE (channel, provider_message_id) decides, so two workers racing on the same
    redelivery cannot both win (PostgreSQL makes the second wait, then fail).
    """
    try:
        async with session.begin_nested():
            session.add(delivery)
            await session.flush()
    except IntegrityError:
        return False
    return True


async def delivered_case_tracking_id(
    session: AsyncSession, channel: str, provider_message_id: str
) -> str | None:
    return await session.scalar(
        select(Case.tracking_id)
        .join(InboundDelivery, InboundDelivery.case_id == Case.id)
        .where(
            InboundDelivery.channel == channel,
            InboundDelivery.provider_message_id == provider_message_id,
        )
    )


def _reporter_cases(case_channel: str, address: str):
    return (
        select(Case)
        .join(Reporter, Reporter.case_id == Case.id)
        .where(
            Case.channel == case_channel,
            Reporter.channel.in_(ADAPTERS_OF_CASE_CHANNEL.get(case_channel, (case_channel,))),
            Reporter.channel_address == address,
        )
        .order_by(Case.id.desc())
    )


async def latest_case_of_reporter(
    session: AsyncSession, case_channel: str, address: str, statuses: Iterable[str] | None = None
) -> Case | None:
    stmt = _reporter_cases(case_channel, address)
    if statuses is not None:
        stmt = stmt.where(Case.status.in_(list(statuses)))
    return await session.scalar(stmt.limit(1))


async def reporter_of(session: AsyncSession, case_id: int) -> Reporter | None:
    return await session.get(Reporter, case_id)


# -- serializing one reporter's messages ---------------------------------------------------


async def lock_reporters_pg(session: AsyncSession, keys: Iterable[str]) -> None:
    """Transaction-scoped advisory locks, in sorted order (two batches cannot deadlock)."""
    for key in sorted(set(keys)):
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))


class ReporterLocks:
    """In-process locks per reporter, for SQLite (embedded mode is one process).

    SQLite serializes writes, but not a "read the reporter's cases, then insert" decision
    of two concurrent requests; these striped locks, held until the commit, do. Several
    processes on one SQLite file are not a supported deployment.
    """

    STRIPES = 256

    def __init__(self) -> None:
        self._locks = [asyncio.Lock() for _ in range(self.STRIPES)]

    async def hold(self, stack: AsyncExitStack, keys: Iterable[str]) -> None:
        for index in sorted({hash(key) % self.STRIPES for key in keys}):
            await stack.enter_async_context(self._locks[index])
