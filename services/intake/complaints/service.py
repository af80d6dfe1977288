"""The push API's rules: accept a complaint (idempotently), and show a case to an app or the public.

Accepting stays cheap: validate, store the files, open the case — no provider or LAPOR!
call in the request (the outbox carries ``case.received`` to routing, sync and notify).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.complaints import repository as repo
from services.intake.complaints.schemas import (
    AttachmentOut,
    ComplaintAccepted,
    ComplaintForApp,
    ComplaintIn,
    PublicComplaint,
    ReporterOut,
    ResponseOut,
    TimelineEntry,
)
from shared.auth import Actor, ClientAppRef
from shared.calendar import base_calendar
from shared.cases import deadlines
from shared.cases.labels import APP_TIMELINE, PUBLIC_TIMELINE, event_label, status_label
from shared.cases.service import NewCase, OpenedCase, ReporterInput, create_case
from shared.config import Settings
from shared.errors import Conflict, Unauthorized
from shared.lifecycle import Role
from shared.models import Case, ClientApp, utcnow
from shared.storage import AttachmentStore, display_filename

#: Permen 62/2018: Admin Instansi verifies a complaint within 3 working days of receipt.
VERIFICATION_WORKING_DAYS = deadlines.VERIFICATION.working_days
#: How long an Idempotency-Key holds (CONTRACT.md).
IDEMPOTENCY_WINDOW = timedelta(hours=24)
MAX_IDEMPOTENCY_KEY = 200


@dataclass(frozen=True, slots=True)
class Answer:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False
    #: The case this answer opened (None for a replay): for the request's access line.
    case_id: int | None = None


def body_fingerprint(raw: bytes) -> str:
    """SHA-256 of the body in canonical JSON (key order and whitespace do not matter)."""
    try:
        canonical = json.dumps(
            json.loads(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
    except ValueError:
        return hashlib.sha256(raw).hexdigest()
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def verification_due_at(settings: Settings, received_at: datetime) -> datetime | None:
    """3 working days after receipt, by the national and regional calendar (local overrides
    set by Admin Instansi are the SLA service's; its clock is authoritative)."""
    try:
        return base_calendar(settings.timezone, settings.region).working_days_after(
            received_at, VERIFICATION_WORKING_DAYS
        )
    except ValueError:  # outside the calendar's years: no promise rather than a wrong one
        return None


def status_url(settings: Settings, tracking_id: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/lacak/{tracking_id}"


#: The calling app: the ORM row, or the cached reference the push API's hot path holds.
AppLike = ClientApp | ClientAppRef


def client_actor(app: AppLike) -> Actor:
    return Actor(type="client_app", id=str(app.id), name=app.name, role=Role.SYSTEM)


async def accept_complaint(
    session: AsyncSession,
    *,
    settings: Settings,
    client_app: AppLike,
    complaint: ComplaintIn,
    body_sha256: str,
    idempotency_key: str | None,
) -> Answer:
    """Open a case from ``complaint`` (or answer the first answer for a repeated key), in
    the caller's transaction: one complaint per transaction. The push API normally goes
    through :mod:`group_commit`, which writes many at once and falls back to this.

    The idempotency row, the case, its attachments' rows and its ``case.received`` event
    are one transaction (the request's). Files are written before it commits.
    """
    now = utcnow()
    await _open_write_transaction(session, client_app, now)
    # The caller was identified from a per-process cache: the key must still be valid now,
    # in this transaction, so a revoked or rotated-out key is refused at once.
    if (client_app.id, client_app.key_hash) not in await repo.app_keys(session, {client_app.id}):
        raise Unauthorized("invalid API key", code="invalid_api_key")
    key_row = None
    if idempotency_key is not None:
        existing = await repo.find_idempotency_key(session, client_app.id, idempotency_key)
        if existing is not None and existing.created_at < now - IDEMPOTENCY_WINDOW:
            await repo.delete_idempotency_key(session, existing.id)
            await session.flush()
            existing = None
        if existing is not None:
            return replay(existing, body_sha256)
        try:
            async with session.begin_nested():
                key_row = await repo.insert_idempotency_key(
                    session,
                    client_app_id=client_app.id,
                    key=idempotency_key,
                    body_sha256=body_sha256,
                    created_at=now,
                )
        except IntegrityError:
            # A concurrent request with the same key committed first: answer as it did.
            existing = await repo.find_idempotency_key(session, client_app.id, idempotency_key)
            if existing is None:
                raise Conflict(
                    "a request with this Idempotency-Key is in progress; retry",
                    code="idempotency_key_in_progress",
                ) from None
            return replay(existing, body_sha256)

    case = await create_case(
        session, new_case(complaint, client_app, now), client_actor(client_app)
    )
    rows = await store_attachments(settings, complaint)
    if rows:
        await repo.insert_attachments(session, [{**row, "case_id": case.id} for row in rows])
    body = accepted_body(settings, case, len(complaint.attachments))
    if key_row is not None:
        key_row.status_code = 201
        key_row.response = body
        key_row.case_id = case.id
        await session.flush()
    return Answer(201, body, case_id=case.id)


def new_case(complaint: ComplaintIn, client_app: AppLike, now: datetime) -> NewCase:
    """The case a pushed complaint opens (received now, by this app, on channel ``api``)."""
    reporter = complaint.reporter
    location = complaint.location
    return NewCase(
        channel="api",
        description=complaint.description,
        title=complaint.title,
        kind=complaint.kind,
        category_code=complaint.category,
        anonymous=complaint.anonymous,
        confidential=complaint.confidential,
        kecamatan_code=location.kecamatan if location else None,
        desa=location.desa if location else None,
        address=location.address if location else None,
        lat=location.lat if location else None,
        lon=location.lon if location else None,
        occurred_at=complaint.occurred_at,
        received_at=now,
        external_ref=complaint.external_ref,
        client_app_id=client_app.id,
        reporter=ReporterInput(
            channel="api",
            name=reporter.name if reporter else None,
            phone=reporter.phone_e164 if reporter else None,
            phone_raw=reporter.phone if reporter else None,
            email=reporter.email if reporter else None,
            nik=reporter.nik if reporter else None,
        ),
        event_data={"client_app_id": client_app.id, "attachments": len(complaint.attachments)},
    )


def accepted_body(settings: Settings, case: Case | OpenedCase, attachments: int) -> dict[str, Any]:
    """The 201 body (also what a repeated Idempotency-Key answers)."""
    return ComplaintAccepted(
        tracking_id=case.tracking_id,
        status=case.status,
        status_url=status_url(settings, case.tracking_id),
        received_at=case.received_at,
        verification_due_at=verification_due_at(settings, case.received_at),
        kind=case.kind,
        category=case.category_code,
        anonymous=case.anonymous,
        confidential=case.confidential,
        external_ref=case.external_ref,
        attachments=attachments,
    ).model_dump(mode="json")


async def _open_write_transaction(
    session: AsyncSession, client_app: AppLike, now: datetime
) -> None:
    """On SQLite, start the real transaction with a write BEFORE any savepoint.

    pysqlite/aiosqlite begin a transaction only before DML; a SAVEPOINT issued first becomes
    the outermost transaction and its RELEASE commits — the idempotency row (or the case,
    in ``create_case``) would be durable before the rest of the unit of work. Recording the
    app's last use is that first write. (PostgreSQL needs no help; the row is not touched
    there, to keep one busy app's requests from queueing on its row lock.)
    """
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(
            update(ClientApp).where(ClientApp.id == client_app.id).values(last_used_at=now)
        )


def replay(row: Any, body_sha256: str) -> Answer:
    """The first answer again, if the body is the same; 409 if the key came with another body."""
    if row.body_sha256 != body_sha256:
        raise Conflict(
            "this Idempotency-Key was already used with another body", code="idempotency_key_reused"
        )
    return Answer(row.status_code, dict(row.response), replayed=True)


async def store_attachments(settings: Settings, complaint: ComplaintIn) -> list[dict[str, Any]]:
    """Write the files durably (before any commit) and return their rows, less ``case_id``.
    URLs are kept as references, never fetched. Storing is content-addressed, so storing
    the same file twice (a retry, a fallback) keeps one copy."""
    if not complaint.attachments:
        return []
    store = AttachmentStore(settings.data_dir)
    rows: list[dict[str, Any]] = []
    for item in complaint.attachments:
        row = {
            "filename": item.safe_filename,
            "content_type": item.detected_type,
            "size_bytes": None,
            "sha256": None,
            "storage_key": None,
            "url": None,
        }
        if item.data is not None:
            stored = await store.put(item.data)
            row.update(
                size_bytes=stored.size_bytes, sha256=stored.sha256, storage_key=stored.storage_key
            )
        else:
            row.update(
                filename=display_filename(item.filename) if item.filename else "tautan",
                content_type=item.content_type or None,
                url=item.url,
            )
        rows.append(row)
    return rows


# -- reading ---------------------------------------------------------------------------------------


def _timeline(rows: list[tuple[str, datetime]]) -> list[TimelineEntry]:
    return [TimelineEntry(type=t, at=at, label=event_label(t)) for t, at in rows]


async def view_for_app(session: AsyncSession, settings: Settings, case: Case) -> ComplaintForApp:
    """The case as the app that pushed it sees it: its own data back, the timeline (event
    types and times, never staff names), the responses, never internal notes. The
    reporter's identity is left out when the case is anonymous."""
    reporter = None
    if not case.anonymous:
        row = await repo.reporter_of(session, case.id)
        if row is not None:
            reporter = ReporterOut(name=row.name, phone=row.phone, email=row.email, nik=row.nik)
    return ComplaintForApp(
        tracking_id=case.tracking_id,
        status=case.status,
        status_label=status_label(case.status),
        status_url=status_url(settings, case.tracking_id),
        kind=case.kind,
        category=case.category_code,
        title=case.title,
        description=case.description,
        anonymous=case.anonymous,
        confidential=case.confidential,
        external_ref=case.external_ref,
        location=repo.location_of(case),
        received_at=case.received_at,
        verification_due_at=verification_due_at(settings, case.received_at),
        status_changed_at=case.status_changed_at,
        resolved_at=case.resolved_at,
        closed_at=case.closed_at,
        rating=case.rating,
        reporter=reporter,
        attachments=[
            AttachmentOut(
                filename=a.filename, content_type=a.content_type, size_bytes=a.size_bytes, url=a.url
            )
            for a in await repo.attachments_of(session, case.id)
        ],
        timeline=_timeline(await repo.timeline_events(session, case.id, APP_TIMELINE)),
        responses=[
            ResponseOut(message=m.body, final=m.final, at=m.created_at)
            for m in await repo.replies(session, case.id)
        ],
    )


async def public_view(session: AsyncSession, case: Case) -> PublicComplaint:
    """Status and timeline only: no reporter, no title or description (free text may name
    people), no location. A confidential (rahasia) case shows its status alone."""
    base = {
        "tracking_id": case.tracking_id,
        "status": case.status,
        "status_label": status_label(case.status),
        "confidential": case.confidential,
    }
    if case.confidential:
        return PublicComplaint(**base)
    return PublicComplaint(
        **base,
        kind=case.kind,
        category=case.category_code,
        category_name=await repo.category_name(session, case.category_code),
        received_at=case.received_at,
        timeline=_timeline(await repo.timeline_events(session, case.id, PUBLIC_TIMELINE)),
    )
