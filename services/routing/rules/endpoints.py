"""Routing rules admin API and the dry run that explains where a complaint would go."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.routing.rules import matching, service
from services.routing.rules.schemas import DryRunIn, ReorderIn, RuleIn, RulePatch
from shared.auth import Actor, require_roles
from shared.deps import DbSession
from shared.lifecycle import Role

router = APIRouter(prefix="/admin/routing", tags=["routing rules"])
#: Who reads rules (and dry-runs) and who changes them (the console's pages admit the same).
READER_ROLES = (Role.ADMIN_INSTANSI, Role.VIEWER, Role.OPERATOR)
WRITER_ROLES = (Role.ADMIN_INSTANSI,)
Reader = require_roles(*READER_ROLES)
Writer = require_roles(*WRITER_ROLES)


@router.get("/rules", summary="Routing rules in order (the first active match wins)")
async def list_rules(session: DbSession, actor: Actor = Reader) -> dict[str, Any]:
    return {"items": [service.rule_dict(r) for r in await service.list_rules(session)]}


@router.post(
    "/rules", status_code=201, summary="Add a rule (refused if it could never match or would loop)"
)
async def create_rule(body: RuleIn, session: DbSession, actor: Actor = Writer) -> dict[str, Any]:
    return service.rule_dict(await service.create_rule(session, body, actor))


@router.get("/rules/{rule_id}", summary="One rule")
async def get_rule(rule_id: int, session: DbSession, actor: Actor = Reader) -> dict[str, Any]:
    return service.rule_dict(await service.get_rule(session, rule_id))


@router.patch(
    "/rules/{rule_id}",
    summary="Change a rule (deactivate with active=false; rules are never deleted)",
)
async def update_rule(
    rule_id: int, body: RulePatch, session: DbSession, actor: Actor = Writer
) -> dict[str, Any]:
    return service.rule_dict(await service.update_rule(session, rule_id, body, actor))


@router.post("/rules/reorder", summary="Put the rules in a new order (every id once)")
async def reorder_rules(
    body: ReorderIn, session: DbSession, actor: Actor = Writer
) -> dict[str, Any]:
    return {
        "items": [service.rule_dict(r) for r in await service.reorder_rules(session, body, actor)]
    }


@router.post("/dry-run", summary="Which rule (or fallback) routes this complaint, and why")
async def dry_run(body: DryRunIn, session: DbSession, actor: Actor = Reader) -> dict[str, Any]:
    complaint = matching.Complaint(**body.model_dump())
    decision = await service.route(session, complaint)
    return service.decision_dict(decision, await service.opd_names(session))
