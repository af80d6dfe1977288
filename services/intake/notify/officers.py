"""Officers hear of the cases that reach their desk: a case disposed to their OPD (and its
copies, tembusan), a case referred to the Inspektorat (APIP), a case returned by an OPD to
Admin Instansi.

Queued by the ``notify`` consumer in the event's own delivery transaction, one message per
person (``dedup_key = "<event id>:<person>"``, so a redelivered event queues nothing twice),
on each person's preferred way (``shared/notify/officers.py``). Early warnings and breaches
are queued by the sla sweeper, the daily digest by sla's digest job.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.notify import repository as repo
from shared.cases.events import CaseEvent, DisposedPayload, OpdPayload, payload_of
from shared.config import Settings
from shared.models import Case, Category, Event, utcnow
from shared.notify.messages import (
    disposed_notice,
    officer_rows,
    referred_notice,
    returned_notice,
)
from shared.notify.officers import load_directory, unique

OFFICER_EVENTS = frozenset({CaseEvent.DISPOSED, CaseEvent.REFERRED_APIP, CaseEvent.RETURNED})


#: The ``officer_rows`` keys ``queue_message`` takes (status and times are its own).
_QUEUED = ("case_id", "event_id", "audience", "channel", "recipient", "template", "body",
           "dedup_key", "params")  # fmt: skip


async def _queue(session: AsyncSession, rows: list[dict]) -> int:
    queued = 0
    for row in rows:
        queued += await repo.queue_message(session, **{k: row[k] for k in _QUEUED})
    return queued


async def notify_officers(session: AsyncSession, event: Event, settings: Settings) -> int:
    """Queue the officers' messages for a disposal or a return; returns how many."""
    if event.type not in OFFICER_EVENTS or event.case_id is None:
        return 0
    case = await session.get(Case, event.case_id)
    if case is None:
        raise LookupError(f"case {event.case_id} does not exist")
    payload = payload_of(event)
    common = {
        "settings": settings,
        "case_id": case.id,
        "event_id": event.id,
        "tracking_id": case.tracking_id,
        "now": utcnow(),
    }
    if event.type == CaseEvent.DISPOSED and isinstance(payload, DisposedPayload):
        code = payload.opd or case.opd_code
        if not code:
            return 0
        directory = await load_directory(session, [code, *payload.copies])
        opd = directory.opds.get(code)
        category = await session.get(Category, payload.category or case.category_code or "")
        opd_name = payload.opd_name or (opd.name if opd else code)
        rows = officer_rows(
            directory.opd_officers(code, settings),
            template="officer_disposed",
            notice=disposed_notice(
                tracking_id=case.tracking_id,
                opd_name=opd_name,
                category=category.name if category else None,
            ),
            dedup_prefix=str(event.id),
            **common,
        )
        for copy in payload.copies:
            copy_opd = directory.opds.get(copy)
            rows += officer_rows(
                directory.opd_officers(copy, settings),
                template="officer_copy",
                notice=disposed_notice(
                    tracking_id=case.tracking_id,
                    opd_name=copy_opd.name if copy_opd else copy,
                    category=category.name if category else None,
                    copy=True,
                ),
                dedup_prefix=f"{event.id}:copy",
                **common,
            )
        return await _queue(session, rows)
    if event.type == CaseEvent.REFERRED_APIP and isinstance(payload, OpdPayload) and payload.opd:
        directory = await load_directory(session, [payload.opd])
        rows = officer_rows(
            directory.opd_officers(payload.opd, settings),
            template="officer_disposed",
            notice=referred_notice(tracking_id=case.tracking_id, opd_name=payload.opd_name),
            dedup_prefix=str(event.id),
            **common,
        )
        return await _queue(session, rows)
    code = (payload.opd or payload.previous_opd) if isinstance(payload, OpdPayload) else None
    directory = await load_directory(session, [code] if code else [])
    opd = directory.opds.get(code) if code else None
    rows = officer_rows(
        unique(directory.admin_instansi(settings)),
        template="officer_returned",
        notice=returned_notice(
            tracking_id=case.tracking_id,
            opd_name=(payload.opd_name if isinstance(payload, OpdPayload) else None)
            or (opd.name if opd else code),
            reason=event.reason,
        ),
        dedup_prefix=str(event.id),
        **common,
    )
    return await _queue(session, rows)
