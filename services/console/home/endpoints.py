"""``/konsol/``: the officer's landing page — for now the links each role has (the
board; one's account); the role pages (queue, inbox, referrals, reports, sync) come here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.console.deps import ConsoleUser, page_render

router = APIRouter(prefix="/konsol", tags=["console"], include_in_schema=False)

#: What each role's landing page offers, as (label, link, explanation).
ROLE_LINKS = {
    "admin_instansi": [
        (
            "Papan pemantauan",
            "/admin/board",
            "Kasus terbuka, tenggat, dan OPD yang berisiko terlambat.",
        ),
        (
            "Administrasi",
            "/konsol/admin/petugas",
            "Petugas, OPD, kategori, aturan penerusan, "
            "hari libur lokal, templat balasan, aplikasi dan kunci API.",
        ),
        (
            "Operasi",
            "/konsol/operasi",
            "Sinkronisasi SP4N-LAPOR!, kiriman gagal, perlu konfirmasi.",
        ),
    ],
    "opd": [
        ("Papan pemantauan OPD", "/admin/board", "Kasus OPD Anda dan tenggat tindak lanjutnya."),
    ],
    "apip": [],
    "viewer": [
        ("Papan pemantauan", "/admin/board", "Ringkasan kinerja penanganan pengaduan."),
        ("Sinkronisasi SP4N-LAPOR!", "/konsol/operasi", "Keadaan cermin laporan nasional."),
    ],
    "operator": [
        ("Papan pemantauan", "/admin/board", "Antrean proses dan sinkronisasi SP4N-LAPOR!."),
        (
            "Operasi",
            "/konsol/operasi",
            "Sinkronisasi, kiriman gagal dan pengiriman ulang, "
            "karantina webhook, perlu konfirmasi, kesehatan pekerja.",
        ),
        ("Akun teknis", "/konsol/admin/petugas", "Akun operator lain."),
        ("Aplikasi & kunci API", "/konsol/admin/aplikasi", "Aplikasi lokal dan kunci API-nya."),
    ],
}


@router.get("")
async def konsol_without_slash() -> Response:
    return RedirectResponse("/konsol/", status_code=307)


@router.get("/")
async def home(request: Request, page: ConsoleUser) -> Response:
    return page_render(
        request, page, "beranda.html", {"links": ROLE_LINKS.get(str(page.actor.role), [])}
    )
