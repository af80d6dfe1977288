"""What the national side does on its own (``/_sim/`` actions): national admins forward a
case in or change a status, a reporter writes a follow-up or rates. Each is stored, visible
to polling, and (when callbacks are on) sent as a signed callback."""

from __future__ import annotations

from typing import Any

from services.sync.simulator import national
from services.sync.simulator.callbacks import (
    EVENT_FOLLOWUP_ADDED,
    EVENT_FORWARDED_IN,
    EVENT_RATED,
    EVENT_STATUS_CHANGED,
)
from services.sync.simulator.schemas import ForwardIn
from services.sync.simulator.service import Simulator
from services.sync.simulator.validation import SimHTTPError


async def forward_in(sim: Simulator, body: ForwardIn) -> int:
    if body.category_id not in national.CATEGORY_IDS:
        raise SimHTTPError(422, "category_id tidak dikenal")
    reporter = body.reporter
    if isinstance(reporter, str):
        reporter = {"name": reporter}
    async with sim.lock:
        complaint = sim.new_complaint(
            source="national",
            title=body.title,
            content=body.content,
            channel=1,
            classification_id=body.classification_id,
            disposition_id=sim.institution_id,
            category_id=body.category_id,
            info_disposition="Diteruskan oleh Admin Nasional",
            tags_raw=body.tags_raw,
            is_anonymous=int(body.is_anonymous),
            is_secret=int(body.is_secret),
            reporter=reporter,
            status_code=national.TERVERIFIKASI,
        )
        sim.log(
            complaint,
            source=dict(national.ADMIN_NASIONAL),
            target=sim.institution(sim.institution_id),
            template=national.LOG_FORWARDED_IN,
            status_old=None,
            status_new=national.TERVERIFIKASI,
            note="Diteruskan oleh Admin Nasional",
        )
        await sim.persist()
        event = sim.event(EVENT_FORWARDED_IN, complaint)
    sim.callbacks.emit(event)
    return complaint["id"]


async def set_status(sim: Simulator, complaint_id: int, status_code: int, note: str = "") -> dict:
    async with sim.lock:
        complaint = sim.get(complaint_id)
        old = complaint["status_code"]
        complaint["status_code"] = status_code
        sim.log(
            complaint,
            source=dict(national.ADMIN_NASIONAL),
            target=sim.institution(complaint["disposition_id"]),
            template=national.LOG_STATUS,
            status_old=old,
            status_new=status_code,
            note=note or "Status diubah oleh Admin Nasional",
        )
        complaint["updated_at"] = sim.now()
        await sim.persist()
        event = sim.event(EVENT_STATUS_CHANGED, complaint, status_old=old)
    sim.callbacks.emit(event)
    return {
        "complaint_id": complaint_id,
        "status_code": status_code,
        "status_name": national.status_name(status_code),
    }


async def reporter_followup(
    sim: Simulator,
    complaint_id: int,
    content: str,
    attachments: list[dict[str, Any]] | None = None,
    *,
    template_code: str | None = None,
) -> int:
    async with sim.lock:
        complaint = sim.get(complaint_id)
        now = sim.now()
        followup = {
            "id": sim.store.new_followup_id(),
            "complaint_id": complaint_id,
            "content": content,
            "from": "pelapor" if template_code is None else "sistem",
            "institution_from_id": None,
            "institution_to_id": complaint["disposition_id"],
            "template_code": template_code,
            "is_secret": 0,
            "attachments": list(attachments or []),
            "created_at": now,
        }
        complaint["followups"].append(followup)
        complaint["updated_at"] = now
        await sim.persist()
        event = sim.event(EVENT_FOLLOWUP_ADDED, complaint, followup)
    sim.callbacks.emit(event)
    return followup["id"]


async def rate(sim: Simulator, complaint_id: int, score: int, comment: str) -> None:
    async with sim.lock:
        complaint = sim.get(complaint_id)
        now = sim.now()
        complaint["rating"] = {"score": score, "comment": comment, "created_at": now}
        complaint["updated_at"] = now
        await sim.persist()
        event = sim.event(EVENT_RATED, complaint, rating={"score": score, "comment": comment})
    sim.callbacks.emit(event)
