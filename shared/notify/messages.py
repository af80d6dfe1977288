"""What officers read: Bahasa Indonesia notices, each with the link to the case's console
page, worded per channel, and the ``outbound_messages`` rows that carry them.

Privacy: a notice names the case by its tracking ID, its OPD, its category and its clock —
never the reporter, nor the complaint's free text (which can name the reporter: an
anonymous reporter's identity must never reach an OPD). The officer opens the console
page, where ``shared/cases/access.py`` decides what they may see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from shared import sms
from shared.config import Settings
from shared.notify.officers import EMAIL_CHANNEL, Officer, Way

#: Channels whose messages are SMS (one GSM-7 segment where they can).
SMS_CHANNELS = frozenset({"sms", "sms_gateway", "twilio"})
_CLOCK_LABEL = {"verification": "verifikasi", "resolution": "tindak lanjut"}


def case_link(settings: Settings, tracking_id: str) -> str:
    """The case's page in the staff console."""
    path = settings.console_case_path.format(tracking_id=tracking_id)
    return f"{settings.public_base_url.rstrip('/')}{path}"


def body_for(way: Way, *, tracking_id: str | None, notice: str, link: str, pemda: str) -> str:
    """``notice`` as ``way`` carries it: an e-mail with a greeting and a signature, an SMS
    with the tracking ID first, a chat message with the link on its own line."""
    if way.channel == EMAIL_CHANNEL:
        return (
            f"Yth. Bapak/Ibu,\n\n{notice}\n\nBuka kasus di konsol Simpul:\n{link}\n\n"
            f"Pesan ini dikirim otomatis oleh Simpul, {pemda}. Mohon tidak membalas e-mail ini."
        )
    if way.channel in SMS_CHANNELS and tracking_id:
        return sms.fit(tracking_id, f"{notice} {link}")
    return f"{notice}\n{link}"


def deadline_text(deadline_local: dt.datetime) -> str:
    return deadline_local.strftime("%d-%m-%Y %H:%M")


def escalation_notice(
    *,
    breached: bool,
    tracking_id: str,
    clock_kind: str,
    deadline_local: dt.datetime,
    opd_name: str | None,
) -> str:
    """An early warning or a breach: the tracking ID, which clock, and when."""
    what = _CLOCK_LABEL.get(clock_kind, clock_kind)
    when = deadline_text(deadline_local)
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


def disposed_notice(
    *, tracking_id: str, opd_name: str, category: str | None, copy: bool = False
) -> str:
    what = f" (kategori: {category})" if category else ""
    if copy:
        return (
            f"Tembusan: pengaduan {tracking_id}{what} didisposisikan ke OPD lain; "
            f"{opd_name} menerima tembusan untuk koordinasi."
        )
    return (
        f"Pengaduan baru {tracking_id}{what} didisposisikan ke {opd_name}. "
        "Mohon diperiksa dan ditindaklanjuti sesuai batas waktu."
    )


def referred_notice(*, tracking_id: str, opd_name: str | None) -> str:
    to = opd_name or "Inspektorat"
    return (
        f"Pengaduan {tracking_id} diteruskan ke {to} (APIP) karena diduga menyangkut "
        "penyalahgunaan wewenang. Mohon diperiksa dan ditindaklanjuti."
    )


def returned_notice(*, tracking_id: str, opd_name: str | None, reason: str | None) -> str:
    by = f" oleh {opd_name}" if opd_name else ""
    why = f" Alasan: {' '.join(reason.split())[:300]}" if reason else ""
    return (
        f"Pengaduan {tracking_id} dikembalikan{by} kepada Admin Instansi.{why} "
        "Mohon diverifikasi dan didisposisikan kembali."
    )


def subject_for(template: str, tracking_id: str | None, pemda: str) -> str:
    """E-mail subjects without ``#<id>``: an officer's reply must not read as a reporter's."""
    what = {
        "officer_disposed": "Pengaduan baru",
        "officer_copy": "Tembusan pengaduan",
        "officer_returned": "Pengaduan dikembalikan",
        "sla_warning": "Peringatan dini batas waktu",
        "sla_breached": "Batas waktu terlewati",
        "officer_digest": "Ringkasan jatuh tempo",
    }
    label = next((v for k, v in what.items() if template.startswith(k)), "Pemberitahuan")
    return f"{label} {tracking_id} — Simpul {pemda}" if tracking_id else f"{label} — Simpul {pemda}"


def officer_rows(
    people: Iterable[Officer],
    *,
    settings: Settings,
    case_id: int | None,
    event_id: int | None,
    tracking_id: str | None,
    template: str,
    notice: str,
    dedup_prefix: str,
    now: dt.datetime,
    link: str | None = None,
    role_suffix: bool = False,
) -> list[dict[str, Any]]:
    """One ``outbound_messages`` row per person, on their first way; the others ride in
    ``params`` for the sender's fallback. ``dedup_key`` = ``<prefix>:<person>``: a repeated
    event queues nothing twice."""
    link = link or (case_link(settings, tracking_id) if tracking_id else settings.public_base_url)
    rows = []
    for person in people:
        way = person.first
        name = f"{template}_{person.role}" if role_suffix else template
        rows.append(
            {
                "case_id": case_id,
                "event_id": event_id,
                "audience": person.audience,
                "channel": way.channel,
                "recipient": way.address,
                "template": name,
                "body": body_for(
                    way,
                    tracking_id=tracking_id,
                    notice=notice,
                    link=link,
                    pemda=settings.pemda_name,
                ),  # fmt: skip
                "dedup_key": f"{dedup_prefix}:{person.key}"[:200],
                "params": {
                    "officer": {"notice": notice, "link": link},
                    "subject": subject_for(name, tracking_id, settings.pemda_name),
                    # The WhatsApp ``officer`` template: {{1}} the ID, {{2}} the notice.
                    "context": {"tracking_id": tracking_id or "", "text": f"{notice} {link}"},
                    "fallbacks": person.fallbacks,
                },
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    return rows
