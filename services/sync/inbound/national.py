"""What a national change does to the local case, as rules (tables), not scattered ifs.

**Statuses.** A national status change never moves the local case (Simpul is the
system of record for the pemda's handling; Permen 62/2018: a case ends only resolved,
forwarded or archived *with a reason*, by the pemda). Every change is on the case's
timeline as ``lapor.status_changed``. The national statuses in
:data:`STATUS_NOTICES` also tell Admin Instansi, once per change (a staff message on the
``log`` channel, like the SLA escalations), because they ask for a local decision:

* **"Diarsipkan"** (and "Dihapus karena tidak lengkap"): the national side stopped
  handling the case. The local case stays as it is — still on its clocks, still in the
  queues — and is shown as nationally archived (``national_archived`` in its mirror
  state). Admin Instansi decides: archive it locally with a reason, or go on handling it
  (the next push re-opens it nationally, or is refused and shows as a dead letter).

**Ratings.** A reporter may rate in Simpul (the web link or an SMS/chat digit) and on
LAPOR!. Both are kept on the timeline (``case.rated``, ``data.source``), and the LAPOR!
one also on the mirror (``national_rating``). Reports use ``cases.rating``, which holds
**the reporter's Simpul rating whenever there is one**; a LAPOR! rating fills it only
while the case has no Simpul rating (``cases.rating_source = 'lapor'``), and a later
Simpul rating replaces it. Why: the Simpul rating is given to the pemda for its own
handling, with a link or number only the reporter holds; a LAPOR! rating may rate the
national handling too. A case forwarded in from LAPOR! (whose reporter cannot rate in
Simpul) is still counted, by its LAPOR! rating.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from services.sync.inbound import repository as inrepo
from services.sync.mirror.metrics import INBOUND
from services.sync.mirror.support import LAPOR_ACTOR
from shared.cases.events import CaseEvent
from shared.events import emit
from shared.models import Case, utcnow
from shared.models.sync import LaporMirror

#: Where staff notices go until an e-mail or SMS adapter is configured (as escalations).
NOTICE_CHANNEL = "log"
ADMIN_INSTANSI_RECIPIENT = "admin_instansi"
RATING_SOURCE_LAPOR = "lapor"


@dataclass(frozen=True)
class Notice:
    template: str
    #: Bahasa Indonesia; ``{tracking_id}`` and ``{status_name}`` are filled in. No
    #: personal data: the reporter is never named in a staff notice.
    body: str


#: National status (as Simpul reads it) -> the notice Admin Instansi gets.
STATUS_NOTICES: dict[str, Notice] = {
    "archived": Notice(
        template="lapor_archived",
        body=(
            'Pengaduan {tracking_id} berstatus "{status_name}" di SP4N-LAPOR!. '
            "Kasus di Simpul tidak berubah: mohon tinjau, lalu arsipkan dengan alasan "
            "atau lanjutkan penanganannya."
        ),
    ),
}


def is_archived_nationally(national_status: str | None) -> bool:
    return national_status == "archived"


async def notify_status(
    session: Any,
    *,
    case_id: int,
    event_id: int,
    national_status: str | None,
    status_name: str | None,
) -> bool:
    """Queue the notice a national status asks for (once per change event)."""
    notice = STATUS_NOTICES.get(national_status or "")
    if notice is None:
        return False
    tracking_id = await session.scalar(select(Case.tracking_id).where(Case.id == case_id))
    queued = await inrepo.queue_staff_notice(
        session,
        case_id=case_id,
        event_id=event_id,
        channel=NOTICE_CHANNEL,
        recipient=ADMIN_INSTANSI_RECIPIENT,
        template=notice.template,
        body=notice.body.format(
            tracking_id=tracking_id, status_name=status_name or national_status
        ),
    )
    if queued:
        INBOUND.labels(f"notice_{notice.template}").inc()
    return queued


async def apply_rating(
    session: Any, *, case_id: int, complaint_id: int, score: int, comment: str | None
) -> bool:
    """Record a (new) LAPOR! rating: on the mirror, on the timeline, and in
    ``cases.rating`` only while the case has no Simpul rating (module docstring)."""
    case = await session.get(Case, case_id, populate_existing=True)
    counted = case is not None and not case.rated_in_simpul
    await session.execute(
        update(LaporMirror)
        .where(LaporMirror.case_id == case_id)
        .values(national_rating=score, national_rating_comment=comment, updated_at=utcnow())
    )
    if counted:
        # A plain UPDATE (not the ORM): no bump of the case's optimistic-lock version.
        await session.execute(
            update(Case)
            .where(Case.id == case_id)
            .values(rating=score, rating_comment=comment, rating_source=RATING_SOURCE_LAPOR)
        )
    await emit(
        session,
        CaseEvent.RATED,
        LAPOR_ACTOR,
        case_id=case_id,
        data={
            "rating": score,
            "has_comment": comment is not None,
            "source": RATING_SOURCE_LAPOR,
            "lapor_complaint_id": complaint_id,
            "counted_in_reports": counted,
        },
    )
    INBOUND.labels("rating").inc()
    return True
