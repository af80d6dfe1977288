"""National changes of one mirrored case, each turned into local events exactly once: its
status (by name) and its follow-ups (by the inferred author).

**Who wrote a follow-up** is inferred, as the API has no author field
(:data:`services.sync.lapor.answers.AUTHOR_RULES`): our own replies (their national ids
recorded by the mirror) and other instansi's are skipped; a reporter's becomes a reporter
message (``lapor.followup_received``); one the rules cannot attribute becomes an internal
note "dari LAPOR!" for staff (``lapor.followup_unattributed``) — never a reporter message,
never relayed to the reporter as ours. A follow-up's files are kept as references.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from services.sync.inbound import national
from services.sync.inbound import repository as inrepo
from services.sync.lapor import LaporComplaint, LaporFollowup
from services.sync.lapor.profile import normalise_name
from services.sync.mirror import repository as repo
from services.sync.mirror.metrics import INBOUND
from services.sync.mirror.support import LAPOR_ACTOR
from shared.events import emit
from shared.models import Attachment, Case, CaseMessage, utcnow
from shared.models.sync import LaporMirror

#: Who a follow-up nobody can attribute is shown as, to staff (internal note).
UNATTRIBUTED_AUTHOR = "dari LAPOR!"


def _same_status(mirror: LaporMirror, complaint: LaporComplaint) -> bool:
    """Has the national status stayed what we last recorded? By name (what integrators
    read) where both are known, else by code."""
    if mirror.national_status_name and complaint.status_name:
        return normalise_name(mirror.national_status_name) == normalise_name(complaint.status_name)
    return mirror.national_status_code == complaint.status_code


async def apply_status(s: Any, case_id: int, complaint: LaporComplaint) -> bool:
    mirror = await repo.get_mirror(s, case_id)
    where = {"national_disposition_id": complaint.disposition_id}
    if mirror.national_disposition_id != complaint.disposition_id:
        await repo.update_mirror(s, case_id, **where)
    if _same_status(mirror, complaint):
        if complaint.status_name and mirror.national_status_name != complaint.status_name:
            await repo.update_mirror(s, case_id, national_status_name=complaint.status_name)
        return False
    old, new = mirror.national_status_code, complaint.status_code
    ours = new is not None and new in await repo.in_flight_status_codes(s, case_id)
    guard = (
        LaporMirror.national_status_code.is_(None)
        if old is None
        else LaporMirror.national_status_code == old
    )
    name_guard = (
        LaporMirror.national_status_name.is_(None)
        if mirror.national_status_name is None
        else LaporMirror.national_status_name == mirror.national_status_name
    )
    result = await s.execute(
        update(LaporMirror)
        .where(LaporMirror.case_id == case_id, guard, name_guard)
        .values(
            national_status_code=new,
            national_status_name=complaint.status_name,
            updated_at=utcnow(),
        )
    )
    if not result.rowcount:
        return False  # someone else recorded it first
    await s.execute(update(Case).where(Case.id == case_id).values(lapor_status_code=new))
    if ours:
        return False  # our own push, answer lost: not a national change
    event = await emit(
        s,
        "lapor.status_changed",
        LAPOR_ACTOR,
        case_id=case_id,
        reason=complaint.status_reason,
        data={
            "lapor_complaint_id": complaint.complaint_id,
            "from_code": old,
            "to_code": new,
            "from_name": mirror.national_status_name,
            "status_name": complaint.status_name,
            "national_status": complaint.simpul_status,
            "note": complaint.status_reason,
        },
    )
    await national.notify_status(
        s,
        case_id=case_id,
        event_id=event.id,
        national_status=complaint.simpul_status,
        status_name=complaint.status_name,
    )
    INBOUND.labels("status_changed").inc()
    return True


async def apply_followups(
    s: Any, case_id: int, complaint_id: int, followups: list[LaporFollowup]
) -> bool:
    changed = False
    ours = await repo.claimed_followup_ids(s, case_id)
    for followup in followups:
        if followup.author == "instansi" or followup.followup_id in ours:
            continue  # ours (or another instansi's): not a reporter message
        seen = await inrepo.remember_followup(
            s,
            followup_id=followup.followup_id,
            case_id=case_id,
            complaint_id=complaint_id,
            author=followup.author,
        )
        if seen is None:
            continue
        by_reporter = followup.author == "reporter"  # else: staff see it, nobody relays it
        message = CaseMessage(
            case_id=case_id,
            kind="reporter" if by_reporter else "internal_note",
            body=followup.content,
            channel="lapor",
            author_type="reporter" if by_reporter else "lapor",
            author_id=f"lapor:{complaint_id}",
            author_name=None if by_reporter else UNATTRIBUTED_AUTHOR,
            created_at=followup.created_at or utcnow(),
        )
        s.add(message)
        await s.flush()
        seen.message_id = message.id
        for file in followup.attachments:  # references, never fetched
            s.add(
                Attachment(
                    case_id=case_id,
                    message_id=message.id,
                    filename=file.file_name[:200],
                    url=file.path,
                )
            )
        event = "lapor.followup_received" if by_reporter else "lapor.followup_unattributed"
        await emit(
            s,
            event,
            LAPOR_ACTOR,
            case_id=case_id,
            data={
                "lapor_complaint_id": complaint_id,
                "lapor_followup_id": followup.followup_id,
                "message_id": message.id,
                "attachments": len(followup.attachments),
            },
        )
        INBOUND.labels("followup" if by_reporter else "followup_unattributed").inc()
        changed = True
    return changed
