""" "Perlu konfirmasi": an uncertain national create that no trusted search can settle.

Create is not idempotent on SP4N-LAPOR!: after a timeout, a dropped connection or a 5xx
the case may or may not exist nationally. Where the tag search is not trusted
(``SIMPUL_LAPOR_SEARCH=false``, the default) Simpul never sends again on a guess; the
case's mirror waits in ``to_confirm`` and an operator looks the case up on the national
site — by its title, the tracking tag in ``tags_raw`` (and the first line of its content)
and the time it was sent — then confirms one of:

- **created as national id N**: Simpul links N (refused with 409 when N is already linked
  to another case, or carries another case's tag), re-reads it, and sends what waited;
- **not created**: Simpul sends the create again (once; a new uncertainty asks again).

These functions take a session and return plain dicts, so the admin API
(``/admin/sync/…``), the board and the staff console share them. They only flush.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from services.sync.confirmation import repository as confirm_repo
from services.sync.lapor import LaporClient, LaporError, LaporNotFound, mapping
from services.sync.mirror import repository as repo
from services.sync.mirror.planning import case_for_lapor
from shared.auth import Actor
from shared.errors import Conflict, ServiceUnavailable, Unprocessable
from shared.events import emit
from shared.models import Case, Reporter, utcnow

CONFIRMED_EVENT = "lapor.create_confirmed"
#: What an operator reads on the board and the console (Bahasa Indonesia).
LOOKUP_HINT = (
    "Cari di situs SP4N-LAPOR! laporan berjudul “{title}” dengan tag {tag} "
    "(juga di baris pertama isi laporan), dikirim sekitar {sent_at} WIB. "
    "Bila ada: konfirmasi “dibuat sebagai nomor N”. Bila tidak ada: konfirmasi "
    "“tidak dibuat, kirim ulang”."
)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def lookup(case: Case, reporter: Any, op: Any, profile: Any = None) -> dict[str, Any]:
    """What to look up on the national site for one case: the title as sent (scrubbed),
    the tag, the time of the last attempt, and a sentence saying what to do."""
    from services.sync.lapor.profile import DEFAULT_PROFILE

    payload = mapping.build_create_payload(
        case_for_lapor(case, reporter, []), profile or DEFAULT_PROFILE
    )
    sent_at = op.updated_at if op is not None else case.created_at
    wib = mapping.format_lapor_date(sent_at) if sent_at is not None else "?"
    return {
        "title": payload["title"],
        "tag": payload["tags_raw"],
        "sent_at": _iso(sent_at),
        "sent_at_wib": wib,
        "attempts": op.attempts if op is not None else 0,
        "hint": LOOKUP_HINT.format(title=payload["title"], tag=payload["tags_raw"], sent_at=wib),
    }


async def unconfirmed(session: Any, limit: int = 200) -> list[dict[str, Any]]:
    """Every case waiting for confirmation, oldest first, with what to look up."""
    items = []
    for mirror, case, op in await confirm_repo.unconfirmed_mirrors(session, limit):
        reporter = await session.get(Reporter, case.id)
        items.append(
            {
                "tracking_id": case.tracking_id,
                "since": _iso(mirror.updated_at),
                "reason": mirror.held_reason,
                **lookup(case, reporter, op),
            }
        )
    return items


async def _waiting(session: Any, case: Case) -> Any:
    mirror = await repo.get_mirror(session, case.id)
    if mirror is None or mirror.state != "to_confirm":
        raise Conflict(
            f"case {case.tracking_id} is not waiting for confirmation",
            code="not_awaiting_confirmation",
        )
    return mirror


async def confirm_created(
    session: Any, client: LaporClient | None, case: Case, complaint_id: int, actor: Actor
) -> dict[str, Any]:
    """ "Created as national id N": link it, re-read it, send what waited.

    409 when N is linked to another case or carries another case's tag; 422 when LAPOR!
    does not know N; 503 when LAPOR! cannot be asked (the link is checked before it is
    made: a mistyped number must not tie this case to a stranger's).
    """
    await _waiting(session, case)
    other = await repo.mirror_by_complaint(session, complaint_id)
    if other is not None and other.case_id != case.id:
        raise Conflict(
            f"national id {complaint_id} is already linked to another case",
            code="national_id_linked",
        )
    status_code = None
    if client is not None:
        try:
            national = await client.get_complaint(complaint_id)
        except LaporNotFound:
            raise Unprocessable(
                f"SP4N-LAPOR! has no case {complaint_id}", code="national_id_unknown"
            ) from None
        except LaporError as exc:
            raise ServiceUnavailable(
                f"SP4N-LAPOR! could not be asked about {complaint_id}: {exc}",
                code="lapor_unavailable",
            ) from exc
        if national.tracking_id and national.tracking_id != case.tracking_id.upper():
            raise Conflict(
                f"national case {complaint_id} carries another tracking ID", code="other_case"
            )
        status_code = national.status_code
    await repo.update_mirror(session, case.id, state="pending", held_reason=None)
    try:
        async with session.begin_nested():
            await repo.record_national_id(session, case.id, complaint_id, status_code)
            await session.flush()
    except IntegrityError:
        raise Conflict(
            f"national id {complaint_id} is already linked to another case",
            code="national_id_linked",
        ) from None
    await confirm_repo.settle_create_ops(
        session, case.id, status="done", lapor_complaint_id=complaint_id, last_error=None
    )
    await repo.make_sync_deliveries_due(session, case.id)
    await emit(
        session,
        CONFIRMED_EVENT,
        actor,
        case_id=case.id,
        reason=f"dibuat sebagai nomor {complaint_id}",
        data={"outcome": "created", "lapor_complaint_id": complaint_id},
    )
    return {
        "tracking_id": case.tracking_id,
        "outcome": "created",
        "lapor_complaint_id": complaint_id,
    }


async def confirm_not_created(session: Any, case: Case, actor: Actor) -> dict[str, Any]:
    """ "Not created, send again": the create goes out once more, without looking."""
    await _waiting(session, case)
    await confirm_repo.settle_create_ops(session, case.id, status="resend")
    await repo.update_mirror(session, case.id, state="pending", held_reason=None)
    await repo.make_sync_deliveries_due(session, case.id)
    await emit(
        session,
        CONFIRMED_EVENT,
        actor,
        case_id=case.id,
        reason="tidak dibuat, kirim ulang",
        data={"outcome": "not_created", "at": utcnow().isoformat()},
    )
    return {"tracking_id": case.tracking_id, "outcome": "not_created"}


async def settle(
    session: Any, client: LaporClient | None, case: Case, outcome: str,
    complaint_id: int | None, actor: Actor,
) -> dict[str, Any]:  # fmt: skip
    """An operator's answer (``ConfirmIn``: ``created`` with the national id, or
    ``not_created``), as the API and the console take it."""
    if outcome == "not_created":
        return await confirm_not_created(session, case, actor)
    assert complaint_id is not None  # ConfirmIn requires it with "created"
    return await confirm_created(session, client, case, complaint_id, actor)
