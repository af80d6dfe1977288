"""Group commit for the push API: the complaints of concurrent requests share one transaction.

Why: every transaction costs a durable commit (an fsync) and every statement a round trip;
one transaction per complaint holds a worker to a few hundred complaints a second. Here
each request stores its files, then hands its complaint to the process's single writer and
waits. The writer takes every complaint that arrived while its previous transaction was
committing and writes them all with one multi-row INSERT per table and one COMMIT, then
answers each request. A 2xx still means the complaint is on disk (``synchronous_commit``
untouched); on an idle server a complaint waits for nobody.

On PostgreSQL a group costs two round trips (:class:`_RawStore`): one statement reads
everything the group needs (the apps' keys, stored idempotency keys, categories, kecamatan,
ids for the new rows), and one statement writes every row of every table (``WITH … INSERT``,
:func:`shared.pgwrite.insert_all`). That second statement runs outside any transaction, so
it is its own atomic, durable commit. Statements, not rows, were the cost: each one a
round trip, a wake-up of the writer between requests, and work for both processes
(docs/performance.md). On SQLite the group goes through the ORM session.

Each complaint's outcome is its own: an unknown category refuses that complaint only, a
repeated Idempotency-Key answers its first answer. If the grouped write fails before it
commits — or its statement is refused by the database (a concurrent duplicate key in
another process, a tracking-id collision), so nothing of it was written — every complaint
in it is written alone by :func:`service.accept_complaint`, so one complaint never sinks
another. If the commit fails in a way that leaves its outcome unknown (the connection
dropped), every request gets the error and clients retry with their Idempotency-Key, as
they would after any failed commit.
"""

from __future__ import annotations

import asyncio
import contextvars
from dataclasses import dataclass, field
from typing import Any, Protocol

import asyncpg
import structlog
from prometheus_client import Histogram
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.intake.complaints import repository as repo
from services.intake.complaints import service
from services.intake.complaints.schemas import ComplaintIn
from shared.auth import Actor, ClientAppRef
from shared.cases.service import NewCase, OpenedCase, create_cases, open_cases_with_ids
from shared.config import Settings
from shared.db import Database
from shared.errors import Unauthorized, Unprocessable
from shared.events import WorkerContext
from shared.models import Attachment, utcnow
from shared.models.intake import IdempotencyKey
from shared.pgwrite import GroupFacts, delete_idempotency_keys, insert_all, look_up_group

log = structlog.get_logger("simpul.intake.group_commit")

RESOURCE = "intake_group_writer"
GROUP_SIZE = Histogram(
    "simpul_intake_group_size",
    "Complaints written per grouped intake transaction",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)


@dataclass(eq=False)
class Submission:
    """One request's complaint, waiting for the writer."""

    client_app: ClientAppRef
    complaint: ComplaintIn
    body_sha256: str
    idempotency_key: str | None
    #: Attachment rows (files already stored), without ``case_id``.
    attachments: list[dict[str, Any]]
    future: asyncio.Future[service.Answer] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def settle(self, outcome: service.Answer | BaseException) -> None:
        """Answer the waiting request (unless it went away: its complaint stays written)."""
        if self.future.done():
            return
        if isinstance(outcome, BaseException):
            self.future.set_exception(outcome)
        else:
            self.future.set_result(outcome)


#: The writer puts a submission back for its next transaction (same key twice in one group).
AGAIN = object()
#: Queued by :meth:`GroupWriter.close`: stop once everything before it is written.
_STOP: Any = object()


