"""Every query of the push API. Reads for a local app start from :func:`readable_by_app`,
so "an app sees only the cases it created" is written once."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, insert, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models import Attachment, Case, CaseMessage, Category, ClientApp, Event, Reporter
from shared.models.base import UTCDateTime, utcnow
from shared.models.intake import IdempotencyKey
from shared.pgwrite.lookup import matching_keys
from shared.tracking import normalize


def readable_by_app(client_app_id: int) -> Select[tuple[Case]]:
    """The cases a local app may read: those it created, nothing else."""
    return select(Case).where(Case.client_app_id == client_app_id)


async def case_for_app(session: AsyncSession, client_app_id: int, tracking_id: str) -> Case | None:
    canonical = normalize(tracking_id)
    if canonical is None:
        return None
    return await session.scalar(readable_by_app(client_app_id).where(Case.tracking_id == canonical))


async def case_for_public(session: AsyncSession, tracking_id: str) -> Case | None:
    canonical = normalize(tracking_id)
    if canonical is None:
        return None
    return await session.scalar(select(Case).where(Case.tracking_id == canonical))


async def reporter_of(session: AsyncSession, case_id: int) -> Reporter | None:
    return await session.get(Reporter, case_id)


async def category_name(session: AsyncSession, code: str | None) -> str | None:
    if not code:
        return None
    category = await session.get(Category, code)
    return category.name if category else None


async def timeline_events(
    session: AsyncSession, case_id: int, types: Sequence[str]
) -> list[tuple[str, datetime]]:
    rows = await session.execute(
        select(Event.type, Event.occurred_at)
        .where(Event.case_id == case_id, Event.type.in_(list(types)))
        .order_by(Event.occurred_at, Event.id)
    )
    return [(t, at) for t, at in rows.all()]


async def replies(session: AsyncSession, case_id: int) -> list[CaseMessage]:
    """Messages addressed to the reporter (responses), oldest first; never internal notes."""
    return list(
        await session.scalars(
            select(CaseMessage)
            .where(CaseMessage.case_id == case_id, CaseMessage.kind == "reply")
            .order_by(CaseMessage.created_at, CaseMessage.id)
        )
    )


async def attachments_of(session: AsyncSession, case_id: int) -> list[Attachment]:
    return list(
        await session.scalars(
            select(Attachment).where(Attachment.case_id == case_id).order_by(Attachment.id)
        )
    )


# -- idempotency keys ------------------------------------------------------------------------------


async def find_idempotency_key(
    session: AsyncSession, client_app_id: int, key: str
) -> IdempotencyKey | None:
    return await session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.client_app_id == client_app_id, IdempotencyKey.key == key
        )
    )


async def insert_idempotency_key(
    session: AsyncSession, *, client_app_id: int, key: str, body_sha256: str, created_at: datetime
) -> IdempotencyKey:
    """Insert the key's row (placeholder answer, completed later in the same transaction).

    Flushes, so the unique constraint decides between concurrent duplicates: on PostgreSQL
    the second INSERT waits for the first transaction and fails if it committed; on SQLite
    the single writer lock serializes them the same way.
    """
    row = IdempotencyKey(
        client_app_id=client_app_id,
        key=key,
        body_sha256=body_sha256,
        status_code=0,
        response={},
        created_at=created_at,
    )
    session.add(row)
    await session.flush()
    return row


async def delete_idempotency_key(session: AsyncSession, row_id: int) -> None:
    await session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row_id))


# -- grouped writes (group_commit) -------------------------------------------------------------


async def app_keys(session: AsyncSession, app_ids: set[int]) -> set[tuple[int, str]]:
    """The valid ``(app id, key hash)`` pairs of these apps that are still active: the
    current key, and a rotated-out key during its grace period."""
    rows = await session.execute(_active_app_keys(), {"ids": sorted(app_ids), "now": utcnow()})
    return {(app_id, key_hash) for app_id, key_hash in rows.all()}


async def find_idempotency_keys(
    session: AsyncSession, pairs: set[tuple[int, str]]
) -> dict[tuple[int, str], IdempotencyKey]:
    """The stored keys among these (app, key) pairs: asked as "app in (...) and key in
    (...)" (one statement built once, on the unique index) and matched here."""
    apps, keys = _apps_and_keys(pairs)
    rows = await session.scalars(_idempotency_keys_among(), {"apps": apps, "keys": keys})
    return matching_keys(pairs, rows)


def _apps_and_keys(pairs: set[tuple[int, str]]) -> tuple[list[int], list[str]]:
    return sorted({app for app, _ in pairs}), sorted({key for _, key in pairs})


# Statements of the grouped write, built once (building them cost more CPU than running).
@functools.cache
def _active_app_keys() -> Any:
    ids = ClientApp.id.in_(bindparam("ids", expanding=True))
    current = select(ClientApp.id, ClientApp.key_hash).where(ids, ClientApp.active.is_(True))
    previous = select(ClientApp.id, ClientApp.previous_key_hash).where(
        ids,
        ClientApp.active.is_(True),
        ClientApp.previous_key_expires_at > bindparam("now", type_=UTCDateTime()),
    )
    return union_all(current, previous)


@functools.cache
def _idempotency_keys_among() -> Any:
    return select(IdempotencyKey).where(
        IdempotencyKey.client_app_id.in_(bindparam("apps", expanding=True)),
        IdempotencyKey.key.in_(bindparam("keys", expanding=True)),
    )


async def delete_idempotency_keys(session: AsyncSession, row_ids: list[int]) -> None:
    await session.execute(delete(IdempotencyKey).where(IdempotencyKey.id.in_(row_ids)))


async def insert_idempotency_keys(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Completed keys in one statement; a concurrent duplicate fails it (the caller falls back)."""
    await session.execute(insert(IdempotencyKey.__table__), rows)


async def insert_attachments(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await session.execute(insert(Attachment), rows)


async def purge_idempotency_keys(session: AsyncSession, older_than: datetime) -> int:
    result = await session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < older_than)
    )
    return result.rowcount or 0


def location_of(case: Case) -> dict[str, Any]:
    return {
        "kecamatan": case.kecamatan_code,
        "desa": case.desa,
        "address": case.address,
        "lat": case.lat,
        "lon": case.lon,
    }
