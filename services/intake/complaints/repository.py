"""Every query of the push API. Reads for a local app start from :func:`readable_by_app`,
so "an app sees only the cases it created" is written once."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, insert, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Actor
from shared.cases.service import CaseFacts, NewCase, facts_params, facts_sql
from shared.models import Attachment, Case, CaseMessage, Category, ClientApp, Event, Reporter
from shared.models.base import UTCDateTime, utcnow
from shared.models.intake import IdempotencyKey
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
    return _matching(pairs, rows)


def _apps_and_keys(pairs: set[tuple[int, str]]) -> tuple[list[int], list[str]]:
    return sorted({app for app, _ in pairs}), sorted({key for _, key in pairs})


def _matching(
    pairs: set[tuple[int, str]], rows: Iterable[IdempotencyKey]
) -> dict[tuple[int, str], IdempotencyKey]:
    """The rows of exactly these pairs ("app in … and key in …" also finds cross pairs)."""
    found = {(row.client_app_id, row.key): row for row in rows}
    return {pair: row for pair, row in found.items() if pair in pairs}


# The same reads on a raw asyncpg connection (the PostgreSQL grouped write, shared.pgbulk).

#: Every read of a grouped write in one round trip: the apps' keys, the stored idempotency
#: keys, and what opening the cases needs (:func:`shared.cases.service.facts_sql`).
_LOOK_UP_RAW = (
    "SELECT ARRAY(SELECT (id, key_hash) FROM client_apps WHERE id = ANY($1::int[]) AND active"
    " UNION ALL SELECT (id, previous_key_hash) FROM client_apps WHERE id = ANY($1::int[])"
    " AND active AND previous_key_expires_at > now()) AS app_keys,"
    # One unique-index probe per (app, key) pair. Not "app = ANY(…) AND key = ANY(…)": on a
    # young table the planner prices that as a scan of the whole table, and the cached plan
    # kept scanning it as it grew (30 M rows read in a 15 s bench on a fresh database).
    " ARRAY(SELECT x.k FROM unnest($2::int[], $3::varchar[]) AS p(app, key),"
    " LATERAL (SELECT k FROM idempotency_keys k"
    " WHERE k.client_app_id = p.app AND k.key = p.key LIMIT 1) AS x) AS idempotency_keys, "
    + facts_sql(4)
)


@dataclass(frozen=True)
class GroupFacts:
    """What a grouped write reads before it writes (see :data:`_LOOK_UP_RAW`)."""

    app_keys: set[tuple[int, str]]
    idempotency_keys: dict[tuple[int, str], IdempotencyKey]
    cases: CaseFacts


async def look_up_raw(
    conn: Any,
    app_ids: set[int],
    pairs: set[tuple[int, str]],
    items: Sequence[tuple[NewCase, Actor]],
) -> GroupFacts:
    ordered = sorted(pairs)
    record = await conn.fetchrow(
        _LOOK_UP_RAW,
        sorted(app_ids),
        [app for app, _ in ordered],
        [key for _, key in ordered],
        *facts_params(items),
    )
    return GroupFacts(
        app_keys={(app_id, key_hash) for app_id, key_hash in record["app_keys"]},
        idempotency_keys=_matching(
            pairs, (IdempotencyKey(**dict(row)) for row in record["idempotency_keys"])
        ),
        cases=CaseFacts.from_record(record),
    )


async def delete_idempotency_keys_raw(conn: Any, row_ids: list[int]) -> None:
    await conn.execute("DELETE FROM idempotency_keys WHERE id = ANY($1::bigint[])", row_ids)


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
