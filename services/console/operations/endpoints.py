"""``/konsol/operasi``: what the operator watches and repairs, over the ops API's own
functions and roles — the mirror's state and the workers' queues (``sync_status``), dead
letters with replay (``replay_one`` / ``replay_dead``), the webhook quarantine (read only,
as the API), and "perlu konfirmasi" (``confirmation.settle``).

Reading is for the API's readers (operator, Admin Instansi, leadership); the forms for its
operators (operator, Admin Instansi). A refusal (a replayed letter gone, a national id
linked elsewhere: 409) is said in plain words and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.admin.forms import Refused, attempt, text, validated
from services.console.deps import ConsolePage, ConsoleUser, CsrfChecked, page_render
from services.console.deps import require_console_roles as roles
from services.intake.webhooks.endpoints import QUARANTINE_ROLES
from services.intake.webhooks.quarantine import MAX_ROWS, list_quarantined, quarantine_view
from services.sync.confirmation import service as confirmation
from services.sync.mirror.repository import SYNC_CONSUMER
from services.sync.ops import service
from services.sync.ops.endpoints import OPERATOR_ROLES, READER_ROLES
from services.sync.ops.schemas import ConfirmIn
from shared.cases.labels import WORKER_LABELS
from shared.cases.service import get_by_tracking_id
from shared.deps import DbSession
from shared.events.subscriptions import SUBSCRIPTIONS

router = APIRouter(prefix="/konsol/operasi", tags=["console"], include_in_schema=False)
PAGE_SIZE = 50
#: A queue whose oldest pending delivery waits longer than this is shown as lagging.
LAGGING_AFTER_S = 300
MIRROR_LABELS = {
    "pending": "menunggu dikirim",
    "created": "sudah ada di SP4N-LAPOR!",
    "held": "ditahan",
    "to_confirm": "perlu konfirmasi",
    "paused": "dijeda",
}
DONE = {
    "kirim-ulang": "Kiriman gagal dimasukkan lagi ke antrean; pekerja akan mencobanya segera.",
    "jeda": "Sinkronisasi dijeda. Tidak ada yang hilang; semuanya dikirim berurutan saat dilanjutkan.",
    "lanjut": "Sinkronisasi dilanjutkan.",
    "dibuat": "Tercatat: laporan sudah ada di SP4N-LAPOR!. Pembaruan yang tertunda dikirim.",
    "tidak-dibuat": "Tercatat: laporan akan dikirim ulang ke SP4N-LAPOR!.",
}


def _moments(items: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    """The API's ISO times as datetimes, for the page's local-time filter."""
    return [
        {**item, **{k: datetime.fromisoformat(item[k]) for k in keys if item.get(k)}}
        for item in items
    ]


def _can_act(page: ConsolePage) -> bool:
    return page.actor.role in OPERATOR_ROLES


def workers_health(consumers: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Every consumer's queue (idle ones too), with a word for its state."""
    rows = []
    for name in dict.fromkeys([*SUBSCRIPTIONS, *consumers]):
        queue = consumers.get(name, {"pending": 0, "dead": 0, "oldest_pending_s": 0.0})
        if queue["dead"]:
            state = "ada kiriman gagal"
        elif queue["pending"] and queue["oldest_pending_s"] > LAGGING_AFTER_S:
            state = "tertinggal"
        else:
            state = "lancar"
        rows.append({"name": name, "label": WORKER_LABELS.get(name, name), "state": state,
                     "oldest_min": int(queue["oldest_pending_s"] // 60), **queue})  # fmt: skip
    return rows


@router.get("", dependencies=[roles(*READER_ROLES)])
async def overview(request: Request, page: ConsoleUser, session: DbSession) -> Response:
    state = request.app.state
    status = await service.sync_status(state.db, state.ctx.resources)
    unconfirmed = await confirmation.unconfirmed(session, limit=1000)
    return page_render(
        request, page, "operasi.html",
        {"status": status, "workers": workers_health(status["consumers"]),
         "mirror_labels": MIRROR_LABELS, "unconfirmed_count": len(unconfirmed),
         "can_act": _can_act(page), "can_quarantine": page.actor.role in QUARANTINE_ROLES,
         "done": DONE.get(request.query_params.get("selesai", ""))},
    )  # fmt: skip


@router.post("/jeda", dependencies=[roles(*OPERATOR_ROLES)])
async def pause(request: Request, page: CsrfChecked, session: DbSession) -> Response:
    reason = (text(page.form, "alasan") or "")[:500] or None
    await service.set_paused(session, True, page.actor, reason)
    return RedirectResponse("/konsol/operasi?selesai=jeda", status_code=303)


@router.post("/lanjut", dependencies=[roles(*OPERATOR_ROLES)])
async def resume(request: Request, page: CsrfChecked, session: DbSession) -> Response:
    await service.set_paused(session, False, page.actor)
    return RedirectResponse("/konsol/operasi?selesai=lanjut", status_code=303)


# -- dead letters ------------------------------------------------------------------------


async def _dead_letters_page(
    request: Request, page: ConsolePage, session: AsyncSession, *, error: str | None = None,
    status_code: int = 200, consumer: str = SYNC_CONSUMER, offset: int = 0,
) -> Response:  # fmt: skip
    chosen = None if consumer == "semua" else consumer
    items = await service.dead_letters(session, chosen, PAGE_SIZE, offset)
    return page_render(
        request, page, "operasi_surat_mati.html",
        {"items": _moments(items, "created_at"), "consumer": consumer, "consumers": WORKER_LABELS,
         "offset": offset, "page_size": PAGE_SIZE, "can_act": _can_act(page), "error": error,
         "done": DONE.get(request.query_params.get("selesai", ""))},
        status_code=status_code,
    )  # fmt: skip


@router.get("/surat-mati", dependencies=[roles(*READER_ROLES)])
async def dead_letters(
    request: Request, page: ConsoleUser, session: DbSession,
    antrean: str = Query(SYNC_CONSUMER, max_length=40), mulai: int = Query(0, ge=0, le=10**6),
) -> Response:  # fmt: skip
    return await _dead_letters_page(request, page, session, consumer=antrean, offset=mulai)


@router.post("/surat-mati/{delivery_id}/kirim-ulang", dependencies=[roles(*OPERATOR_ROLES)])
async def replay_one(
    delivery_id: int, request: Request, page: CsrfChecked, session: DbSession
) -> Response:
    consumer = text(page.form, "antrean") or SYNC_CONSUMER
    try:
        await attempt(session, service.replay_one(session, page.actor, delivery_id))
    except Refused as refused:
        return await _dead_letters_page(
            request, page, session, error=refused.message, status_code=refused.status_code,
            consumer=consumer,
        )  # fmt: skip
    return RedirectResponse(
        f"/konsol/operasi/surat-mati?{urlencode({'antrean': consumer})}&selesai=kirim-ulang",
        status_code=303,
    )


@router.post("/surat-mati/kirim-ulang", dependencies=[roles(*OPERATOR_ROLES)])
async def replay_all(request: Request, page: CsrfChecked, session: DbSession) -> Response:
    consumer = text(page.form, "antrean") or SYNC_CONSUMER
    await service.replay_dead(
        session, page.actor, consumer=None if consumer == "semua" else consumer
    )
    return RedirectResponse(
        f"/konsol/operasi/surat-mati?{urlencode({'antrean': consumer})}&selesai=kirim-ulang",
        status_code=303,
    )


# -- the webhook quarantine (read only, as the API) --------------------------------------


@router.get("/karantina", dependencies=[roles(*QUARANTINE_ROLES)])
async def quarantine(
    request: Request, page: ConsoleUser, session: DbSession,
    saluran: str | None = Query(None, max_length=40), mulai: int = Query(0, ge=0, le=MAX_ROWS),
) -> Response:  # fmt: skip
    rows, total = await list_quarantined(
        session, channel=saluran or None, reason=None, limit=PAGE_SIZE, offset=mulai
    )
    return page_render(
        request, page, "operasi_karantina.html",
        {"items": _moments([quarantine_view(r) for r in rows], "received_at"), "total": total, "cap": MAX_ROWS,
         "channel": saluran or "", "offset": mulai, "page_size": PAGE_SIZE},
    )  # fmt: skip


# -- "perlu konfirmasi" ------------------------------------------------------------------


async def _confirm_page(
    request: Request, page: ConsolePage, session: AsyncSession, *, error: str | None = None,
    status_code: int = 200, failed: str | None = None,
) -> Response:  # fmt: skip
    return page_render(
        request, page, "operasi_konfirmasi.html",
        {"items": _moments(await confirmation.unconfirmed(session), "since", "sent_at"),
         "can_act": _can_act(page),
         "error": error, "failed": failed, "form": page.form if error else None,
         "done": DONE.get(request.query_params.get("selesai", ""))},
        status_code=status_code,
    )  # fmt: skip


@router.get("/konfirmasi", dependencies=[roles(*READER_ROLES)])
async def unconfirmed(request: Request, page: ConsoleUser, session: DbSession) -> Response:
    return await _confirm_page(request, page, session)


@router.post("/konfirmasi/{tracking_id}", dependencies=[roles(*OPERATOR_ROLES)])
async def confirm(
    tracking_id: str, request: Request, page: CsrfChecked, session: DbSession
) -> Response:
    outcome = text(page.form, "hasil")
    data = {"outcome": outcome,
            "lapor_complaint_id": text(page.form, "nomor") if outcome == "created" else None}  # fmt: skip
    try:
        if outcome == "created" and not data["lapor_complaint_id"]:
            raise Refused("Isi nomor laporan di SP4N-LAPOR! bila laporan itu sudah dibuat.")
        body = validated(
            ConfirmIn, data, {"outcome": "Hasil", "lapor_complaint_id": "Nomor SP4N-LAPOR!"}
        )
        case = await get_by_tracking_id(session, tracking_id[:20])
        if case is None:
            raise Refused("Laporan tidak ditemukan.", 404)
        client = request.app.state.ctx.resources.get("lapor")
        await attempt(session, confirmation.settle(
            session, client, case, body.outcome, body.lapor_complaint_id, page.actor
        ))  # fmt: skip
    except Refused as refused:
        return await _confirm_page(
            request, page, session, error=refused.message, status_code=refused.status_code,
            failed=tracking_id,
        )  # fmt: skip
    done = "dibuat" if body.outcome == "created" else "tidak-dibuat"
    return RedirectResponse(f"/konsol/operasi/konfirmasi?selesai={done}", status_code=303)
