"""``/konsol/admin/opd`` and ``/konsol/admin/kategori``: the OPD registry and the category
taxonomy, over ``services/routing/reference`` — the same checks, versions and events as
``/admin/reference``. Nothing is deleted: a row is deactivated (and can be again activated).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.admin.forms import Refused, attempt, checked, text, validated
from services.console.deps import ConsolePage, ConsoleUser, CsrfChecked, page_render
from services.console.deps import require_console_roles as roles
from services.routing.reference import schemas, service
from services.routing.reference.endpoints import READER_ROLES, WRITER_ROLES
from shared.cases.labels import KIND_LABELS, SLA_CLASS_LABELS
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


REGISTERS = {
    "opd": Register(
        "opds", "admin_opd.html", schemas.OpdIn, schemas.OpdPatch,
        {"kode": "code", "nama": "name", "jenis": "kind", "induk": "parent_code",
         "penanggung_jawab": "penanggung_jawab", "kontak": "contact"},
        {},
        {"code": "Kode", "name": "Nama", "kind": "Jenis", "parent_code": "Induk",
         "penanggung_jawab": "Penanggung jawab", "contact": "Kontak"},
    ),
    "kategori": Register(
        "categories", "admin_kategori.html", schemas.CategoryIn, schemas.CategoryPatch,
        {"kode": "code", "nama": "name", "opd_bawaan": "default_opd_code",
         "jenis_bawaan": "default_kind", "kelas_bawaan": "default_sla_class",
         "kata_kunci": "keywords"},
        {"disposisi_otomatis": "auto_dispose"},
        {"code": "Kode", "name": "Nama", "default_opd_code": "OPD bawaan",
         "default_kind": "Jenis laporan bawaan", "default_sla_class": "Kelas waktu bawaan",
         "keywords": "Kata kunci"},
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


def _routes(name: str, register: Register) -> None:
    """The list page, the create form and the (de)activate button of one register."""
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
            await attempt(session, service.create(session, ent, body.model_dump(), page.actor))
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


for _name, _register in REGISTERS.items():
    _routes(_name, _register)
