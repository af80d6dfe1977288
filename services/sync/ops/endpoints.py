"""``/admin/sync/...``: the LAPOR! mirror for operators (operator, admin_instansi; viewer reads)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, UploadFile

from services.sync.confirmation import service as confirm
from services.sync.mirror.repository import SYNC_CONSUMER
from services.sync.national_export.reading import ExportError, read_export
from services.sync.national_export.service import reconcile_export
from services.sync.ops import service
from services.sync.ops.schemas import ConfirmIn, PauseIn, ResyncIn
from services.sync.reconcile import jobs
from services.sync.reconcile.service import drift_report, request_resync
from shared.auth import Actor, require_roles
from shared.cases.service import get_by_tracking_id
from shared.deps import DbSession
from shared.errors import Conflict, NotFound, Unprocessable
from shared.lifecycle import Role

router = APIRouter(prefix="/admin/sync", tags=["SP4N-LAPOR! mirror (ops)"])

#: Who reads the mirror's state and who acts on it (the console's /konsol/operasi the same).
READER_ROLES = (Role.OPERATOR, Role.ADMIN_INSTANSI, Role.VIEWER)
OPERATOR_ROLES = (Role.OPERATOR, Role.ADMIN_INSTANSI)
Reader = Annotated[Actor, require_roles(*READER_ROLES)]
Operator = Annotated[Actor, require_roles(*OPERATOR_ROLES)]


async def _case(session: Any, tracking_id: str) -> Any:
    case = await get_by_tracking_id(session, tracking_id)
    if case is None:
        raise NotFound(f"no case {tracking_id!r}", code="case_not_found")
    return case


async def _case_id(session: Any, tracking_id: str) -> int:
    return (await _case(session, tracking_id)).id


@router.get("/status", summary="Backlog, dead letters, mirror states, breaker, pause")
async def status(request: Request, _actor: Reader) -> dict:
    ctx = request.app.state.ctx
    return await service.sync_status(request.app.state.db, ctx.resources, ctx.settings)


@router.get("/cases/{tracking_id}", summary="One case's mirror state and its operations")
async def case_mirror(tracking_id: str, session: DbSession, _actor: Reader) -> dict:
    return await service.mirror_state(session, await _case_id(session, tracking_id))


@router.post(
    "/cases/{tracking_id}/resync",
    status_code=202,
    summary="Bring one case in step (also releases a hold)",
)
async def resync(
    tracking_id: str, session: DbSession, actor: Operator, body: ResyncIn | None = None
) -> dict:
    case_id = await _case_id(session, tracking_id)
    reason = (body.reason if body else None) or "forced re-sync by an operator"
    event_id = await request_resync(session, case_id, actor, reason)
    return {"tracking_id": tracking_id, "queued_event_id": event_id}


@router.get(
    "/unconfirmed",
    summary='"Perlu konfirmasi": creates whose outcome is unknown, with what to look up',
)
async def unconfirmed(session: DbSession, _actor: Reader) -> dict:
    items = await confirm.unconfirmed(session)
    return {"count": len(items), "items": items}


@router.post(
    "/cases/{tracking_id}/confirm",
    summary='Settle "perlu konfirmasi": created as national id N, or not created (send)',
    responses={409: {"description": "not waiting, or the national id is linked elsewhere"}},
)
async def confirm_create(
    tracking_id: str, body: ConfirmIn, request: Request, session: DbSession, actor: Operator
) -> dict:
    case = await _case(session, tracking_id)
    client = request.app.state.ctx.resources.get("lapor")
    return await confirm.settle(session, client, case, body.outcome, body.lapor_complaint_id, actor)


@router.post(
    "/import",
    summary="Reconcile with a national export (CSV/XLSX): link, flag, create nothing twice",
)
async def import_export(
    request: Request, actor: Operator, file: UploadFile, dry_run: bool = False
) -> dict:
    """As ``simpul lapor import FILE [--dry-run]``; ``dry_run=true`` only reads."""
    try:
        rows = read_export(file.filename or "", await file.read())
    except ExportError as exc:
        raise Unprocessable(str(exc), code="invalid_export") from None
    return await reconcile_export(request.app.state.ctx, rows, actor=actor, dry_run=dry_run)


@router.post("/pause", summary="Pause the mirror (nothing is lost; it resumes in order)")
async def pause(session: DbSession, actor: Operator, body: PauseIn | None = None) -> dict:
    return await service.set_paused(session, True, actor, body.reason if body else None)


@router.post("/resume", summary="Resume the mirror")
async def resume(session: DbSession, actor: Operator) -> dict:
    return await service.set_paused(session, False, actor)


@router.get("/dead-letters", summary="Parked deliveries (default: the sync consumer's)")
async def dead_letters(
    session: DbSession,
    _actor: Reader,
    consumer: str | None = SYNC_CONSUMER,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict:
    return {"items": await service.dead_letters(session, consumer or None, limit, offset)}


@router.post("/dead-letters/{delivery_id}/replay", summary="Replay one dead delivery")
async def replay_one(delivery_id: int, session: DbSession, actor: Operator) -> dict:
    return {"replayed": await service.replay_one(session, actor, delivery_id)}


@router.post("/dead-letters/replay", summary="Replay every dead delivery of a consumer")
async def replay_all(
    session: DbSession, actor: Operator, consumer: str | None = SYNC_CONSUMER
) -> dict:
    return {"replayed": await service.replay_dead(session, actor, consumer=consumer or None)}


@router.get("/drift", summary="Cases whose national copy differs (last reconciliation)")
async def drift(session: DbSession, _actor: Reader) -> dict:
    items = await drift_report(session)
    return {"count": len(items), "items": items}


@router.post(
    "/reconcile",
    status_code=202,
    summary="Start a reconciliation (a background job; one at a time)",
    responses={409: {"description": "a reconciliation is already running (its job id given)"}},
)
async def reconcile_now(request: Request, actor: Operator) -> dict:
    """Answers at once with the job's id; read its progress and result at
    ``GET /admin/sync/reconcile/{job_id}``. While one runs (in any process), another
    start answers 409 with the running job's id."""
    run, created = await jobs.start_in_background(request.app.state.ctx, actor.name or actor.id)
    if not created:
        raise Conflict(
            "a reconciliation is already running",
            code="reconcile_running",
            job_id=run.id,
            status_url=f"/admin/sync/reconcile/{run.id}",
        )
    return {**jobs.run_view(run), "status_url": f"/admin/sync/reconcile/{run.id}"}


@router.get("/reconcile/latest", summary="The latest reconciliation run")
async def reconcile_latest(request: Request, _actor: Reader) -> dict:
    run = await jobs.latest_run(request.app.state.db)
    if run is None:
        raise NotFound("no reconciliation has run yet", code="reconcile_run_not_found")
    return jobs.run_view(run)


@router.get("/reconcile/{job_id}", summary="A reconciliation run: state, progress, result")
async def reconcile_run(job_id: str, request: Request, _actor: Reader) -> dict:
    run = await jobs.get_run(request.app.state.db, job_id[:36])
    if run is None:
        raise NotFound(f"no reconciliation run {job_id!r}", code="reconcile_run_not_found")
    return jobs.run_view(run)
