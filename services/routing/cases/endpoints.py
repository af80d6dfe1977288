"""Ops case endpoints (CONTRACT.md, Ops): list, detail, audit, actions, admin intake.

Thin: parse, find the case through the caller's readable statement (404 for missing and
not-yours alike), call the service, shape the answer. No annotations-from-the-future here:
the action routes are generated per action with their own body model, so the OpenAPI
docs show each body.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.responses import FileResponse

from services.routing.cases import attachments, detail, freshness, intake, repository, service
from services.routing.cases.filters import query_filters
from services.routing.cases.repository import CaseFilters
from services.routing.cases.schemas import AdminCaseIn
from services.sla.calendar.service import current_calendar
from shared.auth import CurrentActor
from shared.cases.access import case_summary, get_readable_case
from shared.deps import AppSettings, DbSession

router = APIRouter(prefix="/admin/cases", tags=["cases"])


@router.get("", summary="Cases the caller may read, newest first (never with reporter identity)")
async def list_cases(
    actor: CurrentActor,
    session: DbSession,
    filters: Annotated[CaseFilters, Depends(query_filters)],
    sort: repository.Sort = Query(
        repository.Sort.NEWEST,
        description="newest (received), deadline (oldest open deadline first), urgency "
        "(breached, then warned, then by deadline)",
    ),
    page: int = Query(1, ge=1, le=100_000),
    page_size: int = Query(20, ge=1, le=repository.MAX_PAGE_SIZE),
) -> dict[str, Any]:
    cases, total = await repository.list_cases(
        session, actor, filters, page=page, page_size=page_size, sort=sort
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
async def get_case(
    tracking_id: str, request: Request, actor: CurrentActor, session: DbSession
) -> dict[str, Any]:
    case = await get_readable_case(session, actor, tracking_id)
    calendar = await current_calendar(session, request.app.state.ctx)
    return await detail.case_detail(session, case, actor, calendar)


@router.get(
    "/{tracking_id}/attachments/{attachment_id}",
    summary="One attachment's file, with its checked type (never run: nosniff, sandbox)",
    response_class=FileResponse,
)
async def get_attachment(
    tracking_id: str,
    attachment_id: int,
    actor: CurrentActor,
    session: DbSession,
    settings: AppSettings,
) -> FileResponse:
    case = await get_readable_case(session, actor, tracking_id)
    row, path = await attachments.stored_file(session, case, attachment_id, settings)
    return FileResponse(
        path,
        media_type=row.content_type,
        filename=row.filename,
        content_disposition_type="inline",
        headers=attachments.SERVE_HEADERS,
    )


@router.get("/{tracking_id}/audit", summary="Every event of the case: who, when, what, why")
async def get_audit(tracking_id: str, actor: CurrentActor, session: DbSession) -> dict[str, Any]:
    case = await get_readable_case(session, actor, tracking_id)
    return await detail.case_audit(session, case, actor)


IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='the case version the action was decided on ("3"); 409 stale_case '
        "with what changed when the case has moved since",
    ),
]


def _action_route(action: str, schema: type, optional_body: bool) -> None:
    async def run(tracking_id: str, actor, session, settings, body, if_match) -> dict[str, Any]:
        case = await get_readable_case(session, actor, tracking_id)
        await freshness.perform_if_fresh(
            session,
            case,
            actor,
            action,
            body if body is not None else schema(),
            settings,
            expected_version=freshness.parse_if_match(if_match),
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
            if_match: IfMatch = None,
        ) -> dict[str, Any]:
            return await run(tracking_id, actor, session, settings, body, if_match)
    else:

        async def act(
            tracking_id: str,
            actor: CurrentActor,
            session: DbSession,
            settings: AppSettings,
            body: Annotated[schema, Body()],
            if_match: IfMatch = None,
        ) -> dict[str, Any]:
            return await run(tracking_id, actor, session, settings, body, if_match)

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
