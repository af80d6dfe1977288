"""What the administration and operator pages share: reading a form, checking it with the
API's own body model, and saying a refusal in Bahasa Indonesia.

A refused change leaves nothing behind: :func:`attempt` rolls back what it had begun before
the page is shown again with the reason (a 4xx, never a 500)::

    try:
        body = validated(TemplateIn, {"title": text(form, "judul"), ...})
        row = await attempt(session, service.create_template(session, actor, ...))
    except Refused as refused:
        return show_page(error=refused.message, status_code=refused.status_code)
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from services.console.cases.forms import FormRefused
from services.console.cases.forms import (
    validated as validated,  # the pages here import it from here
)
from services.console.deps import ConsolePage, page_render
from services.console.pages import unexplained_refusal
from shared.errors import SimpulError
from shared.identity.tokens import CredentialError

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

#: How each API refusal code reads for an officer (the API's own message otherwise).
MESSAGES = {
    "username_taken": "Nama pengguna itu sudah dipakai akun lain.",
    "invalid_username": "Nama pengguna: 3–64 huruf kecil, angka, titik, garis bawah atau "
    "tanda hubung, diawali huruf atau angka.",
    "invalid_role": "Peran dan OPD tidak cocok: Pejabat Penghubung wajib memilih OPD; "
    "APIP, Pimpinan dan Operator tidak terikat OPD.",
    "unknown_opd": "Perangkat daerah tidak dikenal.",
    "invalid_phone": "Nomor telepon tidak dikenali (contoh: 0812xxxxxxx).",
    "invalid_email": "Alamat surel tidak sah.",
    "invalid_channel": "Saluran pemberitahuan tidak dikenal.",
    "own_account": "Akun Anda sendiri diubah dari menu Akun (kata sandi, verifikasi dua "
    "langkah, sesi), bukan di sini.",
    "inactive": "Akun ini nonaktif; aktifkan kembali lebih dulu.",
    "already_active": "Akun ini sudah aktif.",
    "role_not_managed": "Anda tidak mengelola akun dengan peran itu.",
    "user_not_found": "Akun tidak ditemukan.",
    "role_not_allowed": "Peran Anda tidak dapat melakukan ini.",
    "template_exists": "Sudah ada templat dengan judul itu.",
    "template_not_found": "Templat tidak ditemukan.",
    "unknown_placeholder": "Teks memakai penanda yang tidak dikenal; pakai hanya penanda "
    "yang tercantum di bawah.",
    "unknown_action": "Tindakan tidak dikenal.",
    "version_mismatch": "Data ini sudah diubah orang lain sejak Anda membukanya; perubahan "
    "Anda tidak disimpan. Periksa isi terkini lalu ulangi.",
    "category_exists": "Sudah ada kategori dengan kode itu.",
    "opd_exists": "Sudah ada OPD dengan kode itu.",
    "category_not_found": "Kategori tidak ditemukan.",
    "opd_not_found": "OPD tidak ditemukan.",
    "rule_not_found": "Aturan tidak ditemukan.",
    "rule_without_conditions": "Aturan harus punya paling sedikit satu syarat.",
    "unknown_condition": "Syarat aturan tidak dikenal.",
    "condition_never_matches": "Syarat itu tidak akan pernah cocok (kode tidak dikenal atau "
    "tidak aktif).",
    "rule_shadowed": "Aturan di atasnya sudah menangkap semua laporan yang cocok dengan "
    "aturan ini, jadi aturan ini tidak akan pernah dipakai.",
    "unknown_category": "Kategori tidak dikenal atau tidak aktif: aturan tidak akan pernah cocok.",
    "unknown_kecamatan": "Kecamatan tidak dikenal atau tidak aktif: aturan tidak akan pernah cocok.",
    "unknown_channel": "Kanal tidak dikenal.",
    "unknown_kind": "Jenis laporan tidak dikenal.",
    "override_exists": "Tanggal itu sudah punya pengaturan hari libur lokal yang berlaku.",
    "override_not_found": "Pengaturan hari libur tidak ditemukan.",
    "override_revoked": "Pengaturan itu sudah dicabut.",
    "no_effect": "Tidak ada yang berubah: tanggal itu memang sudah begitu.",
    "outside_calendar": "Tanggal di luar rentang kalender yang didukung.",
    "reason_required": "Alasan wajib diisi.",
    "reason_too_long": "Alasan terlalu panjang.",
    "not_awaiting_confirmation": "Laporan ini tidak lagi menunggu konfirmasi (mungkin sudah "
    "diselesaikan petugas lain).",
    "national_id_linked": "Nomor SP4N-LAPOR! itu sudah tertaut ke laporan lain. Periksa "
    "lagi nomornya.",
    "national_id_unknown": "SP4N-LAPOR! tidak mengenal nomor itu. Periksa lagi nomornya.",
    "other_case": "Laporan bernomor itu di SP4N-LAPOR! membawa nomor pelacakan lain — "
    "bukan laporan ini.",
    "lapor_unavailable": "SP4N-LAPOR! tidak dapat dihubungi sekarang; coba lagi sebentar lagi.",
    "dead_letter_not_found": "Kiriman gagal itu tidak ada lagi (mungkin sudah dikirim ulang).",
    "client_name_taken": "Nama aplikasi itu sudah dipakai.",
    "credential_unknown": "Aplikasi tidak ditemukan atau sudah dicabut.",
}


#: A change the rules refuse: the sentence to show and the page's HTTP status (the case
#: page's own exception: one kind of refusal in the console).
Refused = FormRefused


def not_found(request: Request, page: ConsolePage, message: str, back_url: str) -> Response:
    """The "tidak ditemukan" page (404) of a row that is not there, or not the caller's."""
    return page_render(
        request, page, "galat.html",
        {"heading": "Tidak ditemukan", "message": message, "back_url": back_url},
        status_code=404,
    )  # fmt: skip


