"""The rules of Simpul's Open311 GeoReport v2 face: categories are services, a tracking ID is
a ``service_request_id``, and every unauthenticated answer is public.

Privacy (DESIGN.md, anonim/rahasia): no answer here carries the reporter (the repository
never loads ``reporters``); a *rahasia* (confidential) case shows only its id, status and
service. Statuses are the spec's two: Simpul's terminal and resolved states are ``closed``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.open311 import repository
from services.intake.open311.errors import bad_request, forbidden, not_found
from services.intake.open311.repository import CaseRow
from services.intake.open311.schemas import (
    CLOSED,
    OPEN,
    RequestQuery,
    ServiceRequestForm,
    UpdateQuery,
)
from shared.auth import Actor
from shared.calendar import WorkingCalendar, base_calendar
from shared.cases import deadlines
from shared.cases.events import payload_of
from shared.cases.labels import STATUS_NOTES
from shared.cases.service import NewCase, ReporterInput, create_case
from shared.codes import normalize_code
from shared.config import Settings
from shared.errors import SimpulError
from shared.lifecycle import TRANSITIONS, Role, Status
from shared.models import Attachment, Case, ClientApp, utcnow
from shared.redaction import scrub_private
from shared.tracking import normalize

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: When this API's shape last changed (discovery's ``changeset``).
API_CHANGESET = "2026-01-01T00:00:00+07:00"
BASE_PATH = "/open311/v2"
CHANNEL = "open311"

#: Permen 62/2018: Admin Instansi verifies within 3 working days of receipt.
VERIFICATION_WORKING_DAYS = deadlines.VERIFICATION.working_days
#: The spec: without dates, answer the last 90 days.
DEFAULT_WINDOW = timedelta(days=90)

CLOSED_STATUSES = frozenset(
    {Status.RESOLVED, Status.CLOSED, Status.ARCHIVED, Status.FORWARDED_NATIONAL}
)
OPEN_STATUSES = frozenset(Status) - CLOSED_STATUSES
_BEFORE_DISPOSAL = frozenset({Status.RECEIVED, Status.VERIFIED})
_WITH_OPD = frozenset({Status.DISPOSED, Status.IN_PROGRESS})

SERVICE_NOTICE = (
    "Laporan Anda akan diverifikasi oleh Admin Instansi dalam "
    f"{VERIFICATION_WORKING_DAYS} hari kerja sejak diterima."
)
POST_NOTICE = "Laporan diterima dengan nomor {tracking_id}. " + SERVICE_NOTICE

CONFIDENTIAL_REPLY = "Tanggapan telah disampaikan kepada pelapor."

#: Events that change a case's status, and the status they lead to. ``case.responded`` is
#: left out: the reply it sends is its own update.
STATUS_EVENTS: dict[str, Status] = {
    t.event: t.target for t in TRANSITIONS.values() if t.target is not None
}


def open311_status(status: str) -> str:
    return CLOSED if status in CLOSED_STATUSES else OPEN


def _simpul_statuses(open311_statuses: frozenset[str]) -> frozenset[str] | None:
    if not open311_statuses or open311_statuses == {OPEN, CLOSED}:
        return None
    return frozenset(
        str(s) for s in (CLOSED_STATUSES if CLOSED in open311_statuses else OPEN_STATUSES)
    )


def iso(moment: datetime | None, settings: Settings) -> str | None:
    """ISO 8601 with the deployment's offset (``2026-01-05T09:30:00+07:00``)."""
    return moment.astimezone(settings.tz).isoformat(timespec="seconds") if moment else None


def working_calendar(settings: Settings) -> WorkingCalendar:
    # One per deployment and process: the national tables are built once, not per request.
    # Local overrides (held by the SLA service) are not applied here; the SLA clocks are the
    # authority, this is the public estimate.
    return base_calendar(settings.timezone, settings.region)


_NO_STORED_CLOCK = object()


def expected_datetime(
    case: Case, settings: Settings, stored: object = _NO_STORED_CLOCK
) -> datetime | None:
    """The working-day deadline the public may expect, while one is running.

    The SLA service's clock is the authority (``stored``: its counting deadline, or None when
    its clocks are stopped or paused). Until it has a clock for the case, estimate from the
    calendar: before disposal, verification 3 WD from receipt; with an OPD, the SLA class's
    resolution deadline (5/14/60 WD) from disposal; otherwise (waiting for the reporter,
    returned, with APIP, finished) no public deadline.
    """
    if stored is not _NO_STORED_CLOCK:
        return stored if case.status in OPEN_STATUSES else None
    calendar = working_calendar(settings)
    try:
        if case.status in _BEFORE_DISPOSAL:
            return calendar.working_days_after(case.received_at, VERIFICATION_WORKING_DAYS)
        if case.status in _WITH_OPD and case.disposed_at is not None:
            days = deadlines.resolution_working_days(case.sla_class)
            return calendar.working_days_after(case.disposed_at, days) if days else None
    except ValueError:  # a date outside the calendar's years: no estimate rather than a 500
        return None
    return None


