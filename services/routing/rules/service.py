"""Routing rules: validation (no rule that can never match, no loop), ordering, audit, routing.

Refused rules (422):
- a rule with no condition (it would swallow every case; the category default OPD is the
  catch-all), an unknown condition name, an empty list or a blank value (never matches),
  an unknown category/kecamatan/channel/kind code (never matches), a keyword that folds
  to nothing (e.g. ``"!!"``);
- a rule whose conditions equal an earlier active rule's (shadowed: it can never win);
- a target that is not an active OPD. Admin Instansi's queue is "no OPD": every rule
  names a real, active OPD, so no rule can send a case back to the queue it starts in (a loop).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.routing import audited
from services.routing.rules import matching
from services.routing.rules.schemas import ReorderIn, RuleIn, RulePatch
from shared.auth import Actor
from shared.cases.service import CHANNELS, KINDS
from shared.errors import NotFound, Unprocessable
from shared.models import Case, Category, Kecamatan, Opd, utcnow
from shared.models.routing import RoutingRule

MAX_KEYWORDS = 200
MAX_KEYWORD_CHARS = 100
SUBJECT = "routing_rule"


def rule_dict(rule: RoutingRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "position": rule.position,
        "name": rule.name,
        "conditions": rule.conditions,
        "target_opd": rule.target_opd_code,
        "auto_dispose": rule.auto_dispose,
        "active": rule.active,
        "version": rule.version,
    }


def _as_view(rule: RoutingRule) -> matching.RuleView:
    return matching.RuleView(
        rule.id, rule.name, rule.position, rule.conditions, rule.target_opd_code, rule.auto_dispose
    )


async def _codes(session: AsyncSession, column) -> set[str]:
    return set((await session.scalars(select(column))).all())


async def validate_conditions(session: AsyncSession, raw: dict[str, Any]) -> dict[str, list[str]]:
    """Conditions as non-empty lists, or 422 saying why the rule could never match."""
    if not raw:
        raise Unprocessable(
            "a rule needs at least one condition; the category default OPD is the catch-all",
            code="rule_without_conditions",
            field="conditions",
        )
    known: dict[str, set[str] | None] = {
        "category": set(
            (await session.scalars(select(Category.code).where(Category.active.is_(True)))).all()
        ),
        "kecamatan": set(
            (await session.scalars(select(Kecamatan.code).where(Kecamatan.active.is_(True)))).all()
        ),
        "channel": set(CHANNELS),
        "kind": set(KINDS),
        "desa": None,
        "keywords": None,
    }
    result: dict[str, list[str]] = {}
    for name, value in raw.items():
        if name not in matching.CONDITIONS:
            raise Unprocessable(
                f"unknown condition {name!r}; use {', '.join(matching.CONDITIONS)}",
                code="unknown_condition",
                field=f"conditions.{name}",
            )
        values = [value] if isinstance(value, str) else list(value)
        values = [v.strip() for v in values]
        if not values or any(not v for v in values):
            raise Unprocessable(
                f"condition {name!r} is empty: the rule could never match",
                code="condition_never_matches",
                field=f"conditions.{name}",
            )
        allowed = known[name]
        if allowed is not None:
            unknown = [v for v in values if v not in allowed]
            if unknown:
                raise Unprocessable(
                    f"unknown {name} {', '.join(unknown)}: the rule could never match",
                    code=f"unknown_{name}",
                    field=f"conditions.{name}",
                )
        if name == "keywords":
            if len(values) > MAX_KEYWORDS or any(len(v) > MAX_KEYWORD_CHARS for v in values):
                raise Unprocessable(
                    "too many or too long keywords", code="invalid", field="conditions.keywords"
                )
            blank = [v for v in values if not matching.fold(v)]
            if blank:
                raise Unprocessable(
                    f"keywords {blank} have no letters or digits: they could never match",
                    code="condition_never_matches",
                    field="conditions.keywords",
                )
        result[name] = list(dict.fromkeys(values))
    return result


async def _check_target(session: AsyncSession, code: str) -> None:
    opd = await session.get(Opd, code)
    if opd is None or not opd.active:
        raise Unprocessable(
            f"unknown or inactive OPD {code!r}: a rule must target an active OPD",
            code="unknown_opd",
            field="target_opd",
        )


def _folded(conditions: dict[str, Any]) -> dict[str, list[str]]:
    return {
        k: sorted(matching.fold(x) for x in ([v] if isinstance(v, str) else v))
        for k, v in conditions.items()
    }


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return _folded(a) == _folded(b)


async def _check_not_shadowed(
    session: AsyncSession, conditions: dict[str, list[str]], position: int, rule_id: int | None
) -> None:
    earlier = await session.scalars(
        select(RoutingRule).where(RoutingRule.active.is_(True), RoutingRule.position < position)
    )
    for other in earlier.all():
        if other.id != rule_id and _same(conditions, other.conditions):
            raise Unprocessable(
                f"rule #{other.id} '{other.name}' has the same conditions and comes first: "
                "this rule could never match",
                code="rule_shadowed",
                field="conditions",
            )


async def list_rules(session: AsyncSession) -> list[RoutingRule]:
    return list(
        (
            await session.scalars(
                select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)
            )
        ).all()
    )


async def get_rule(session: AsyncSession, rule_id: int) -> RoutingRule:
    rule = await session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound(f"no routing rule {rule_id}", code="rule_not_found")
    return rule


async def _renumber(session: AsyncSession, ordered: list[RoutingRule]) -> None:
    for index, rule in enumerate(ordered, start=1):
        if rule.position != index:
            rule.position = index


async def create_rule(session: AsyncSession, body: RuleIn, actor: Actor) -> RoutingRule:
    conditions = await validate_conditions(session, body.conditions)
    await _check_target(session, body.target_opd)
    rules = await list_rules(session)
    position = min(body.position or len(rules) + 1, len(rules) + 1)
    if body.active:
        await _check_not_shadowed(session, conditions, position, None)
    now = utcnow()
    rule = RoutingRule(
        position=position,
        name=body.name,
        conditions=conditions,
        target_opd_code=body.target_opd,
        auto_dispose=body.auto_dispose,
        active=body.active,
        version=1,
        created_at=now,
        updated_at=now,
    )
    rules.insert(position - 1, rule)
    session.add(rule)
    await _renumber(session, rules)
    await session.flush()
    await audited.record(
        session, actor, SUBJECT, rule.id, "created", before=None, after=rule_dict(rule)
    )
    return rule


async def update_rule(
    session: AsyncSession, rule_id: int, body: RulePatch, actor: Actor
) -> RoutingRule:
    rule = await get_rule(session, rule_id)
    audited.check_version(body.version, rule.version, f"rule {rule_id}")
    before = rule_dict(rule)
    conditions = (
        await validate_conditions(session, body.conditions)
        if body.conditions is not None
        else rule.conditions
    )
    if body.target_opd is not None:
        await _check_target(session, body.target_opd)
        rule.target_opd_code = body.target_opd
    active = rule.active if body.active is None else body.active
    if active:
        await _check_not_shadowed(session, conditions, rule.position, rule.id)
    rule.conditions, rule.active = conditions, active
    if body.name is not None:
        rule.name = body.name
    if body.auto_dispose is not None:
        rule.auto_dispose = body.auto_dispose
    after = rule_dict(rule)
    if after == before:
        return rule
    audited.bump(rule)
    await session.flush()
    await audited.record(
        session, actor, SUBJECT, rule.id, "updated", before=before, after=rule_dict(rule)
    )
    return rule


async def reorder_rules(session: AsyncSession, body: ReorderIn, actor: Actor) -> list[RoutingRule]:
    rules = await list_rules(session)
    by_id = {r.id: r for r in rules}
    if sorted(body.ids) != sorted(by_id) or len(set(body.ids)) != len(body.ids):
        raise Unprocessable(
            "ids must list every rule exactly once",
            code="invalid_order",
            field="ids",
            expected=sorted(by_id),
        )
    before = [r.id for r in rules]
    ordered = [by_id[i] for i in body.ids]
    for rule in ordered:
        if rule.position != body.ids.index(rule.id) + 1:
            rule.version += 1
    await _renumber(session, ordered)
    await session.flush()
    await audited.record(session, actor, SUBJECT, "*", "reordered", before=before, after=body.ids)
    return ordered


# -- routing ------------------------------------------------------------------------------------


async def route(session: AsyncSession, complaint: matching.Complaint) -> matching.Decision:
    """Where the current rules and reference data send ``complaint``, and why."""
    rules = (await session.scalars(select(RoutingRule).where(RoutingRule.active.is_(True)))).all()
    opds = dict(
        (await session.execute(select(Opd.code, Opd.name).where(Opd.active.is_(True)))).all()
    )
    categories = {
        c.code: (c.default_opd_code, c.keyword_list, c.auto_dispose)
        for c in (
            await session.scalars(
                select(Category).where(Category.active.is_(True)).order_by(Category.code)
            )
        ).all()
    }
    return matching.decide(
        complaint, [_as_view(r) for r in rules], active_opds=opds, categories=categories
    )


def complaint_of(case: Case) -> matching.Complaint:
    return matching.Complaint(
        description=case.description,
        title=case.title,
        category=case.category_code,
        kecamatan=case.kecamatan_code,
        desa=case.desa,
        channel=case.channel,
        kind=case.kind,
    )


def decision_dict(decision: matching.Decision, opd_names: dict[str, str]) -> dict[str, Any]:
    return {
        "opd": decision.opd_code,
        "opd_name": opd_names.get(decision.opd_code or ""),
        "source": decision.source,
        "reason": decision.reason,
        "rule": None
        if decision.rule is None
        else {
            "id": decision.rule.id,
            "name": decision.rule.name,
            "position": decision.rule.position,
        },
        "category": decision.category,
        "matched_conditions": decision.matched_conditions,
        "matched_keywords": decision.matched_keywords,
        "auto_dispose": decision.auto_dispose,
        "rules_checked": [
            {
                "id": c.rule_id,
                "name": c.name,
                "matched": c.matched,
                "failed_condition": c.failed_condition,
                "note": c.note,
            }
            for c in decision.checks
        ],
    }


async def opd_names(session: AsyncSession) -> dict[str, str]:
    return dict((await session.execute(select(Opd.code, Opd.name))).all())
