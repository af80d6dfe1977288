"""``/admin/reply-templates``: canned responses (Admin Instansi writes; staff read).

``GET ?action=respond&case=<tracking_id>`` also renders each template's body for that case
(as the caller may see it), which is what the console's pickers show.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from services.routing.replies import service
from services.routing.replies.schemas import TemplateIn, TemplatePatch
from services.routing.worklists.service import reference_names
from shared.auth import Actor, require_roles
from shared.cases.access import get_readable_case
from shared.deps import AppSettings, DbSession
from shared.lifecycle import Role

router = APIRouter(prefix="/admin/reply-templates", tags=["reply templates"])
READER_ROLES = (Role.ADMIN_INSTANSI, Role.OPD, Role.APIP)
#: Who manages templates (the console's page admits the same).
WRITER_ROLES = (Role.ADMIN_INSTANSI,)
Reader = require_roles(*READER_ROLES)
Writer = require_roles(*WRITER_ROLES)


@router.get("", summary="Reply templates (active ones), optionally for an action and a case")
async def list_templates(
    session: DbSession,
    settings: AppSettings,
    action: str | None = Query(None, description="only those offered for this action"),
    case: str | None = Query(None, description="a tracking ID: render each body for it"),
    include_inactive: bool = False,
    actor: Actor = Reader,
) -> dict[str, Any]:
    rows = await service.list_templates(session, action=action, include_inactive=include_inactive)
    items = [service.as_dict(r) for r in rows]
    if case:
        found = await get_readable_case(session, actor, case)
        names = await reference_names(session)
        context = service.context_for(
            found,
            actor,
            category_name=names.categories.get(found.category_code or ""),
            opd_name=names.opds.get(found.opd_code or ""),
            tz=settings.tz,
        )
        for item in items:
            item["rendered"] = service.render(item["body"], context)
    return {"items": items, "placeholders": service.PLACEHOLDERS}


@router.post("", status_code=201, summary="Create a reply template")
async def create_template(
    body: TemplateIn, session: DbSession, actor: Actor = Writer
) -> dict[str, Any]:
    row = await service.create_template(
        session, actor, title=body.title, body=body.body, actions=body.actions
    )
    return service.as_dict(row)


@router.patch("/{template_id}", summary="Change or (de)activate a reply template")
async def update_template(
    template_id: int, body: TemplatePatch, session: DbSession, actor: Actor = Writer
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    version = changes.pop("version", None)
    row = await service.update_template(
        session, actor, template_id, changes=changes, expected_version=version
    )
    return service.as_dict(row)
