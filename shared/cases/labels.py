"""The words of a case in Bahasa Indonesia — one home for every status and event label.

Citizens (tracking page, CEK replies, apps), staff (the ops board, the console) and
reports read the same wording from here: a status's short label, its one-sentence note
for the public (Open311), and what a reporter reads on SP4N-LAPOR! when it moves. The public timeline is derived from the
lifecycle table: every transition's event except the internal hand-offs
(``Transition.internal``), so a new transition shows up, or stays internal, by its row.
"""

from __future__ import annotations

from shared.cases.events import CaseEvent
from shared.lifecycle import TRANSITIONS, Status

STATUS_LABELS: dict[str, str] = {
    Status.RECEIVED: "Diterima, menunggu verifikasi",
    Status.AWAITING_INFO: "Menunggu kelengkapan data dari pelapor",
    Status.VERIFIED: "Terverifikasi",
    Status.DISPOSED: "Diteruskan ke perangkat daerah",
    Status.IN_PROGRESS: "Sedang ditindaklanjuti",
    Status.RETURNED: "Dalam verifikasi ulang",
    Status.REFERRED_APIP: "Ditangani Inspektorat",
    Status.RESOLVED: "Selesai ditindaklanjuti",
    Status.CLOSED: "Ditutup",
    Status.ARCHIVED: "Diarsipkan",
    Status.FORWARDED_NATIONAL: "Diteruskan ke Admin Nasional SP4N-LAPOR!",
}

#: What each status means, in a sentence, for the public (Open311 ``status_notes`` and updates).
STATUS_NOTES: dict[str, str] = {
    Status.RECEIVED: "Laporan diterima dan menunggu verifikasi.",
    Status.AWAITING_INFO: "Menunggu kelengkapan data dari pelapor.",
    Status.VERIFIED: "Laporan telah diverifikasi.",
    Status.DISPOSED: "Laporan diteruskan ke perangkat daerah yang berwenang.",
    Status.IN_PROGRESS: "Laporan sedang ditindaklanjuti.",
    Status.RETURNED: "Laporan dikembalikan ke Admin Instansi untuk diteruskan kembali.",
    Status.REFERRED_APIP: "Laporan diteruskan ke Inspektorat (APIP).",
    Status.RESOLVED: "Laporan telah diselesaikan.",
    Status.CLOSED: "Laporan ditutup.",
    Status.ARCHIVED: "Laporan diarsipkan.",
    Status.FORWARDED_NATIONAL: "Laporan diteruskan ke Admin Nasional SP4N-LAPOR!.",
}
#: What the reporter reads on LAPOR! when only the status moves (Bahasa Indonesia).
LAPOR_STATUS_TEXTS: dict[str, str] = {
    Status.RECEIVED: "Data tambahan telah diterima; laporan Anda diperiksa kembali.",
    Status.AWAITING_INFO: "Laporan Anda memerlukan data tambahan.",
    Status.VERIFIED: "Laporan Anda telah diverifikasi oleh Admin Instansi.",
    Status.DISPOSED: "Laporan Anda telah diteruskan kepada perangkat daerah yang berwenang.",
    Status.RETURNED: "Laporan Anda sedang ditinjau kembali oleh Admin Instansi.",
    Status.IN_PROGRESS: "Laporan Anda sedang ditindaklanjuti.",
    Status.RESOLVED: "Laporan Anda telah selesai ditindaklanjuti.",
    Status.CLOSED: "Laporan Anda telah ditutup.",
    Status.ARCHIVED: "Laporan Anda diarsipkan.",
    Status.REFERRED_APIP: (
        "Laporan Anda ditangani oleh Aparat Pengawasan Intern Pemerintah (Inspektorat)."
    ),
}

EVENT_LABELS: dict[str, str] = {
    CaseEvent.RECEIVED: "Laporan diterima",
    CaseEvent.VERIFIED: "Laporan diverifikasi",
    CaseEvent.INFO_REQUESTED: "Admin meminta kelengkapan data",
    CaseEvent.INFO_PROVIDED: "Pelapor melengkapi data",
    CaseEvent.DISPOSED: "Diteruskan ke perangkat daerah",
    CaseEvent.RETURNED: "Dikembalikan untuk diteruskan ulang",
    CaseEvent.RESPONDED: "Tanggapan diberikan",
    CaseEvent.RESOLVED: "Tanggapan akhir diberikan",
    CaseEvent.REOPENED: "Laporan dibuka kembali",
    CaseEvent.CLOSED: "Laporan ditutup",
    CaseEvent.ARCHIVED: "Laporan diarsipkan",
    CaseEvent.FORWARDED_NATIONAL: "Diteruskan ke Admin Nasional",
    CaseEvent.REFERRED_APIP: "Diteruskan ke Inspektorat",
    CaseEvent.MESSAGE_RECEIVED: "Pesan tambahan dari pelapor",
    CaseEvent.RATED: "Pelapor memberi penilaian",
    CaseEvent.NOTE_ADDED: "Catatan internal",
    CaseEvent.IDENTITY_VIEWED: "Identitas pelapor dibuka",
    CaseEvent.MESSAGE_REFUSED: "Pesan ke pelapor tidak tersampaikan lewat saluran ini",
    CaseEvent.ATTACHMENT_STORED: "Lampiran dari pelapor disimpan",
    CaseEvent.ATTACHMENT_FAILED: "Lampiran dari pelapor gagal diambil",
    CaseEvent.ASSIGNED: "Didistribusikan ke petugas",
}

