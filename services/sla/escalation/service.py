"""Who hears of an early warning or a breach, and the messages queued for them.

Permen 62/2018 (as in Perbup Tanah Laut 11/2020): when the early warning passes with no final
answer, the responsible people are reminded and escalated to. Here:

* ``sla.warning``: the OPD's officers (pejabat penghubung, Admin UPP) and Admin Instansi;
* ``sla.breached``: the same, plus the OPD's penanggung jawab.

Who they are and how each is reached (their account's preferred channel, then e-mail, then
the ``log`` line the operator sees; an OPD's written contacts where it has no account) is
``shared/notify/officers.py``; the words, with the link to the case's console page, are
``shared/notify/messages.py``. Each message is an ``OutboundMessage`` with
``dedup_key = "<event id>:<person>"``, queued in the sweeper's transaction with
``INSERT ... ON CONFLICT DO NOTHING`` (the rows intake notify's ``queue_message`` writes, but
a whole batch per statement): exactly one message per person per event. Messages never carry
the reporter's identity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import Settings
from shared.models import utcnow
from shared.notify.messages import escalation_notice, officer_rows
from shared.notify.officers import Directory, Officer, load_directory, unique

from . import repository

#: Kept for callers that named the Admin Instansi desk (no Admin Instansi account yet).
ADMIN_INSTANSI_RECIPIENT = "admin_instansi"


def recipients(
    directory: Directory, opd_code: str | None, settings: Settings, *, breached: bool
) -> list[Officer]:
    """The people to tell, each once (one person may hold two roles)."""
    people = list(directory.admin_instansi(settings))
    if opd_code:
        people += directory.opd_officers(opd_code, settings)
        if breached:
            people += directory.penanggung_jawab(opd_code, settings)
    return unique(people)


@dataclass(frozen=True, slots=True)
class Escalation:
    """One warning or breach to escalate: the event it follows and what the message says."""

    event_id: int
    case_id: int
    breached: bool
    tracking_id: str
    clock_kind: str
    deadline_local: dt.datetime
    opd_code: str | None


def escalation_rows(
    escalation: Escalation, directory: Directory, settings: Settings, now: dt.datetime
) -> list[dict[str, Any]]:
    """The ``outbound_messages`` rows for one escalation, one per recipient."""
    e = escalation
    opd = directory.opds.get(e.opd_code) if e.opd_code else None
    notice = escalation_notice(
        breached=e.breached,
        tracking_id=e.tracking_id,
        clock_kind=e.clock_kind,
        deadline_local=e.deadline_local,
        opd_name=opd.name if opd else None,
    )
    return officer_rows(
        recipients(directory, e.opd_code, settings, breached=e.breached),
        settings=settings,
        case_id=e.case_id,
        event_id=e.event_id,
        tracking_id=e.tracking_id,
        template="sla_breached" if e.breached else "sla_warning",
        notice=notice,
        dedup_prefix=str(e.event_id),
        now=now,
        role_suffix=True,
    )


async def queue_escalations(
    session: AsyncSession, escalations: Sequence[Escalation], settings: Settings
) -> int:
    """Queue the messages of many escalations in one statement (a sweep's batch), not one
    per message; a repeated event adds nothing. Returns how many were queued."""
    if not escalations:
        return 0
    now = utcnow()
    directory = await load_directory(session, {e.opd_code for e in escalations if e.opd_code})
    return await repository.insert_messages(
        session,
        [row for e in escalations for row in escalation_rows(e, directory, settings, now)],
    )


async def queue_escalation(session: AsyncSession, settings: Settings, **fields: Any) -> int:
    """Queue one message per recipient; a second call for the same event adds nothing."""
    return await queue_escalations(session, [Escalation(**fields)], settings)