class GroupWriter:
    """The process's one writer of pushed complaints (see the module docstring)."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self._db, self._settings = db, settings
        self._max = settings.intake_group_max
        self._queue: asyncio.Queue[Submission] = asyncio.Queue()  # and _STOP at the end
        self._task: asyncio.Task[None] | None = None
        self.transactions = 0  # grouped transactions committed (for tests and metrics)
        self._conn: AsyncConnection | None = None  # PostgreSQL: the writer's own connection
        self._conn_driver: Any = None

    async def submit(self, submission: Submission) -> service.Answer:
        if self._task is None or self._task.done():
            # A fresh context: the writer must not log under the first request's id.
            self._task = asyncio.create_task(
                self._run(), name="intake-group-writer", context=contextvars.Context()
            )
        self._queue.put_nowait(submission)
        return await submission.future

    async def close(self) -> None:
        """Write what is queued, then stop (the server has stopped taking requests)."""
        if self._task is not None and not self._task.done():
            self._queue.put_nowait(_STOP)
            await self._task
        await self._release_connection()

    async def _run(self) -> None:
        while True:
            first = await self._queue.get()
            if first is _STOP:
                if self._queue.empty():
                    return
                self._queue.put_nowait(_STOP)  # put back behind what is still queued
                continue
            group = [first]
            stop = False
            while len(group) < self._max and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is _STOP:
                    stop = True
                    continue
                group.append(item)
            try:
                await self._write(group)
            except Exception as exc:
                log.exception("group_write_failed", complaints=len(group))
                for submission in group:
                    submission.settle(exc)
            if stop:
                self._queue.put_nowait(_STOP)

    async def _write(self, group: list[Submission]) -> None:
        if self._db.is_sqlite:
            outcomes = await self._write_in_session(group)
        else:
            outcomes = await self._write_raw(group)
        if outcomes is None:  # written one by one instead
            return
        self.transactions += 1
        GROUP_SIZE.observe(len(group))
        for submission, outcome in zip(group, outcomes, strict=True):
            if outcome is AGAIN:
                self._queue.put_nowait(submission)
            else:
                submission.settle(outcome)

    async def _write_in_session(self, group: list[Submission]) -> _Written | None:
        async with self._db.sessionmaker() as session:
            try:
                written = await write_group(_SessionStore(session), self._settings, group)
            except Exception:  # noqa: BLE001 - any failure before COMMIT: one by one
                await session.rollback()
                await self._fall_back(group)
                return None
            try:
                await session.commit()
            except BaseException as exc:
                await session.rollback()
                self._commit_failed(group, exc)
                raise
        return written

    async def _write_raw(self, group: list[Submission]) -> _Written | None:
        """PostgreSQL: the same write on an asyncpg driver, in two statements (see the
        module docstring). The writer keeps one pooled connection for itself: checking one
        out per group cost a ping of three round trips."""
        driver = await self._driver_connection()
        store = _RawStore(driver)
        try:
            written = await write_group(store, self._settings, group)
        except Exception:  # noqa: BLE001 - nothing written yet: one by one
            if driver.is_closed():
                await self._release_connection(invalidate=True)
            await self._fall_back(group)
            return None
        try:
            await store.commit()
        except asyncpg.PostgresError as exc:
            if exc.sqlstate[:2] not in _REFUSED_CLASSES:
                self._commit_failed(group, exc)
                await self._release_connection(invalidate=True)
                raise
            await self._fall_back(group)  # refused, so rolled back: nothing was written
            return None
        except BaseException as exc:
            self._commit_failed(group, exc)
            await self._release_connection(invalidate=True)  # state unknown: never reuse it
            raise
        return written

    async def _driver_connection(self) -> Any:
        """The writer's own connection (checked out of the pool once, pinged then)."""
        if self._conn is not None and self._conn_driver.is_closed():
            await self._release_connection(invalidate=True)
        if self._conn is None:
            self._conn = await self._db.engine.connect()
            self._conn_driver = (await self._conn.get_raw_connection()).driver_connection
        return self._conn_driver

    async def _release_connection(self, *, invalidate: bool = False) -> None:
        conn, self._conn, self._conn_driver = self._conn, None, None
        if conn is None:
            return
        try:
            if invalidate:
                await conn.invalidate()
            await conn.close()
        except Exception:
            log.warning("group_writer_connection_close_failed", exc_info=True)

    async def _fall_back(self, group: list[Submission]) -> None:
        log.warning("group_write_fell_back", complaints=len(group), exc_info=True)
        await self._write_one_by_one(group)

    @staticmethod
    def _commit_failed(group: list[Submission], exc: BaseException) -> None:
        for submission in group:
            submission.settle(exc)

    async def _write_one_by_one(self, group: list[Submission]) -> None:
        for submission in group:
            try:
                async with self._db.session() as session:
                    answer = await service.accept_complaint(
                        session,
                        settings=self._settings,
                        client_app=submission.client_app,
                        complaint=submission.complaint,
                        body_sha256=submission.body_sha256,
                        idempotency_key=submission.idempotency_key,
                    )
            except Exception as exc:  # noqa: BLE001 - that request's own error answer
                submission.settle(exc)
            else:
                submission.settle(answer)


