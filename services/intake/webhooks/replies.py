"""Replies to a reporter's channel message, in Bahasa Indonesia (short enough for one SMS).

The acknowledgement of a *new* case uses the notify service's ``received`` template, so
it reads the same whether it leaves inline (Twilio TwiML) or through the outbox; statuses
use the public API's labels, so SMS and the tracking page say the same words.
"""

from __future__ import annotations

from services.intake.notify.templates import MessageContext, render
from shared.cases.labels import status_label
from shared.config import Settings


def status_url(settings: Settings, tracking_id: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/lacak/{tracking_id}"


def new_case(settings: Settings, tracking_id: str) -> str:
    return render("received", MessageContext(tracking_id, status_url(settings, tracking_id)))


def not_your_case(named_id: str) -> str:
    return (
        f"Nomor {named_id} tidak terdaftar atas nama pengirim ini, jadi pesan Anda "
        "kami catat sebagai laporan baru."
    )


def joined(tracking_id: str) -> str:
    return f"Pesan Anda telah ditambahkan ke laporan {tracking_id}. Terima kasih."


def info_provided(tracking_id: str) -> str:
    return (
        f"Terima kasih, data tambahan untuk laporan {tracking_id} sudah kami terima dan "
        "akan diverifikasi kembali."
    )


def status_answer(settings: Settings, tracking_id: str, status: str) -> str:
    return (
        f"Status laporan {tracking_id}: {status_label(status)}. "
        f"Rincian: {status_url(settings, tracking_id)}"
    )


def unknown_tracking_id(text: str) -> str:
    return f"Nomor laporan {text} tidak ditemukan. Periksa kembali nomornya (8 huruf/angka)."


def rated(tracking_id: str, rating: int) -> str:
    return f"Terima kasih atas penilaian Anda ({rating}/5) untuk laporan {tracking_id}."


def duplicate(tracking_id: str | None) -> str | None:
    if tracking_id is None:
        return None
    return f"Pesan ini sudah kami terima (laporan {tracking_id})."