# -- discovery and services -------------------------------------------------------------------


def discovery(settings: Settings) -> dict[str, Any]:
    base = settings.public_base_url.rstrip("/")
    return {
        "changeset": API_CHANGESET,
        "contact": f"Admin Instansi pengelola pengaduan — {base}/lapor",
        "key_service": "API keys for local apps are issued by the pemda's Admin Instansi "
        "(simpul client create NAME).",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base + BASE_PATH,
                "changeset": API_CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


async def list_services(session: AsyncSession) -> list[dict[str, Any]]:
    return [
        {
            "service_code": category.code,
            "service_name": category.name,
            "description": category.name,
            "metadata": False,  # no attributes: the definition's list is empty
            "type": "realtime",
            "keywords": ", ".join(category.keyword_list),
            "group": opd_name,
        }
        for category, opd_name in await repository.active_categories(session)
    ]


async def service_definition(session: AsyncSession, service_code: str) -> dict[str, Any]:
    category = await repository.active_category(session, normalize_code(service_code) or "")
    if category is None:
        raise not_found(f"service_code {service_code!r} not found")
    return {"service_code": category.code, "attributes": []}


# -- posting a request ----------------------------------------------------------------------------


async def authenticate(session: AsyncSession, api_key: str | None) -> ClientApp:
    """The local app behind ``api_key``; 403 (the spec's answer) when missing or not valid."""
    if not api_key or not api_key.strip():
        raise forbidden("api_key is required to post a service request")
    app = await repository.client_app_by_key(session, api_key.strip())
    if app is None or not app.active:
        raise forbidden("api_key is not valid")
    return app


def _media_filename(url: str) -> str:
    name = url.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return (name or "media")[:200]


async def submit_request(
    session: AsyncSession, form: ServiceRequestForm, app: ClientApp
) -> list[dict[str, Any]]:
    """Open a case from a POST Service Request; answers the spec's POST response.

    ``realtime`` service: the tracking ID comes back at once (no token). ``media_url`` is
    kept as a URL reference and never fetched (no server-side request to a client's URL).
    """
    if await repository.active_category(session, form.service_code) is None:
        raise bad_request(f"service_code {form.service_code!r} is not a known service")
    account = f"account:{form.account_id}" if form.account_id else None
    device = f"device:{form.device_id}" if form.device_id else None
    reporter = ReporterInput(
        channel=CHANNEL,
        # Where the app can reach its user again: its own account id, else the device.
        channel_address=account or device,
        name=form.name,
        phone=form.phone,
        phone_raw=form.phone_raw,
        email=form.email,
    )
    actor = Actor(type="client_app", id=f"client_app:{app.id}", name=app.name, role=Role.SYSTEM)
    new = NewCase(
        channel=CHANNEL,
        description=form.description,
        category_code=form.service_code,
        address=form.address_string,
        lat=form.lat,
        lon=form.long,
        client_app_id=app.id,
        reporter=reporter,
        event_data={"open311": {"attributes": form.attributes}} if form.attributes else {},
    )
    try:
        case = await create_case(session, new, actor)
    except SimpulError as exc:  # e.g. a category deactivated a moment ago
        raise bad_request(exc.message) from None
    if form.media_url:
        session.add(
            Attachment(
                case_id=case.id, filename=_media_filename(form.media_url), url=form.media_url
            )
        )
    app.last_used_at = utcnow()
    await session.flush()
    return [
        {
            "service_request_id": case.tracking_id,
            "service_notice": POST_NOTICE.format(tracking_id=case.tracking_id),
            "account_id": None,
        }
    ]


# -- reading requests -------------------------------------------------------------------------


UNVERIFIED_DESCRIPTION = "Laporan sedang diverifikasi; isi laporan ditampilkan setelah verifikasi."


def _request_record(
    row: CaseRow,
    media_url: str | None,
    deadline: object,
    settings: Settings,
    private_terms: list[str],
) -> dict[str, Any]:
    case = row.case
    status = Status(case.status)
    if case.confidential:
        # Rahasia: the report itself is hidden from the public.
        return {
            "service_request_id": case.tracking_id,
            "status": open311_status(status),
            "service_name": row.service_name,
            "service_code": case.category_code,
        }
    return {
        "service_request_id": case.tracking_id,
        "status": open311_status(status),
        "status_notes": STATUS_NOTES[status],
        "service_name": row.service_name,
        "service_code": case.category_code,
        # Published only once Admin Instansi has verified the case (and decided anonim/rahasia),
        # and scrubbed of identity as the national copy is: a citizen's text may carry their
        # own name, NIK, phone or e-mail.
        "description": scrub_private(case.description, private_terms)
        if case.verified_at is not None
        else UNVERIFIED_DESCRIPTION,
        "agency_responsible": row.agency_name,
        "service_notice": SERVICE_NOTICE,
        "requested_datetime": iso(case.received_at, settings),
        "updated_datetime": iso(max(case.updated_at, case.status_changed_at), settings),
        "expected_datetime": iso(expected_datetime(case, settings, deadline), settings),
        "address": case.address,
        "lat": case.lat,
        "long": case.lon,
        "media_url": media_url,
    }


async def _records(
    session: AsyncSession, rows: list[CaseRow], settings: Settings
) -> list[dict[str, Any]]:
    public_ids = [r.case.id for r in rows if not r.case.confidential]
    media = await repository.media_urls(session, public_ids)
    deadlines = await repository.public_deadlines(session, public_ids)
    terms = await repository.identity_terms_for(session, public_ids)
    return [
        _request_record(
            row,
            media.get(row.case.id),
            deadlines.get(row.case.id, _NO_STORED_CLOCK),
            settings,
            terms.get(row.case.id, []),
        )
        for row in rows
    ]


async def list_requests(
    session: AsyncSession, query: RequestQuery, settings: Settings
) -> list[dict[str, Any]]:
    window = query.window
    if query.ids:
        ids = [canonical for raw in query.ids if (canonical := normalize(raw))]
        if not ids:
            return []
        rows = await repository.cases_page(
            session, tracking_ids=ids, offset=window.offset, limit=window.page_size
        )
        return await _records(session, rows, settings)
    start, end = window.start, window.end
    if start is None and end is None:
        end = utcnow()
        start = end - DEFAULT_WINDOW
    rows = await repository.cases_page(
        session,
        category_codes=query.service_codes,
        statuses=_simpul_statuses(query.statuses),
        start=start.astimezone(UTC) if start else None,
        end=end.astimezone(UTC) if end else None,
        offset=window.offset,
        limit=window.page_size,
    )
    return await _records(session, rows, settings)


async def _case_row(session: AsyncSession, service_request_id: str) -> CaseRow:
    canonical = normalize(service_request_id)
    row = await repository.case_by_tracking_id(session, canonical) if canonical else None
    if row is None:
        raise not_found(f"service_request_id {service_request_id!r} not found")
    return row


async def get_request(
    session: AsyncSession, service_request_id: str, settings: Settings
) -> list[dict[str, Any]]:
    return await _records(session, [await _case_row(session, service_request_id)], settings)


async def request_for_token(session: AsyncSession, token: str) -> list[dict[str, Any]]:
    """Simpul answers ids at once, so a token *is* the tracking id; the spec's shape anyway."""
    row = await _case_row(session, token)
    return [{"service_request_id": row.case.tracking_id, "token": token}]


# -- updates (FixMyStreet's servicerequestupdates) ----------------------------------------------


async def list_updates(
    session: AsyncSession, query: UpdateQuery, settings: Settings
) -> list[dict[str, Any]]:
    """Replies to the reporter and status changes, oldest first. Never internal notes, never
    staff names; a confidential case's reply shows only that a reply was given."""
    case_id = None
    if query.service_request_id is not None:
        case_id = (await _case_row(session, query.service_request_id)).case.id
    window = query.window
    start, end = window.start, window.end
    if start is None and end is None:
        end = utcnow()
        start = end - DEFAULT_WINDOW
    refs = await repository.update_refs(
        session,
        status_event_types=sorted(STATUS_EVENTS),
        case_id=case_id,
        start=start.astimezone(UTC) if start else None,
        end=end.astimezone(UTC) if end else None,
        offset=window.offset,
        limit=window.page_size,
    )
    message_ids = [r.id for r in refs if r.source == "m"]
    replies = await repository.replies_with_cases(session, message_ids)
    events = await repository.events_with_cases(session, [r.id for r in refs if r.source == "e"])
    media = await repository.message_media_urls(
        session, [mid for mid in message_ids if mid in replies and not replies[mid][1].confidential]
    )
    opds = await repository.opd_names(session)
    terms = await repository.identity_terms_for(
        session, sorted({case.id for _message, case in replies.values()})
    )
    updates: list[dict[str, Any]] = []
    for ref in refs:
        if ref.source == "m" and ref.id in replies:
            message, case = replies[ref.id]
            updates.append(
                {
                    "update_id": f"m{message.id}",
                    "service_request_id": case.tracking_id,
                    "status": CLOSED if message.final else OPEN,
                    "updated_datetime": iso(message.created_at, settings),
                    "description": CONFIDENTIAL_REPLY
                    if case.confidential
                    else scrub_private(message.body, terms.get(case.id, [])),
                    "media_url": media.get(message.id),
                }
            )
        elif ref.source == "e" and ref.id in events:
            event, case = events[ref.id]
            target = STATUS_EVENTS[event.type]
            description = STATUS_NOTES[target]
            opd = payload_of(event).opd if target == Status.DISPOSED else None
            if isinstance(opd, str) and opd in opds and not case.confidential:
                description = f"Laporan diteruskan ke {opds[opd]}."
            updates.append(
                {
                    "update_id": f"e{event.id}",
                    "service_request_id": case.tracking_id,
                    "status": open311_status(target),
                    "updated_datetime": iso(event.occurred_at, settings),
                    "description": description,
                    "media_url": None,
                }
            )
    return updates
