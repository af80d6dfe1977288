"""Ops case endpoints (CONTRACT.md, Ops): list, detail, audit, actions, admin intake.

Thin: parse, find the case through the caller's readable statement (404 for missing and
not-yours alike), call the service, shape the answer. No annotations-from-the-future here:
the action routes are generated per action with their own body model, so the OpenAPI
docs show each body.
"""

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response

from services.routing.cases import detail, intake, repository, service
from services.routing.cases.schemas import AdminCaseIn
from shared.auth import CurrentActor
from shared.cases.access import case_summary, get_readable_case
from shared.codes import OptionalCode
from shared.config import Settings
from shared.deps import AppSettings, DbSession
from shared.errors import NotFound, Unprocessable
from shared.storage import AttachmentStore

router = APIRouter(prefix="/admin/cases", tags=["cases"])


def _period_bound(
    value: str | None, settings: Settings, *, end: bool, name: str
) -> datetime | None:
    """``from``/``to``: a date (a whole local day, ``to`` inclusive) or an ISO datetime."""
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value) + (timedelta(days=1) if end else timedelta())
            return datetime.combine(day, time.min, tzinfo=settings.tz)
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise Unprocessable(
            f"{name} must be a date or an ISO 8601 datetime", code="invalid", field=name
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.tz)


@router.get("", summary="Cases the caller may read, newest first (never with reporter identity)")
async def list_cases(
    actor: CurrentActor,
    session: DbSession,
    settings: AppSettings,
    status: str | None = None,
    opd: OptionalCode = None,
    category: OptionalCode = None,
    channel: str | None = None,
    kecamatan: OptionalCode = None,
    overdue: bool | None = Query(
        None, description="cases with a breached or past-deadline SLA clock"
    ),
    q: str | None = Query(
        None, max_length=repository.MAX_QUERY_CHARS, description="text in title or description"
    ),
    received_from: str | None = Query(
        None, alias="from", description="received on/after (date or datetime)"
    ),
    received_to: str | None = Query(
        None, alias="to", description="received on/before (date, inclusive) or before (datetime)"
    ),
    page: int = Query(1, ge=1, le=100_000),
    page_size: int = Query(20, ge=1, le=repository.MAX_PAGE_SIZE),
) -> dict[str, Any]:
    filters = repository.CaseFilters(
        status=status,
        opd=opd,
        category=category,
        channel=channel,
        kecamatan=kecamatan,
        overdue=overdue,
        q=q.strip() if q and q.strip() else None,
        received_from=_period_bound(received_from, settings, end=False, name="from"),
        received_to=_period_bound(received_to, settings, end=True, name="to"),
    )
    cases, total = await repository.list_cases(
        session, actor, filters, page=page, page_size=page_size
    )
    return {
        "items": [case_summary(c) for c in cases],
        "total": total,
        "page": page,
        "page_size": page_size,
    }


@router.post(
    "", status_code=201, summary="Enter a complaint received by letter, visit, phone or call center"
)
async def enter_case(
    body: AdminCaseIn, actor: CurrentActor, session: DbSession, settings: AppSettings
) -> dict[str, Any]:
    case = await intake.enter_case(session, body, actor, settings)
    return case_summary(case)


@router.get(
    "/{tracking_id}",
    summary="The case as the caller may see it: timeline, thread, clocks, mirror, actions",
)
async def get_case(tracking_id: str, actor: CurrentActor, session: DbSession) -> dict[str, Any]:
    case = await get_readable_case(session, actor, tracking_id)
    return await detail.case_detail(session, case, actor)


@router.get(
    "/{tracking_id}/attachments/{attachment_id}",
    summary="A stored attachment of a case the caller may read (downloaded, never rendered)",
    response_class=Response,
)
async def get_attachment(
    tracking_id: str,
    attachment_id: int,
    actor: CurrentActor,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    case = await get_readable_case(session, actor, tracking_id)
    attachment = await repository.stored_attachment(session, case, attachment_id)
    if attachment is None or attachment.storage_key is None:
        raise NotFound("attachment not found", code="attachment_not_found")
    path = AttachmentStore(settings.data_dir).path_for(attachment.storage_key)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise NotFound("attachment file is missing", code="attachment_missing") from exc
    return Response(
        content,
        media_type=attachment.content_type or "application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(attachment.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/{tracking_id}/audit", summary="Every event of the case: who, when, what, why")
async def get_audit(tracking_id: str, actor: CurrentActor, session: DbSession) -> dict[str, Any]:
    case = await get_readable_case(session, actor, tracking_id)
    return await detail.case_audit(session, case, actor)


def _action_route(action: str, schema: type, optional_body: bool) -> None:
    async def run(tracking_id: str, actor, session, settings, body) -> dict[str, Any]:  # noqa: ANN001
        case = await get_readable_case(session, actor, tracking_id)
        await service.perform(
            session, case, actor, action, body if body is not None else schema(), settings
        )
        return {
            **case_summary(case),
            "allowed_actions": await service.caller_actions(session, case, actor),
        }

    if optional_body:

        async def act(
            tracking_id: str,
            actor: CurrentActor,
            session: DbSession,
            settings: AppSettings,
            body: Annotated[schema | None, Body()] = None,
        ) -> dict[str, Any]:
            return await run(tracking_id, actor, session, settings, body)
    else:

        async def act(  # type: ignore[misc]
            tracking_id: str,
            actor: CurrentActor,
            session: DbSession,
            settings: AppSettings,
            body: Annotated[schema, Body()],
        ) -> dict[str, Any]:
            return await run(tracking_id, actor, session, settings, body)

    router.add_api_route(
        f"/{{tracking_id}}/{action}",
        act,
        methods=["POST"],
        name=f"case_{action.replace('-', '_')}",
        summary=f"Case action: {action}",
    )


for _action, (_schema, _fn) in service.ACTIONS.items():
    _action_route(
        _action,
        _schema,
        optional_body=not any(f.is_required() for f in _schema.model_fields.values()),
    )