def refusal_text(error: SimpulError, labels: dict[str, str] | None = None) -> str:
    """The officer's sentence for ``error``: its code's, else — for a bare ``invalid``
    naming one of the form's ``labels`` (``conditions.keywords`` by ``conditions`` too) —
    "<field>: tidak sah.", else a general sentence with the code for the operator (never
    the API's English message)."""
    if error.code in MESSAGES:
        return MESSAGES[error.code]
    field = str(error.details.get("field") or "")
    for name in (field, field.split(".")[0]):
        if error.code == "invalid" and labels and name in labels:
            return f"{labels[name]}: tidak sah."
    return unexplained_refusal(error.code)


def text(form: FormData | None, name: str) -> str | None:
    """A text field, stripped; None when empty or absent."""
    value = form.get(name) if form is not None else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def checked(form: FormData | None, name: str) -> bool:
    return form is not None and form.get(name) in ("1", "on", "true", "ya")


def chosen(form: FormData | None, name: str) -> list[str]:
    """The values of a multiple choice (checkboxes of one name)."""
    if form is None:
        return []
    return [v for v in form.getlist(name) if isinstance(v, str) and v]


async def attempt(
    session: AsyncSession, action: Awaitable[T], labels: dict[str, str] | None = None
) -> T:
    """Await the service call inside a savepoint; a refusal rolls the savepoint back (only
    what the call had begun: the officer's session stays loaded for the page) and becomes
    :class:`Refused`, its status and its sentence in Bahasa Indonesia (``labels``: the
    form's field names, for a refusal that names only its field)."""
    savepoint = await session.begin_nested()
    try:
        result = await action
    except SimpulError as error:
        await savepoint.rollback()
        raise Refused(refusal_text(error, labels), error.status_code) from None
    except CredentialError:
        await savepoint.rollback()
        raise Refused(MESSAGES["credential_unknown"], 404) from None
    await savepoint.commit()
    return result
