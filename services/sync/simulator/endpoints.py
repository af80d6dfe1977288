"""The simulator's routes: the national API (behind the gate) and ``/_sim/`` (loopback
only). Thin: parse, call the simulator, hand its answer back."""

from __future__ import annotations

import ipaddress
from typing import Any

from fastapi import APIRouter, Body, Depends, Request
from starlette.datastructures import UploadFile

from services.sync.simulator import actions, national, rendering
from services.sync.simulator.schemas import ForwardIn, RatingIn, ReporterFollowupIn, StatusIn
from services.sync.simulator.service import Simulator
from services.sync.simulator.validation import SimHTTPError

MAX_PAGE_SIZE = 500
MAX_UPLOAD_FILES = 20


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


async def require_loopback(request: Request) -> None:
    """``/_sim/`` is for tests and the demo on this machine only. ``request.client`` is
    the TCP peer even when the simulator is mounted inside another app."""
    if not _is_loopback(request.client.host if request.client else None):
        raise SimHTTPError(403, "/_sim/ only answers loopback clients")


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise SimHTTPError(422, "body must be JSON") from None


def api_router(sim: Simulator) -> APIRouter:
    router = APIRouter(dependencies=[Depends(sim.gate)], tags=["SP4N-LAPOR! API"])

    @router.post("/complaints/complaint/file")
    async def upload_files(request: Request) -> dict[str, Any]:
        async with request.form(max_files=MAX_UPLOAD_FILES) as form:
            files = [f for f in form.getlist("attachments[]") if isinstance(f, UploadFile)]
            if not files:
                raise SimHTTPError(422, "attachments[] is required")
            docs = await sim.upload(files)
        return rendering.upload_answer(sim.faults, docs)

    @router.post("/complaints/followup/add")
    async def add_followup(request: Request) -> dict[str, Any]:
        async with request.form(max_files=MAX_UPLOAD_FILES) as form:
            followup = await sim.add_followup(form)
        await sim.gate.after_commit(request)
        return rendering.envelope({"id": followup["id"], "complaint_id": followup["complaint_id"]})

    @router.post("/complaints/{slug}")
    async def create_complaint(slug: str, request: Request) -> dict[str, Any]:
        """The create, at the path this integrator was assigned (a variant) [seen]."""
        if f"/complaints/{slug}" != sim.faults.create_path:
            raise SimHTTPError(404, "Not Found")
        complaint_id = await sim.create_complaint(await _json(request))
        await sim.gate.after_commit(request)
        return sim.create_answer(complaint_id)

    @router.get("/complaints/{complaint_id}/complaint")
    async def get_complaint(complaint_id: int) -> dict[str, Any]:
        async with sim.lock:
            return sim.detail(complaint_id)

    @router.get("/complaints/{complaint_id}/followups")
    async def get_followups(complaint_id: int, request: Request, page: int = 1) -> dict[str, Any]:
        if page < 1:
            raise SimHTTPError(422, "page >= 1")
        url = str(request.url.remove_query_params("page"))
        async with sim.lock:
            return sim.followups(complaint_id, page, url)

    @router.post("/complaints/process/{complaint_id}/reject")
    async def reject(complaint_id: int, request: Request) -> dict[str, Any]:
        result = await sim.reject(complaint_id, await _json(request))
        complaint = result["complaint"]
        return rendering.envelope(
            {"complaint_id": complaint["id"], "disposition_id": complaint["disposition_id"]},
            [rendering.log_data(sim.faults, result["log"])],
        )

    @router.post("/complaints/{complaint_id}/privacy")
    async def update_privacy(complaint_id: int, request: Request) -> dict[str, Any]:
        return rendering.envelope(await sim.update_privacy(complaint_id, await _json(request)))

    @router.get("/complaints")
    async def list_complaints(
        disposition_id: int | None = None,
        updated_since: str | None = None,
        tags: str | None = None,
        page: int = 1,
        page_size: int = 50,
    ) -> dict[str, Any]:
        since = None
        if updated_since:
            try:
                since = rendering.parse_date(updated_since)
            except ValueError:
                raise SimHTTPError(422, "updated_since must be d-m-Y H:i:s") from None
        if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise SimHTTPError(422, f"page >= 1 and 1 <= page_size <= {MAX_PAGE_SIZE}")
        async with sim.lock:
            return sim.list_complaints(
                disposition_id=disposition_id,
                updated_since=since,
                tags=tags,
                page=page,
                page_size=page_size,
            )

    @router.get("/masters/institutions/external")
    async def institutions(page_size: int = 50) -> dict[str, Any]:
        return rendering.envelope(sim.institutions()[: max(page_size, 0)])

    @router.get("/masters/templates")
    async def templates(page_size: int = 50) -> dict[str, Any]:
        return rendering.envelope(national.TEMPLATES[: max(page_size, 0)])

    @router.get("/masters/categories")
    async def categories(page_size: int = 50) -> dict[str, Any]:
        return rendering.envelope(national.CATEGORIES[: max(page_size, 0)])

    return router


def sim_router(sim: Simulator) -> APIRouter:
    router = APIRouter(prefix="/_sim", dependencies=[Depends(require_loopback)], tags=["simulator"])

    @router.get("/faults")
    async def get_faults() -> dict[str, Any]:
        return sim.faults.model_dump()

    @router.put("/faults")
    async def put_faults(changes: dict[str, Any] = Body(...)) -> dict[str, Any]:
        return sim.gate.update(changes).model_dump()

    @router.delete("/faults")
    async def delete_faults() -> dict[str, Any]:
        return sim.gate.reset().model_dump()

    @router.get("/complaints")
    async def all_complaints() -> dict[str, Any]:
        async with sim.lock:
            return {"complaints": [rendering.sim_view(c) for c in sim.store.complaints.values()]}

    @router.get("/complaints/{complaint_id}")
    async def one_complaint(complaint_id: int) -> dict[str, Any]:
        async with sim.lock:
            return rendering.sim_view(sim.get(complaint_id))

    @router.get("/stats")
    async def stats() -> dict[str, int]:
        return sim.stats()

    @router.post("/national/forward")
    async def forward(body: ForwardIn) -> dict[str, Any]:
        return {"complaint_id": await actions.forward_in(sim, body)}

    @router.post("/complaints/{complaint_id}/status")
    async def status(complaint_id: int, body: StatusIn) -> dict[str, Any]:
        code = body.status_code
        if code is None and body.status_name:
            code = national.code_for_name(body.status_name)
        if code is None:
            raise SimHTTPError(422, "status_code or a known status_name is required")
        return await actions.set_status(sim, complaint_id, code, body.note)

    @router.post("/complaints/{complaint_id}/followups")
    async def reporter_followup(complaint_id: int, body: ReporterFollowupIn) -> dict[str, Any]:
        files = [{"name": f.file_name, "path": f.path, "size": 0} for f in body.attachments]
        followup_id = await actions.reporter_followup(
            sim, complaint_id, body.content, files, template_code=body.template_code
        )
        return {"followup_id": followup_id}

    @router.post("/complaints/{complaint_id}/rating")
    async def rating(complaint_id: int, body: RatingIn) -> dict[str, Any]:
        await actions.rate(sim, complaint_id, body.score, body.comment)
        return {"complaint_id": complaint_id, "score": body.score}

    @router.post("/callbacks/drain")
    async def drain() -> dict[str, int]:
        """Wait for scheduled callbacks to be delivered (or given up); for tests."""
        await sim.callbacks.drain()
        return sim.stats()

    @router.post("/reset")
    async def reset() -> dict[str, Any]:
        await sim.reset()
        return {"reset": True}

    return router
