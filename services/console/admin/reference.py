"""``/konsol/admin/opd`` and ``/konsol/admin/kategori``: the OPD registry and the category
taxonomy, over ``services/routing/reference`` — the same checks, versions and events as
``/admin/reference``. Nothing is deleted: a row is deactivated (and can be again activated).
A row's own page (``/konsol/admin/opd/{code}``, ``/konsol/admin/kategori/{code}``) edits
the fields the PATCH accepts, through the PATCH's ``service.update``, against the version
the officer saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.admin.forms import Refused, attempt, checked, not_found, text, validated
from services.console.deps import ConsolePage, ConsoleUser, CsrfChecked, page_render
from services.console.deps import require_console_roles as roles
from services.routing.reference import schemas, service
from services.routing.reference.endpoints import READER_ROLES, WRITER_ROLES
from shared.cases.labels import KIND_LABELS, SLA_CLASS_LABELS
from shared.codes import Code
from shared.deps import DbSession

router = APIRouter(prefix="/konsol/admin", tags=["console"], include_in_schema=False)


@dataclass(frozen=True)
class Register:
    """One reference list as a page: its entity, its API bodies, its form's fields."""

    entity: str
    template: str
    create: type[BaseModel]
    patch: type[BaseModel]
    #: form field → API field (text fields; checkboxes below)
    fields: dict[str, str]
    checkboxes: dict[str, str]
    labels: dict[str, str]
    #: the edit page's template (the fields of ``fields`` but the code, and the checkboxes)
    edit_template: str


REGISTERS = {
    "opd": Register(
        "opds", "admin_opd.html", schemas.OpdIn, schemas.OpdPatch,
        {"kode": "code", "nama": "name", "jenis": "kind", "induk": "parent_code",
         "penanggung_jawab": "penanggung_jawab", "kontak": "contact"},
        {},
        {"code": "Kode", "name": "Nama", "kind": "Jenis", "parent_code": "Induk",
         "penanggung_jawab": "Penanggung jawab", "contact": "Kontak", "version": "Versi"},
        "admin_opd_ubah.html",
    ),
    "kategori": Register(
        "categories", "admin_kategori.html", schemas.CategoryIn, schemas.CategoryPatch,
        {"kode": "code", "nama": "name", "opd_bawaan": "default_opd_code",
         "jenis_bawaan": "default_kind", "kelas_bawaan": "default_sla_class",
         "kata_kunci": "keywords"},
        {"disposisi_otomatis": "auto_dispose"},
        {"code": "Kode", "name": "Nama", "default_opd_code": "OPD bawaan",
         "default_kind": "Jenis laporan bawaan", "default_sla_class": "Kelas waktu bawaan",
         "keywords": "Kata kunci", "auto_dispose": "Disposisi otomatis", "version": "Versi"},
        "admin_kategori_ubah.html",
    ),
}  # fmt: skip


