"""Who hears of an early warning or a breach, and the messages queued for them.

Permen 62/2018 (as in Perbup Tanah Laut 11/2020): when the early warning passes with no final
answer, the responsible people are reminded and escalated to. Here:

* ``sla.warning``: the OPD's pejabat penghubung (``Opd.contact``) and Admin Instansi;
* ``sla.breached``: the same, plus the OPD's penanggung jawab (``Opd.penanggung_jawab``).

Each is an ``OutboundMessage`` (audience ``opd`` or ``staff``, channel ``log`` until an
email or SMS adapter is configured) with ``dedup_key = "<event id>:<recipient>"``, queued
in the sweeper's transaction with ``INSERT ... ON CONFLICT DO NOTHING`` (the rows intake
notify's ``queue_message`` writes, but a whole batch per statement): exactly one message per
person per event. An OPD without a contact on file is addressed by
a role name (``opd:<CODE>:...``) so the message is still on record. Messages never carry
the reporter's identity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.models import Opd, utcnow

from . import repository

#: Where staff messages go until an adapter is configured (the sender logs them).
ESCALATION_CHANNEL = "log"
#: The Admin Instansi desk, as a recipient.
ADMIN_INSTANSI_RECIPIENT = "admin_instansi"

_KIND_LABEL = {"verification": "verifikasi", "resolution": "tindak lanjut"}


@dataclass(frozen=True, slots=True)
class Recipient:
    audience: str  # opd | staff
    address: str
    role: str  # pejabat_penghubung | penanggung_jawab | admin_instansi


def recipients(opd: Opd | None, opd_code: str | None, *, breached: bool) -> list[Recipient]:
    """The people to tell, without duplicates (one person may hold two roles)."""
    people = [Recipient("staff", ADMIN_INSTANSI_RECIPIENT, "admin_instansi")]
    if opd_code:
        contact = (opd.contact if opd else None) or f"opd:{opd_code}:pejabat_penghubung"
        people.append(Recipient("opd", contact, "pejabat_penghubung"))
        if breached:
            chief = (opd.penanggung_jawab if opd else None) or f"opd:{opd_code}:penanggung_jawab"
            people.append(Recipient("opd", chief, "penanggung_jawab"))
    seen: set[str] = set()
    unique = []
    for person in people:
        if person.address not in seen:
            seen.add(person.address)
            unique.append(person)
    return unique


def message_body(
    *,
    breached: bool,
    tracking_id: str,
    clock_kind: str,
    deadline_local: dt.datetime,
    opd_name: str | None,
) -> str:
    """Bahasa Indonesia, no personal data: the tracking ID, which clock, and when."""
    what = _KIND_LABEL.get(clock_kind, clock_kind)
    when = deadline_local.strftime("%d-%m-%Y %H:%M")
    owner = f" ({opd_name})" if opd_name else ""
    if breached:
        return (
            f"Pengaduan {tracking_id}{owner} melewati batas waktu {what} ({when}). "
            "Mohon segera ditindaklanjuti dan laporkan kendalanya."
        )
    return (
        f"Peringatan dini: batas waktu {what} pengaduan {tracking_id}{owner} jatuh pada {when}. "
        "Mohon diselesaikan sebelum batas waktu."
    )


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
    opd: Opd | None


def escalation_rows(escalation: Escalation, now: dt.datetime) -> list[dict[str, Any]]:
    """The ``outbound_messages`` rows for one escalation, one per recipient."""
    e = escalation
    template = "sla_breached" if e.breached else "sla_warning"
    body = message_body(
        breached=e.breached,
        tracking_id=e.tracking_id,
        clock_kind=e.clock_kind,
        deadline_local=e.deadline_local,
        opd_name=e.opd.name if e.opd else None,
    )
    return [
        {
            "case_id": e.case_id,
            "event_id": e.event_id,
            "audience": person.audience,
            "channel": ESCALATION_CHANNEL,
            "recipient": person.address,
            "template": f"{template}_{person.role}",
            "body": body,
            "dedup_key": f"{e.event_id}:{person.address}",
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for person in recipients(e.opd, e.opd_code, breached=e.breached)
    ]


async def queue_escalations(session: AsyncSession, escalations: Sequence[Escalation]) -> int:
    """Queue the messages of many escalations in one statement (a sweep's batch), not one
    per message; a repeated event adds nothing. Returns how many were queued."""
    now = utcnow()
    return await repository.insert_messages(
        session, [row for e in escalations for row in escalation_rows(e, now)]
    )


async def queue_escalation(
    session: AsyncSession,
    *,
    event_id: int,
    case_id: int,
    breached: bool,
    tracking_id: str,
    clock_kind: str,
    deadline_local: dt.datetime,
    opd_code: str | None,
    opd: Opd | None,
) -> int:
    """Queue one message per recipient; a second call for the same event adds nothing."""
    escalation = Escalation(
        event_id=event_id,
        case_id=case_id,
        breached=breached,
        tracking_id=tracking_id,
        clock_kind=clock_kind,
        deadline_local=deadline_local,
        opd_code=opd_code,
        opd=opd,
    )
    return await queue_escalations(session, [escalation])