#: The three kinds of report (DESIGN.md glossary).
KIND_LABELS: dict[str, str] = {
    "pengaduan": "Pengaduan",
    "aspirasi": "Aspirasi / saran",
    "permintaan_informasi": "Permintaan informasi",
}
#: Where a case came from.
CHANNEL_LABELS: dict[str, str] = {
    "api": "Aplikasi daerah",
    "open311": "Open311",
    "web": "Formulir web",
    "sms": "SMS",
    "whatsapp": "WhatsApp",
    "telegram": "Telegram",
    "facebook": "Facebook",
    "email": "E-mail",
    "letter": "Surat",
    "visit": "Datang langsung",
    "phone": "Telepon",
    "call_center": "Pusat panggilan",
    "lapor": "SP4N-LAPOR!",
}
#: The resolution classes of Permen 62/2018 (``shared.cases.deadlines``).
SLA_CLASS_LABELS: dict[str, str] = {
    "informasi": "Informasi / pengaduan normatif (5 hari kerja)",
    "non_lapangan": "Tanpa pemeriksaan lapangan (14 hari kerja)",
    "lapangan": "Dengan pengawasan dan pemeriksaan lapangan (60 hari kerja)",
}
#: What each action an officer can take is called (the console's buttons and headings).
ACTION_LABELS: dict[str, str] = {
    "verify": "Verifikasi",
    "request-info": "Minta kelengkapan data",
    "dispose": "Disposisi ke OPD",
    "return": "Kembalikan ke Admin Instansi",
    "respond": "Beri tanggapan",
    "reopen": "Buka kembali",
    "archive": "Arsipkan",
    "forward-national": "Teruskan ke Admin Nasional",
    "refer-apip": "Teruskan ke APIP (Inspektorat)",
    "note": "Tambah catatan internal",
    "assign": "Distribusikan ke petugas",
}

#: Staff roles, as officers call them (the console and the ops board).
ROLE_LABELS: dict[str, str] = {
    "admin_instansi": "Admin Instansi",
    "opd": "Pejabat Penghubung / Admin UPP",
    "apip": "APIP (Inspektorat)",
    "viewer": "Pimpinan",
    "operator": "Operator",
}
#: What each SLA clock is for, as officers call it.
CLOCK_LABELS: dict[str, str] = {
    "verification": "Batas verifikasi",
    "missing_info": "Batas kelengkapan data pelapor",
    "resolution": "Batas penyelesaian",
    "closure": "Penutupan otomatis",
}
#: The state of an SLA clock.
CLOCK_STATE_LABELS: dict[str, str] = {
    "running": "Berjalan",
    "paused": "Dijeda",
    "breached": "Terlambat",
    "stopped": "Berhenti",
}
#: The event consumers the ops board shows a backlog for (``shared.events.subscriptions``).
WORKER_LABELS: dict[str, str] = {
    "routing": "Saran OPD (routing)",
    "sla": "Jam SLA",
    "sync": "Sinkronisasi SP4N-LAPOR!",
    "notify": "Pemberitahuan",
    "media": "Lampiran dari saluran",
}

#: What anyone with the tracking ID sees: the lifecycle's steps, no internal hand-offs.
PUBLIC_TIMELINE: tuple[CaseEvent, ...] = (
    CaseEvent.RECEIVED,
    *dict.fromkeys(t.event for t in TRANSITIONS.values() if not t.internal),
)
#: What the app that pushed the case sees besides: hand-offs, follow-ups, the rating.
APP_TIMELINE: tuple[CaseEvent, ...] = (
    *PUBLIC_TIMELINE,
    *dict.fromkeys(t.event for t in TRANSITIONS.values() if t.internal),
    CaseEvent.MESSAGE_RECEIVED,
    CaseEvent.RATED,
)


def status_label(status: str) -> str:
    """The status in words (the code itself for one this table does not know)."""
    return STATUS_LABELS.get(status, status)


def event_label(event_type: str) -> str:
    return EVENT_LABELS.get(event_type, event_type)


#: The state of a case's LAPOR! mirror (``shared.models.sync.LaporMirror.state``), as staff read it.
MIRROR_STATE_LABELS: dict[str, str] = {
    "not_mirrored": "Belum dikirim ke SP4N-LAPOR!",
    "pending": "Menunggu dikirim ke SP4N-LAPOR!",
    "created": "Tercatat di SP4N-LAPOR!",
    "held": "Ditahan: perlu diperiksa operator",
    "to_confirm": "Perlu konfirmasi operator (hasil pengiriman belum pasti)",
    "paused": "Sinkronisasi dijeda",
}