async def _page(
    request: Request, page: ConsolePage, session: AsyncSession, register: Register, *,
    error: str | None = None, done: str | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    ent = service.ENTITIES[register.entity]
    opd_ent = service.ENTITIES["opds"]
    opds = [opd_ent.as_dict(r) for r in await service.list_rows(session, opd_ent)]
    return page_render(
        request, page, register.template,
        {
            "rows": [ent.as_dict(r) for r in await service.list_rows(session, ent)],
            "opds": opds, "opd_names": {o["code"]: o["name"] for o in opds},
            "kinds": KIND_LABELS, "sla_classes": SLA_CLASS_LABELS,
            "can_write": page.actor.role in WRITER_ROLES,
            "form": page.form if error else None, "error": error, "done": done,
        },
        status_code=status_code,
    )  # fmt: skip


async def _edit_page(
    request: Request, page: ConsolePage, session: AsyncSession, register: Register, name: str,
    code: str, *, error: str | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    """One row's edit form: as it now is, or as posted when refused — except a stale edit
    (409), shown with the row as someone else left it, the officer's version not saved."""
    ent = service.ENTITIES[register.entity]
    try:
        row = ent.as_dict(await attempt(session, service.get_row(session, ent, code)))
    except Refused as refused:
        return not_found(request, page, refused.message, f"/konsol/admin/{name}")
    opd_ent = service.ENTITIES["opds"]
    opds = [opd_ent.as_dict(r) for r in await service.list_rows(session, opd_ent)]
    posted = page.form if error and status_code != 409 else None
    return page_render(
        request, page, register.edit_template,
        {
            "row": row, "form": posted or _row_form(register, row), "register_path": name,
            "opds": opds, "kinds": KIND_LABELS, "sla_classes": SLA_CLASS_LABELS, "error": error,
        },
        status_code=status_code,
    )  # fmt: skip


def _row_form(register: Register, row: dict[str, Any]) -> dict[str, Any]:
    """A row as its edit form would post it (form field → the row's value)."""
    values = {field: row.get(api) for field, api in register.fields.items()}
    if "kata_kunci" in values:  # stored "a;b", typed "a; b"
        values["kata_kunci"] = "; ".join((values["kata_kunci"] or "").split(";"))
    values.update(
        {field: "1" if row.get(api) else "" for field, api in register.checkboxes.items()}
    )
    return {**{k: "" if v is None else str(v) for k, v in values.items()}, "versi": row["version"]}


def _changes(register: Register, form: Any) -> dict[str, Any]:
    """The PATCH body of an edit form: each field the form sent (blank clears an optional
    one; a required one left blank is refused by the body model), never the code."""
    data: dict[str, Any] = {
        api: value.strip() for field, api in register.fields.items()
        if api != "code" and isinstance(value := form.get(field), str)
    }  # fmt: skip
    data.update({api: checked(form, field) for field, api in register.checkboxes.items()})
    data["version"] = text(form, "versi")
    return data


def _routes(name: str, register: Register) -> None:
    """The list page, the create form, the edit page and the (de)activate button of one
    register."""
    ent = service.ENTITIES[register.entity]

    @router.get(f"/{name}", dependencies=[roles(*READER_ROLES)], name=f"konsol_{name}")
    async def listing(request: Request, page: ConsoleUser, session: DbSession) -> Response:
        done = {"baru": "Disimpan.", "ubah": "Perubahan disimpan."}
        return await _page(
            request, page, session, register, done=done.get(request.query_params.get("selesai", ""))
        )

    @router.post(f"/{name}", dependencies=[roles(*WRITER_ROLES)], name=f"konsol_{name}_baru")
    async def create(request: Request, page: CsrfChecked, session: DbSession) -> Response:
        data: dict[str, Any] = {
            api: value for field, api in register.fields.items()
            if (value := text(page.form, field)) is not None
        }  # fmt: skip
        data.update({api: checked(page.form, field) for field, api in register.checkboxes.items()})
        try:
            body = validated(register.create, data, register.labels)
            await attempt(
                session,
                service.create(session, ent, body.model_dump(), page.actor),
                register.labels,
            )
        except Refused as refused:
            return await _page(
                request, page, session, register, error=refused.message,
                status_code=refused.status_code,
            )  # fmt: skip
        return RedirectResponse(f"/konsol/admin/{name}?selesai=baru", status_code=303)

    @router.post(
        f"/{name}/{{code}}/aktif", dependencies=[roles(*WRITER_ROLES)], name=f"konsol_{name}_aktif"
    )
    async def toggle(
        code: str, request: Request, page: CsrfChecked, session: DbSession
    ) -> Response:
        """Activate or deactivate one row (the form says which, and the version it saw)."""
        data = {"active": checked(page.form, "aktif"), "version": text(page.form, "versi")}
        try:
            body = validated(register.patch, data, {"version": "Versi"})
            changes = body.model_dump(exclude_unset=True)
            await attempt(session, service.update(session, ent, code, changes, page.actor))
        except Refused as refused:
            return await _page(
                request, page, session, register, error=refused.message,
                status_code=refused.status_code,
            )  # fmt: skip
        return RedirectResponse(f"/konsol/admin/{name}?selesai=ubah", status_code=303)

    @router.get(
        f"/{name}/{{code}}", dependencies=[roles(*WRITER_ROLES)], name=f"konsol_{name}_ubah"
    )
    async def edit(code: Code, request: Request, page: ConsoleUser, session: DbSession) -> Response:
        return await _edit_page(request, page, session, register, name, code)

    @router.post(
        f"/{name}/{{code}}", dependencies=[roles(*WRITER_ROLES)], name=f"konsol_{name}_simpan"
    )
    async def save(code: Code, request: Request, page: CsrfChecked, session: DbSession) -> Response:
        """Save the edit form through the PATCH's ``service.update`` (same checks, version
        and audit event as ``PATCH /admin/reference/{entity}/{code}``)."""
        try:
            body = validated(register.patch, _changes(register, page.form), register.labels)
            changes = body.model_dump(exclude_unset=True)
            await attempt(
                session, service.update(session, ent, code, changes, page.actor), register.labels
            )
        except Refused as refused:
            return await _edit_page(
                request, page, session, register, name, code, error=refused.message,
                status_code=refused.status_code,
            )  # fmt: skip
        return RedirectResponse(f"/konsol/admin/{name}?selesai=ubah", status_code=303)


for _name, _register in REGISTERS.items():
    _routes(_name, _register)