_Written = list[service.Answer | BaseException | object]


async def write_group(store: _Store, settings: Settings, group: list[Submission]) -> _Written:
    """Prepare a group's write in the store (not committed: the caller commits the store).
    Returns one outcome per submission: its answer, its own error, or :data:`AGAIN`."""
    now = utcnow()
    outcomes: list[service.Answer | BaseException | object | None] = [None] * len(group)
    items = [
        (service.new_case(s.complaint, s.client_app, now), service.client_actor(s.client_app))
        for s in group
    ]
    pairs = {(s.client_app.id, s.idempotency_key) for s in group if s.idempotency_key is not None}
    keys, stored = await store.look_up({s.client_app.id for s in group}, pairs, items)

    # The key each request came with must still be its app's (its current key, or the one
    # it rotated out while that key's grace period lasts), and the app active.
    for i, s in enumerate(group):
        if (s.client_app.id, s.client_app.key_hash) not in keys:
            outcomes[i] = Unauthorized("invalid API key", code="invalid_api_key")

    # Idempotency: a key seen before answers its first answer; a key twice in this group
    # waits for the next group, where it finds the first one's row.
    keyed = {
        (s.client_app.id, s.idempotency_key): i
        for i, s in reversed(list(enumerate(group)))
        if s.idempotency_key is not None and outcomes[i] is None
    }
    for i, s in enumerate(group):
        pair = (s.client_app.id, s.idempotency_key)
        if s.idempotency_key is not None and outcomes[i] is None and keyed[pair] != i:
            outcomes[i] = AGAIN
    existing = {pair: row for pair, row in stored.items() if pair in keyed}
    expired = [r.id for r in existing.values() if r.created_at < now - service.IDEMPOTENCY_WINDOW]
    if expired:
        await store.delete_idempotency_keys(expired)
    for pair, row in existing.items():
        if row.id not in expired:
            i = keyed[pair]
            try:
                outcomes[i] = service.replay(row, group[i].body_sha256)
            except Exception as exc:  # noqa: BLE001 - the 409 is that request's answer
                outcomes[i] = exc

    todo = [i for i, outcome in enumerate(outcomes) if outcome is None]
    opened = await store.create_cases([items[i] for i in todo])
    attachments: list[dict[str, Any]] = []
    key_rows: list[dict[str, Any]] = []
    for i, case in zip(todo, opened, strict=True):
        s = group[i]
        if not isinstance(case, OpenedCase):
            outcomes[i] = case  # refused (e.g. an unknown category)
            continue
        attachments.extend({**row, "case_id": case.id} for row in s.attachments)
        body = service.accepted_body(settings, case, len(s.complaint.attachments))
        outcomes[i] = service.Answer(201, body, case_id=case.id)
        if s.idempotency_key is not None:
            key_rows.append(
                {
                    "client_app_id": s.client_app.id,
                    "key": s.idempotency_key,
                    "body_sha256": s.body_sha256,
                    "status_code": 201,
                    "response": body,
                    "case_id": case.id,
                    "created_at": now,
                }
            )
    if attachments:
        await store.insert_attachments(attachments)
    if key_rows:
        await store.insert_idempotency_keys(key_rows)
    return outcomes


_Pair = tuple[int, str]


