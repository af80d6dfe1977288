"""``/konsol/admin/aturan``: routing rules, with the dry run beside them — the same
``services/routing/rules`` functions as ``/admin/routing`` (its checks: a rule that could
never match, or that a rule above already covers, is refused; its ``route``: the first
active match wins, then the category's default OPD, then a category's keywords).

The dry run is a plain GET form (it changes nothing): each rule's row then says whether
it matched the example, or the first condition that did not hold, and the page says where
the example would go and why.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.admin.forms import Refused, attempt, checked, chosen, text, validated
from services.console.deps import ConsolePage, ConsoleUser, CsrfChecked, page_render
from services.console.deps import require_console_roles as roles
from services.routing.rules import matching, service
from services.routing.rules.endpoints import READER_ROLES, WRITER_ROLES
from services.routing.rules.schemas import DryRunIn, RuleIn, RulePatch
from shared.cases.labels import CHANNEL_LABELS, KIND_LABELS
from shared.deps import DbSession
from shared.models import Category, Kecamatan, Opd

router = APIRouter(prefix="/konsol/admin/aturan", tags=["console"], include_in_schema=False)
#: Conditions as the page names them (the API's ``matching.CONDITIONS``).
CONDITION_LABELS = {
    "category": "Kategori",
    "kecamatan": "Kecamatan",
    "desa": "Desa",
    "channel": "Kanal",
    "kind": "Jenis laporan",
    "keywords": "Kata kunci",
}
#: Where a dry run's suggestion came from (``matching.Decision.source``).
SOURCES = {
    "rule": "aturan yang cocok",
    "category": "OPD bawaan kategori",
    "category_keywords": "kata kunci sebuah kategori",
    "none": "tidak ada saran: Admin Instansi meneruskan sendiri",
}
LABELS = {
    "name": "Nama aturan", "conditions": "Syarat", "target_opd": "OPD tujuan",
    "description": "Teks laporan", "title": "Judul", "version": "Versi",
}  # fmt: skip
DONE = {"baru": "Aturan disimpan.", "ubah": "Perubahan disimpan."}


def _conditions(form: Any) -> dict[str, list[str]]:
    """The new rule's conditions from its form: choices, and keywords split on ``;``."""
    found: dict[str, list[str]] = {}
    for name in ("category", "kecamatan", "channel", "kind"):
        if values := chosen(form, f"syarat_{name}"):
            found[name] = values
    for name in ("desa", "keywords"):
        if value := text(form, f"syarat_{name}"):
            found[name] = [v.strip() for v in value.split(";") if v.strip()]
    return found


async def _choices(session: AsyncSession) -> dict[str, Any]:
    async def pairs(model: Any) -> list[tuple[str, str]]:
        rows = await session.execute(
            select(model.code, model.name).where(model.active.is_(True)).order_by(model.name)
        )
        return [(code, name) for code, name in rows.all()]

    return {
        "opds": await pairs(Opd), "categories": await pairs(Category),
        "kecamatan": await pairs(Kecamatan), "channels": CHANNEL_LABELS, "kinds": KIND_LABELS,
    }  # fmt: skip


async def _dry_run(request: Request, session: AsyncSession) -> tuple[dict | None, str | None]:
    """The dry run of the example in the query, if one is given (its result, or why not)."""
    q = request.query_params
    if not q.get("uji_teks"):
        return None, None
    data = {
        "description": q.get("uji_teks"), "title": q.get("uji_judul") or None,
        "category": q.get("uji_kategori") or None, "kecamatan": q.get("uji_kecamatan") or None,
        "channel": q.get("uji_kanal") or None, "kind": q.get("uji_jenis") or None,
    }  # fmt: skip
    try:
        body = validated(DryRunIn, data, LABELS)
    except Refused as refused:
        return None, refused.message
    decision = await service.route(session, matching.Complaint(**body.model_dump()))
    return service.decision_dict(decision, await service.opd_names(session)), None


async def _page(
    request: Request, page: ConsolePage, session: AsyncSession, *, error: str | None = None,
    status_code: int = 200,
) -> Response:  # fmt: skip
    dry_run, dry_error = await _dry_run(request, session)
    checks = {c["id"]: c for c in (dry_run or {}).get("rules_checked", [])}
    return page_render(
        request, page, "admin_aturan.html",
        {
            "rules": [service.rule_dict(r) for r in await service.list_rules(session)],
            "dry_run": dry_run, "dry_error": dry_error, "checks": checks,
            "example": request.query_params, "condition_labels": CONDITION_LABELS,
            "sources": SOURCES, "can_write": page.actor.role in WRITER_ROLES,
            "form": page.form if error else None, "error": error,
            "done": DONE.get(request.query_params.get("selesai", "")),
            **await _choices(session),
        },
        status_code=status_code,
    )  # fmt: skip


@router.get("", dependencies=[roles(*READER_ROLES)])
async def rules(request: Request, page: ConsoleUser, session: DbSession) -> Response:
    return await _page(request, page, session)


@router.post("", dependencies=[roles(*WRITER_ROLES)])
async def create_rule(request: Request, page: CsrfChecked, session: DbSession) -> Response:
    data = {
        "name": text(page.form, "nama"), "conditions": _conditions(page.form),
        "target_opd": text(page.form, "opd_tujuan"),
        "auto_dispose": checked(page.form, "disposisi_otomatis"),
    }  # fmt: skip
    try:
        body = validated(RuleIn, data, LABELS)
        await attempt(session, service.create_rule(session, body, page.actor))
    except Refused as refused:
        return await _page(
            request, page, session, error=refused.message, status_code=refused.status_code
        )
    return RedirectResponse("/konsol/admin/aturan?selesai=baru", status_code=303)


@router.post("/{rule_id}/aktif", dependencies=[roles(*WRITER_ROLES)])
async def toggle_rule(
    rule_id: int, request: Request, page: CsrfChecked, session: DbSession
) -> Response:
    """Activate or deactivate a rule (never deleted), against the version the officer saw."""
    data = {"active": checked(page.form, "aktif"), "version": text(page.form, "versi")}
    try:
        body = validated(RulePatch, data, LABELS)
        await attempt(session, service.update_rule(session, rule_id, body, page.actor))
    except Refused as refused:
        return await _page(
            request, page, session, error=refused.message, status_code=refused.status_code
        )
    return RedirectResponse("/konsol/admin/aturan?selesai=ubah", status_code=303)
