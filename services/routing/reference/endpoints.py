"""Reference data admin API: OPDs, categories, kecamatan (+ desa); list, create, update, CSV.

Admin Instansi writes; viewer and operator read. Nothing is deleted: set ``active=false``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from services.routing.reference import schemas, service
from shared.auth import Actor, require_roles
from shared.codes import Code
from shared.deps import DbSession
from shared.errors import Unprocessable
from shared.lifecycle import Role

router = APIRouter(prefix="/admin/reference", tags=["reference data"])
#: Who reads and who changes reference data (the console's pages admit the same).
READER_ROLES = (Role.ADMIN_INSTANSI, Role.VIEWER, Role.OPERATOR)
WRITER_ROLES = (Role.ADMIN_INSTANSI,)
Reader = require_roles(*READER_ROLES)
Writer = require_roles(*WRITER_ROLES)
MAX_CSV_BYTES = 2 * 1024 * 1024


def _patch(body: BaseModel) -> dict[str, Any]:
    data = body.model_dump(exclude_unset=True)
    # explicit null clears an optional reference (parent, default OPD); a missing key leaves it
    return data


def _crud(name: str, create_schema: type[BaseModel], patch_schema: type[BaseModel]) -> None:
    ent = service.ENTITIES[name]

    @router.get(f"/{name}", summary=f"List {name} (inactive ones too)", name=f"list_{name}")
    async def list_(session: DbSession, actor: Actor = Reader) -> dict[str, Any]:
        return {"items": [ent.as_dict(r) for r in await service.list_rows(session, ent)]}

    @router.get(f"/{name}/{{code}}", summary=f"One of {name}", name=f"get_{name}")
    async def get_(code: Code, session: DbSession, actor: Actor = Reader) -> dict[str, Any]:
        return ent.as_dict(await service.get_row(session, ent, code))

    async def create_(
        body: create_schema, session: DbSession, actor: Actor = Writer
    ) -> dict[str, Any]:
        return ent.as_dict(await service.create(session, ent, body.model_dump(), actor))

    async def update_(
        code: Code, body: patch_schema, session: DbSession, actor: Actor = Writer
    ) -> dict[str, Any]:
        return ent.as_dict(await service.update(session, ent, code, _patch(body), actor))

    create_.__annotations__["body"] = create_schema
    update_.__annotations__["body"] = patch_schema
    router.add_api_route(
        f"/{name}",
        create_,
        methods=["POST"],
        status_code=201,
        summary=f"Create one of {name}",
        name=f"create_{name}",
    )
    router.add_api_route(
        f"/{name}/{{code}}",
        update_,
        methods=["PATCH"],
        summary=f"Change one of {name} (version bumped, audited)",
        name=f"update_{name}",
    )


@router.get("/{name}.csv", summary="Export as CSV (the import format)")
async def export_csv(name: str, session: DbSession, actor: Actor = Reader) -> Response:
    ent = service.entity(name)
    body = service.export_csv(ent, await service.list_rows(session, ent))
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.post("/{name}/import", summary="Upsert from CSV (all or nothing; 422 lists bad lines)")
async def import_csv(
    name: str, request: Request, session: DbSession, actor: Actor = Writer
) -> dict[str, Any]:
    ent = service.entity(name)
    raw = await request.body()
    if len(raw) > MAX_CSV_BYTES:
        raise Unprocessable(f"CSV over {MAX_CSV_BYTES} bytes", code="invalid_csv")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unprocessable("CSV must be UTF-8", code="invalid_csv") from exc
    return await service.import_csv(session, ent, text, actor)


@router.get("/kecamatan/{code}/desa", summary="Desa of a kecamatan")
async def list_desa(code: Code, session: DbSession, actor: Actor = Reader) -> dict[str, Any]:
    return {"items": [service.desa_dict(d) for d in await service.list_desa(session, code)]}


@router.post("/kecamatan/{code}/desa", status_code=201, summary="Add a desa to a kecamatan")
async def create_desa(
    code: Code, body: schemas.DesaIn, session: DbSession, actor: Actor = Writer
) -> dict[str, Any]:
    return service.desa_dict(await service.create_desa(session, code, body.code, body.name, actor))


@router.patch("/desa/{desa_id}", summary="Rename or deactivate a desa")
async def update_desa(
    desa_id: int, body: schemas.DesaPatch, session: DbSession, actor: Actor = Writer
) -> dict[str, Any]:
    return service.desa_dict(
        await service.update_desa(session, desa_id, body.model_dump(exclude_unset=True), actor)
    )


_crud("opds", schemas.OpdIn, schemas.OpdPatch)
_crud("categories", schemas.CategoryIn, schemas.CategoryPatch)
_crud("kecamatan", schemas.KecamatanIn, schemas.KecamatanPatch)
