"""``/konsol/admin/aturan``: routing rules, with the dry run beside them — the same
``services/routing/rules`` functions as ``/admin/routing`` (its checks: a rule that could
never match, or that a rule above already covers, is refused; its ``route``: the first
active match wins, then the category's default OPD, then a category's keywords).

The dry run is a plain GET form (it changes nothing): each rule's row then says whether
it matched the example, or the first condition that did not hold, and the page says where
the example would go and why. A rule's own page (``/konsol/admin/aturan/{id}``) edits it
through ``service.update_rule`` — the PATCH's function, against the version the officer
saw — with the same dry run beside it; "naik"/"turun" on the list swap a rule with its
neighbour through ``service.reorder_rules`` (the API's reorder).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from services.console.admin.forms import (
    MESSAGES,
    Refused,
    attempt,
    checked,
    chosen,
    not_found,
    text,
    validated,
)
from services.console.deps import ConsolePage, ConsoleUser, CsrfChecked, page_render
from services.console.deps import require_console_roles as roles
from services.routing import audited
from services.routing.rules import matching, service
from services.routing.rules.endpoints import READER_ROLES, WRITER_ROLES
from services.routing.rules.schemas import DryRunIn, ReorderIn, RuleIn, RulePatch
from services.routing.worklists.service import reference_names
from shared.cases.labels import CHANNEL_LABELS, KIND_LABELS
from shared.deps import DbSession

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
DONE = {"baru": "Aturan disimpan.", "ubah": "Perubahan disimpan.", "urut": "Urutan disimpan."}
#: The list's move buttons: where the rule goes in the order.
MOVES = {"naik": -1, "turun": 1}
EDGES = {"naik": "Aturan ini sudah paling atas.", "turun": "Aturan ini sudah paling bawah."}


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


async def _choices(session: AsyncSession, rule: dict | None = None) -> dict[str, Any]:
    """The form's options (the pages' one reading of the reference names): active rows,
    plus any inactive one the edited ``rule`` still names (marked, so that the form
    neither hides nor silently drops it)."""
    conditions = (rule or {}).get("conditions", {})
    keep = {
        "opds": {(rule or {}).get("target_opd")},
        "categories": set(conditions.get("category", [])),
        "kecamatan": set(conditions.get("kecamatan", [])),
    }
    names = await reference_names(session)

    def pairs(table: str) -> list[tuple[str, str]]:
        return [
            (code, name if (table, code) in names.active else f"{name} (nonaktif)")
            for code, name in names.choices(table)
            if (table, code) in names.active or code in keep[table]
        ]

    return {
        "opds": pairs("opds"), "categories": pairs("categories"),
        "kecamatan": pairs("kecamatan"), "channels": CHANNEL_LABELS, "kinds": KIND_LABELS,
    }  # fmt: skip


def _rule_form(rule: dict[str, Any]) -> FormData:
    """A rule as its edit form would post it (the page's fields, prefilled)."""
    fields: list[tuple[str, str]] = [
        ("nama", rule["name"]), ("opd_tujuan", rule["target_opd"]), ("versi", str(rule["version"])),
    ]  # fmt: skip
    for name, values in rule["conditions"].items():
        values = [values] if isinstance(values, str) else values
        if name in ("desa", "keywords"):
            fields.append((f"syarat_{name}", "; ".join(values)))
        else:
            fields += [(f"syarat_{name}", v) for v in values]
    if rule["auto_dispose"]:
        fields.append(("disposisi_otomatis", "1"))
    return FormData(fields)


def _same_conditions(a: dict[str, Any], b: dict[str, Any]) -> bool:
    def norm(c: dict[str, Any]) -> dict[str, list[str]]:
        return {k: sorted([v] if isinstance(v, str) else v) for k, v in c.items()}

    return norm(a) == norm(b)


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


async def _edit_page(
    request: Request, page: ConsolePage, session: AsyncSession, rule_id: int, *,
    error: str | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    """One rule's form, prefilled — or as posted when refused, except when someone else
    changed the rule meanwhile (409): then it shows the rule as it now is — and the dry run
    beside it."""
    try:
        rule = service.rule_dict(await attempt(session, service.get_rule(session, rule_id)))
    except Refused as refused:
        return not_found(request, page, refused.message, "/konsol/admin/aturan")
    dry_run, dry_error = await _dry_run(request, session)
    checks = {c["id"]: c for c in (dry_run or {}).get("rules_checked", [])}
    return page_render(
        request, page, "admin_aturan_ubah.html",
        {
            "rule": rule,
            "form": page.form if error and status_code != 409 else _rule_form(rule),
            "dry_run": dry_run, "dry_error": dry_error, "check": checks.get(rule_id),
            "example": request.query_params, "condition_labels": CONDITION_LABELS,
            "sources": SOURCES, "error": error, **await _choices(session, rule),
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


@router.get("/{rule_id}", dependencies=[roles(*WRITER_ROLES)])
async def edit_rule(
    rule_id: int, request: Request, page: ConsoleUser, session: DbSession
) -> Response:
    return await _edit_page(request, page, session, rule_id)


@router.post("/{rule_id}", dependencies=[roles(*WRITER_ROLES)])
async def update_rule(
    rule_id: int, request: Request, page: CsrfChecked, session: DbSession
) -> Response:
    """Save the edit form through the PATCH's ``update_rule``, against the version the
    officer saw; the target and conditions are sent only when changed (a PATCH), so a name
    can still be corrected on a rule whose target was since deactivated."""
    try:
        current = service.rule_dict(await attempt(session, service.get_rule(session, rule_id)))
        data: dict[str, Any] = {
            "name": text(page.form, "nama") or "", "version": text(page.form, "versi"),
            "auto_dispose": checked(page.form, "disposisi_otomatis"),
        }  # fmt: skip
        conditions = _conditions(page.form)
        if not _same_conditions(conditions, current["conditions"]):
            data["conditions"] = conditions
        target = text(page.form, "opd_tujuan") or ""
        if target.upper() != current["target_opd"]:
            data["target_opd"] = target
        body = validated(RulePatch, data, LABELS)
        await attempt(session, service.update_rule(session, rule_id, body, page.actor))
    except Refused as refused:
        return await _edit_page(
            request, page, session, rule_id, error=refused.message,
            status_code=refused.status_code,
        )  # fmt: skip
    return RedirectResponse("/konsol/admin/aturan?selesai=ubah", status_code=303)


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


@router.post("/{rule_id}/{move}", dependencies=[roles(*WRITER_ROLES)])
async def move_rule(
    rule_id: int, move: str, request: Request, page: CsrfChecked, session: DbSession
) -> Response:
    """Swap a rule with the one above (``naik``) or below (``turun``) through the API's
    reorder, provided it is still the version the officer saw (a reorder bumps it)."""
    if move not in MOVES:
        return not_found(request, page, MESSAGES["unknown_action"], "/konsol/admin/aturan")
    try:
        version = validated(RulePatch, {"version": text(page.form, "versi")}, LABELS).version
        rule = await attempt(session, service.get_rule(session, rule_id))
        await attempt(session, _still_at(version, rule))
        ids = [r.id for r in await service.list_rules(session)]
        index = ids.index(rule.id)
        other = index + MOVES[move]
        if not 0 <= other < len(ids):
            raise Refused(EDGES[move])
        ids[index], ids[other] = ids[other], ids[index]
        await attempt(session, service.reorder_rules(session, ReorderIn(ids=ids), page.actor))
    except Refused as refused:
        return await _page(
            request, page, session, error=refused.message, status_code=refused.status_code
        )
    return RedirectResponse("/konsol/admin/aturan?selesai=urut", status_code=303)


async def _still_at(version: int | None, rule: Any) -> None:
    """The PATCH's version check (409 ``version_mismatch``), as an awaitable for ``attempt``."""
    audited.check_version(version, rule.version, f"rule {rule.id}")
