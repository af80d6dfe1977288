"""Messages to reporters, in Bahasa Indonesia. Short enough for SMS where possible.

Templates never carry the reporter's identity (name, phone, NIK): an anonymous reporter is
still told what happens, on their own channel, and a forwarded message shows nobody else
who complained.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.cases.events import CaseEvent

#: Event type -> template name, for events addressed to the reporter.
TEMPLATE_FOR_EVENT: dict[str, str] = {
    CaseEvent.RECEIVED: "received",
    CaseEvent.VERIFIED: "verified",
    CaseEvent.DISPOSED: "disposed",
    CaseEvent.INFO_REQUESTED: "info_requested",
    CaseEvent.RESPONDED: "responded",
    CaseEvent.RESOLVED: "resolved",
    CaseEvent.ARCHIVED: "archived",
    CaseEvent.CLOSED: "closed",
    CaseEvent.FORWARDED_NATIONAL: "forwarded_national",
    "sla.breached": "sla_breached",
}

#: Longest free text (an admin's message, a response) quoted in one message.
MAX_QUOTED = 1200


@dataclass(frozen=True, slots=True)
class MessageContext:
    """What a template may use: never identity."""

    tracking_id: str
    status_url: str
    opd_name: str | None = None
    text: str | None = None  # the admin's request, the response, the reason
    #: The reporter's tokened rating link (``services.intake.web.rating.rating_url``).
    rating_url: str | None = None


def _quote(text: str | None) -> str:
    text = (text or "").strip()
    return text if len(text) <= MAX_QUOTED else text[: MAX_QUOTED - 1].rstrip() + "…"


def render(template: str, ctx: MessageContext) -> str:
    """The message body of ``template`` for ``ctx``. Raises KeyError for an unknown template."""
    tid = ctx.tracking_id
    check = f"Cek status: balas CEK {tid} atau buka {ctx.status_url}"
    if template == "received":
        return (
            f"Laporan Anda diterima dengan nomor {tid}. Admin akan memverifikasi dalam "
            f"3 hari kerja, lalu meneruskannya ke instansi yang berwenang. {check}"
        )
    if template == "verified":
        return (
            f"Laporan {tid} telah diverifikasi dan segera diteruskan ke instansi yang "
            f"berwenang. {check}"
        )
    if template == "disposed":
        opd = ctx.opd_name or "perangkat daerah yang berwenang"
        return f"Laporan {tid} telah diteruskan ke {opd} untuk ditindaklanjuti. {check}"
    if template == "info_requested":
        return (
            f"Laporan {tid} memerlukan data tambahan: {_quote(ctx.text)}\n"
            f"Silakan jawab dengan membalas pesan ini (sertakan #{tid}). Tanpa jawaban dalam "
            f"10 hari kerja, laporan akan diarsipkan."
        )
    if template == "responded":
        return f"Tanggapan atas laporan {tid}: {_quote(ctx.text)}\n{check}"
    if template == "resolved":
        return (
            f"Tanggapan akhir atas laporan {tid}: {_quote(ctx.text)}\n"
            f"Mohon nilai penanganannya: balas dengan angka 1-5 (5 = sangat puas)"
            + (f" atau buka {ctx.rating_url}" if ctx.rating_url else "")
            + "."
        )
    if template == "archived":
        reason = _quote(ctx.text) or "tidak disebutkan"
        return f"Laporan {tid} diarsipkan. Alasan: {reason}. {check}"
    if template == "closed":
        return f"Laporan {tid} telah ditutup. Terima kasih atas partisipasi Anda."
    if template == "forwarded_national":
        return (
            f"Laporan {tid} berada di luar kewenangan pemerintah daerah dan telah diteruskan "
            f"ke Admin Nasional SP4N-LAPOR!. {check}"
        )
    if template == "sla_breached":
        return (
            f"Mohon maaf, penanganan laporan {tid} mengalami keterlambatan. Pimpinan instansi "
            f"telah diberi tahu dan penanganannya sedang dipercepat. {check}"
        )
    raise KeyError(template)