class _Store(Protocol):
    """What :func:`write_group` reads and writes before its caller commits."""

    async def look_up(
        self, app_ids: set[int], pairs: set[_Pair], items: list[tuple[NewCase, Actor]]
    ) -> tuple[set[_Pair], dict[_Pair, Any]]:
        """The active apps' valid ``(app id, key hash)`` pairs, and the stored idempotency
        keys among ``pairs``."""

    async def delete_idempotency_keys(self, row_ids: list[int]) -> None: ...
    async def create_cases(
        self, items: list[tuple[NewCase, Actor]]
    ) -> list[OpenedCase | Unprocessable]: ...
    async def insert_attachments(self, rows: list[dict[str, Any]]) -> None: ...
    async def insert_idempotency_keys(self, rows: list[dict[str, Any]]) -> None: ...


@dataclass
class _SessionStore:
    """Through the ORM session (SQLite), in its transaction."""

    session: AsyncSession

    async def look_up(
        self, app_ids: set[int], pairs: set[_Pair], items: list[tuple[NewCase, Actor]]
    ) -> tuple[set[_Pair], dict[_Pair, Any]]:
        keys = await repo.app_keys(self.session, app_ids)
        stored = await repo.find_idempotency_keys(self.session, pairs) if pairs else {}
        return keys, stored

    async def delete_idempotency_keys(self, row_ids: list[int]) -> None:
        await repo.delete_idempotency_keys(self.session, row_ids)

    async def create_cases(
        self, items: list[tuple[NewCase, Actor]]
    ) -> list[OpenedCase | Unprocessable]:
        return await create_cases(self.session, items)

    async def insert_attachments(self, rows: list[dict[str, Any]]) -> None:
        await repo.insert_attachments(self.session, rows)

    async def insert_idempotency_keys(self, rows: list[dict[str, Any]]) -> None:
        await repo.insert_idempotency_keys(self.session, rows)


#: SQLSTATE classes of a statement the database refused — so rolled back, nothing written:
#: data exceptions, integrity violations (a duplicate key), serialization failures and
#: deadlocks, and errors in the statement itself.
_REFUSED_CLASSES = frozenset({"22", "23", "40", "42"})


@dataclass
class _RawStore:
    """On the asyncpg driver (PostgreSQL): one statement reads everything the group needs,
    :meth:`commit` writes every row in one more; in between, nothing but Python."""

    conn: Any
    facts: GroupFacts | None = None
    inserts: list[tuple[Table, list[dict[str, Any]]]] = field(default_factory=list)

    async def look_up(
        self, app_ids: set[int], pairs: set[_Pair], items: list[tuple[NewCase, Actor]]
    ) -> tuple[set[_Pair], dict[_Pair, Any]]:
        self.facts = await look_up_group(self.conn, app_ids, pairs, items)
        return self.facts.app_keys, self.facts.idempotency_keys

    async def delete_idempotency_keys(self, row_ids: list[int]) -> None:
        await delete_idempotency_keys(self.conn, row_ids)

    async def create_cases(
        self, items: list[tuple[NewCase, Actor]]
    ) -> list[OpenedCase | Unprocessable]:
        assert self.facts is not None, "look_up first"
        results, inserts = open_cases_with_ids(items, self.facts.cases)
        self.inserts += inserts
        return results

    async def insert_attachments(self, rows: list[dict[str, Any]]) -> None:
        self.inserts.append((Attachment.__table__, rows))

    async def insert_idempotency_keys(self, rows: list[dict[str, Any]]) -> None:
        self.inserts.append((IdempotencyKey.__table__, rows))

    async def commit(self) -> None:
        """Every row, one statement, outside a transaction: its own atomic commit."""
        await insert_all(self.conn, self.inserts)


def writer_of(ctx: WorkerContext) -> GroupWriter:
    """The process's writer (made on first use, so it runs on the serving event loop)."""
    writer = ctx.resources.get(RESOURCE)
    if writer is None:
        writer = ctx.resources[RESOURCE] = GroupWriter(ctx.db, ctx.settings)
    return writer


async def close_group_writer(ctx: WorkerContext) -> None:
    writer = ctx.resources.pop(RESOURCE, None)
    if writer is not None:
        await writer.close()
