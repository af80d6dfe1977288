"""Throttling failed logins per address, across processes (the rows are in the database).

Per account, repeated failures lock the account (``login``); per address, too many
failures within the window refuse further attempts from it for a while, whatever the
username, so one machine cannot try a password on every account.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import Settings
from shared.models.base import utcnow
from shared.models.identity import LoginFailure

#: Failed-login rows are kept this long (throttling only looks at the window).
KEEP_FAILURES = timedelta(days=1)


def window(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.login_lockout_minutes)


async def address_blocked(session: AsyncSession, address: str | None, settings: Settings) -> bool:
    if not address:
        return False
    since = utcnow() - window(settings)
    n = await session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.address == address, LoginFailure.at > since)
    )
    return int(n or 0) >= settings.login_address_max_failures


async def record_failure(session: AsyncSession, username: str, address: str | None) -> None:
    session.add(LoginFailure(username=username[:64], address=(address or "unknown")[:64]))
    if secrets.randbelow(50) == 0:  # prune now and then; the table stays small
        await session.execute(
            delete(LoginFailure).where(LoginFailure.at < utcnow() - KEEP_FAILURES)
        )
    await session.flush()
