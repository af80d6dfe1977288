"""The national side's reference data, as the simulator models it.

Status codes are opaque, non-sequential integers, as on SP4N-LAPOR! (names [seen], codes
[model]); Simpul's adapter keeps its own copy in ``services.sync.lapor.mapping`` and a
test checks that the two agree::

    code  status_name
    ----  ----------------------------
       0  Belum Terverifikasi
       1  Dipending
      11  Dihapus karena tidak lengkap
       2  Terverifikasi
       3  Ditindaklanjuti
       4  Selesai
      10  Diarsipkan

Any other integer can be set through ``POST /_sim/complaints/{id}/status`` (it is then
named ``"Status <code>"``), to exercise the adapter's unknown-code path.
"""

from __future__ import annotations

from typing import Any

BELUM_TERVERIFIKASI = 0
DIPENDING = 1
DIHAPUS_TIDAK_LENGKAP = 11
TERVERIFIKASI = 2
DITINDAKLANJUTI = 3
SELESAI = 4
DIARSIPKAN = 10

STATUS_NAMES: dict[int, str] = {
    BELUM_TERVERIFIKASI: "Belum Terverifikasi",
    DIPENDING: "Dipending",
    DIHAPUS_TIDAK_LENGKAP: "Dihapus karena tidak lengkap",
    TERVERIFIKASI: "Terverifikasi",
    DITINDAKLANJUTI: "Ditindaklanjuti",
    SELESAI: "Selesai",
    DIARSIPKAN: "Diarsipkan",
}


#: ``{name, color}`` of a status in a log's ``data`` string [seen].
STATUS_COLORS: dict[int, str] = {
    BELUM_TERVERIFIKASI: "#9e9e9e",
    DIPENDING: "#ff9800",
    DIHAPUS_TIDAK_LENGKAP: "#795548",
    TERVERIFIKASI: "#2196f3",
    DITINDAKLANJUTI: "#3f51b5",
    SELESAI: "#4caf50",
    DIARSIPKAN: "#607d8b",
}


def status_name(code: int) -> str:
    return STATUS_NAMES.get(code, f"Status {code}")


def code_for_name(name: str) -> int | None:
    """The code of a status name (case- and space-insensitive), or None."""
    wanted = " ".join(name.casefold().split())
    for code, known in STATUS_NAMES.items():
        if " ".join(known.casefold().split()) == wanted:
            return code
    return None


#: Who writes the steps national admins take (forward in, status changes).
ADMIN_NASIONAL = {"id": 1, "name": "Admin Nasional SP4N-LAPOR!"}


#: ``GET /masters/institutions/external``: instansi a case can be forwarded to.
EXTERNAL_INSTITUTIONS: list[dict[str, Any]] = [
    {"id": 1, "name": "Kementerian Dalam Negeri"},
    {"id": 2, "name": "Kementerian Pekerjaan Umum"},
    {"id": 3, "name": "Kementerian Kesehatan"},
    {"id": 4, "name": "Kementerian Pendidikan Dasar dan Menengah"},
    {"id": 5, "name": "Kementerian Sosial"},
    {"id": 6, "name": "BPJS Kesehatan"},
    {"id": 7, "name": "PT PLN (Persero)"},
    {"id": 8, "name": "Kepolisian Negara Republik Indonesia"},
    {"id": 50, "name": "Pemerintah Provinsi Demo"},
    {"id": 9002, "name": "Pemerintah Kabupaten Tetangga"},
]
OWN_INSTITUTION_NAME = "Pemerintah Kabupaten Demo"

#: ``GET /masters/categories`` [model]: national categories ``{id, name, parent_id}``.
CATEGORIES: list[dict[str, Any]] = [
    {"id": 110, "name": "Administrasi Kependudukan", "parent_id": None},
    {"id": 120, "name": "Pendidikan", "parent_id": None},
    {"id": 130, "name": "Kesehatan", "parent_id": None},
    {"id": 131, "name": "Pelayanan Rumah Sakit", "parent_id": 130},
    {"id": 140, "name": "Infrastruktur", "parent_id": None},
    {"id": 141, "name": "Jalan dan Jembatan", "parent_id": 140},
    {"id": 142, "name": "Drainase dan Irigasi", "parent_id": 140},
    {"id": 143, "name": "Tata Ruang dan Bangunan", "parent_id": 140},
    {"id": 144, "name": "Perumahan dan Permukiman", "parent_id": 140},
    {"id": 145, "name": "Air Minum", "parent_id": 140},
    {"id": 150, "name": "Lingkungan Hidup dan Kehutanan", "parent_id": None},
    {"id": 160, "name": "Sosial dan Kesejahteraan", "parent_id": None},
    {"id": 170, "name": "Ketenagakerjaan", "parent_id": None},
    {"id": 180, "name": "Perhubungan", "parent_id": None},
    {"id": 190, "name": "Perizinan dan Investasi", "parent_id": None},
    {"id": 210, "name": "Pertanian dan Peternakan", "parent_id": None},
    {"id": 220, "name": "Perdagangan dan Perindustrian", "parent_id": None},
    {"id": 230, "name": "Pariwisata", "parent_id": None},
    {"id": 240, "name": "Ketentraman dan Ketertiban Umum", "parent_id": None},
    {"id": 250, "name": "Penanggulangan Bencana", "parent_id": None},
    {"id": 260, "name": "Kepegawaian", "parent_id": None},
    {"id": 270, "name": "Penyalahgunaan Wewenang", "parent_id": None},
    {"id": 280, "name": "Informasi Publik", "parent_id": None},
    {"id": 290, "name": "Pajak dan Retribusi", "parent_id": None},
    {"id": 300, "name": "Pembangunan Daerah", "parent_id": None},
    {"id": 999, "name": "Lainnya", "parent_id": None},
]
CATEGORY_IDS = frozenset(category["id"] for category in CATEGORIES)

#: ``GET /masters/templates``: reply templates (``template_code`` of a follow-up).
TEMPLATES: list[dict[str, Any]] = [
    {"code": "disposition", "name": "Disposisi", "content": "Laporan didisposisikan."},
    {
        "code": "reply_simpul",
        "name": "Tindak lanjut (Simpul)",
        "content": "Tindak lanjut instansi.",
    },
    {"code": "TL-TERIMA", "name": "Laporan diterima", "content": "Laporan Anda kami terima."},
    {"code": "TL-PROSES", "name": "Sedang diproses", "content": "Laporan Anda sedang diproses."},
    {"code": "TL-SELESAI", "name": "Selesai", "content": "Laporan Anda telah ditindaklanjuti."},
    {"code": "TL-DATA", "name": "Minta data", "content": "Mohon lengkapi data laporan Anda."},
]

CLASSIFICATION_IDS = frozenset({1, 2, 3})  # pengaduan, aspirasi, permintaan informasi

#: The templates of ``data_logs`` contents [seen: placeholders filled in by the reader].
LOG_CREATED = "Laporan dibuat dan diteruskan ke {{institution_to}}"
LOG_FORWARDED_IN = "Laporan didisposisikan dari {{institution_from}} ke {{institution_to}}"
LOG_STATUS = "Status laporan diubah dari {{status_old}} menjadi {{status_new}}"
LOG_FOLLOWUP = "{{institution_from}} menindaklanjuti laporan: {{status_new}}"
LOG_REJECTED = "Laporan dialihkan dari {{institution_from}} ke {{institution_to}}: bukan wewenang"


def template(code: str | None) -> dict[str, Any] | None:
    for entry in TEMPLATES:
        if entry["code"] == code:
            return entry
    return None
