"""Fetching a case's provider media once, soon after arrival, and keeping it as evidence.

The webhook (in the citizen's request) only writes the attachment row as a reference with
``fetch_status = "pending"`` and a ``media.received`` event; the ``media`` consumer (a
worker, never the request) fetches it here:

* the bytes' type decides (``shared.storage.sniff_content_type``): JPEG, PNG, WebP, GIF or
  PDF, like REST attachments; at most :data:`MAX_MEDIA_BYTES`; the provider's checksum,
  when it gives one, must match;
* stored content-addressed (``AttachmentStore``) → ``stored`` + ``case.attachment_stored``;
* a refusal (too large, refused type, checksum, the provider's 4xx) → ``failed``: the row
  stays a reference and the reason is on the case (``case.attachment_failed``);
* transient trouble is retried with backoff (the consumer's ``Defer``) at most
  :data:`MAX_FETCH_ATTEMPTS` times, then ``failed`` with the last reason — never for ever.

Nothing here blocks or undoes the intake of the message itself.
"""

from __future__ import annotations

import hashlib
import random

import httpx
import structlog
from sqlalchemy import select

from services.intake.media import fetchers
from shared.auth import SYSTEM
from shared.cases.events import CaseEvent
from shared.config import Settings
from shared.db import Database
from shared.events import Defer, emit
from shared.models import Attachment
from shared.storage import ALLOWED_TYPES, AttachmentStore, display_filename, sniff_content_type

log = structlog.get_logger("simpul.intake.media")

#: The REST limit (``complaints.schemas.MAX_ATTACHMENT_BYTES``): the same evidence rules.
MAX_MEDIA_BYTES = 5 * 1024 * 1024
MAX_FETCH_ATTEMPTS = 5
RETRY_BASE_S = 10.0
RETRY_CAP_S = 900.0
MEDIA_EVENT = "media.received"
STORED_EVENT = CaseEvent.ATTACHMENT_STORED
FAILED_EVENT = CaseEvent.ATTACHMENT_FAILED
PENDING, STORED, FAILED = "pending", "stored", "failed"


def retry_seconds(attempts: int) -> float:
    ceiling = min(RETRY_CAP_S, RETRY_BASE_S * 2 ** max(attempts - 1, 0))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def check(data: bytes, fetched: fetchers.Fetched) -> str:
    """The accepted type of the fetched bytes, or :class:`FetchRefused` with the reason."""
    if not data:
        raise fetchers.FetchRefused("empty file")
    if len(data) > MAX_MEDIA_BYTES:
        raise fetchers.FetchRefused(f"too large: {len(data)} bytes (limit {MAX_MEDIA_BYTES})")
    if fetched.sha256 and hashlib.sha256(data).hexdigest() != fetched.sha256.lower():
        raise fetchers.FetchRefused("checksum does not match the provider's sha256")
    content_type = sniff_content_type(data)
    if content_type is None:
        raise fetchers.FetchRefused("refused type: only JPEG, PNG, WebP, GIF and PDF are kept")
    return content_type


async def fetch_pending(
    db: Database, settings: Settings, client: httpx.AsyncClient, attachment_ids: list[int]
) -> None:
    """Fetch each still-pending attachment; raises :class:`Defer` if any must be retried."""
    async with db.session() as session:
        rows = (
            await session.scalars(
                select(Attachment).where(
                    Attachment.id.in_(attachment_ids), Attachment.fetch_status == PENDING
                )
            )
        ).all()
        pending = [
            (a.id, a.case_id, a.fetch_channel or "", a.url or "", a.fetch_attempts) for a in rows
        ]
    retry_in: float | None = None
    for attachment_id, case_id, adapter, reference, attempts in pending:
        try:
            fetched = await fetchers.fetch(client, adapter, reference, settings, MAX_MEDIA_BYTES)
            content_type = check(fetched.data, fetched)
        except fetchers.FetchTransient as exc:
            if attempts + 1 >= MAX_FETCH_ATTEMPTS:
                reason = f"gave up after {attempts + 1} attempts: {exc.reason}"
                await _fail(db, attachment_id, case_id, reason, attempts + 1)
            else:
                await _count_attempt(db, attachment_id, exc.reason)
                delay = retry_seconds(attempts + 1)
                retry_in = delay if retry_in is None else min(retry_in, delay)
            continue
        except fetchers.FetchRefused as exc:
            await _fail(db, attachment_id, case_id, exc.reason, attempts + 1)
            continue
        await _store(db, settings, attachment_id, case_id, fetched.data, content_type)
    if retry_in is not None:
        raise Defer(retry_in, "media fetch will be retried")


async def _count_attempt(db: Database, attachment_id: int, reason: str) -> None:
    async with db.session() as session:
        row = await session.get(Attachment, attachment_id)
        if row is not None and row.fetch_status == PENDING:
            row.fetch_attempts += 1
            row.fetch_error = reason[:2000]
    log.info("media_fetch_retry", attachment_id=attachment_id, reason=reason[:200])


async def _fail(db: Database, attachment_id: int, case_id: int, reason: str, attempts: int) -> None:
    async with db.session() as session:
        row = await session.get(Attachment, attachment_id)
        if row is None or row.fetch_status != PENDING:
            return
        row.fetch_status = FAILED
        row.fetch_attempts = attempts
        row.fetch_error = reason[:2000]
        await emit(
            session,
            FAILED_EVENT,
            SYSTEM,
            case_id=case_id,
            reason=reason[:500],
            data={"attachment_id": attachment_id, "channel": row.fetch_channel},
        )
    log.warning("media_fetch_failed", attachment_id=attachment_id, reason=reason[:200])


async def _store(
    db: Database,
    settings: Settings,
    attachment_id: int,
    case_id: int,
    data: bytes,
    content_type: str,
) -> None:
    stored = await AttachmentStore(settings.data_dir).put(data)  # durable before the commit
    async with db.session() as session:
        row = await session.get(Attachment, attachment_id)
        if row is None or row.fetch_status != PENDING:
            return
        row.fetch_status = STORED
        row.fetch_attempts += 1
        row.fetch_error = None
        row.storage_key = stored.storage_key
        row.sha256 = stored.sha256
        row.size_bytes = stored.size_bytes
        row.content_type = content_type
        row.filename = _filename(row.filename, content_type)
        await emit(
            session,
            STORED_EVENT,
            SYSTEM,
            case_id=case_id,
            data={"attachment_id": attachment_id, "content_type": content_type},
        )


def _filename(name: str, content_type: str) -> str:
    """A display name whose extension says what the bytes are (``image-1`` → ``image-1.jpg``)."""
    safe = display_filename(name, content_type)
    suffixes = ALLOWED_TYPES[content_type]
    return safe if safe.lower().endswith(suffixes) else f"{safe}{suffixes[0]}"
