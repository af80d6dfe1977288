"""From a case page's form to the admin API's own action body — the same pydantic models
(``services.routing.cases.schemas``), so a form cannot do what the API would refuse.

Form fields carry the API's names (``message``, ``reason``, ``note``, ``opd``, ``copies``,
``kind``, ``category``, ``sla_class``, ``anonymous``, ``confidential``, ``final``);
checkboxes are present or absent; files come from ``<input type="file" name="files">``
and are checked like any attachment (``services.routing.cases.attachments``). Every
refusal is a sentence in Bahasa Indonesia for the page (:class:`FormRefused`).
"""

from __future__ import annotations

import base64
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile

from services.console.pages import unexplained_refusal
from services.routing.cases.attachments import (
    MAX_ATTACHMENT_BYTES,
    MAX_FILES_PER_MESSAGE,
    check_file,
)
from services.routing.cases.service import ACTIONS
from shared.errors import SimpulError

M = TypeVar("M", bound=BaseModel)

#: Checkbox fields per action (absent = false).
CHECKBOXES = {"verify": ("anonymous", "confidential"), "respond": ("final",)}
#: Fields a form may send for each action besides its text (anything else is ignored).
FIELDS = {
    "verify": ("kind", "category", "sla_class", "note"),
    "dispose": ("opd", "sla_class", "note"),
    "request-info": ("message",),
    "return": ("reason",),
    "respond": ("message",),
    "reopen": ("reason",),
    "archive": ("reason",),
    "forward-national": ("reason",),
    "refer-apip": ("note",),
    "note": ("note",),
}
#: How each API refusal code reads for an officer (the API's English message otherwise).
MESSAGES = {
    "attachment_too_large": f"Berkas lebih besar dari {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB.",
    "unsupported_attachment": "Berkas harus PDF atau gambar (JPEG, PNG, WebP, GIF) — dinilai dari isinya.",
    "attachment_type_mismatch": "Nama berkas tidak sesuai dengan isinya (misalnya PNG bernama .pdf); berkas ditolak.",
    "invalid_attachment": "Berkas kosong atau rusak.",
    "unknown_opd": "Perangkat daerah tidak dikenal atau tidak aktif.",
    "unknown_category": "Kategori tidak dikenal atau tidak aktif.",
    "sla_class_required": "Pilih kelas waktu penyelesaian (SLA).",
    "reason_required": "Alasan wajib diisi.",
    "reopen_window_passed": "Batas waktu untuk membuka kembali laporan ini sudah lewat.",
    "not_case_owner": "Hanya OPD yang menerima disposisi yang dapat melakukan ini; tembusan hanya dapat menambah catatan.",
    "role_not_allowed": "Peran Anda tidak dapat melakukan tindakan ini.",
    "invalid_state": "Status kasus saat ini tidak memungkinkan tindakan ini.",
    "no_apip_opd": "Belum ada Inspektorat (OPD berjenis APIP) yang aktif.",
    "unknown_assignee": "Petugas tidak ditemukan di OPD ini.",
    "too_many_files": f"Paling banyak {MAX_FILES_PER_MESSAGE} berkas sekali kirim.",
}
#: Pydantic error types, as officers read them.
PROBLEMS = {
    "string_too_short": "wajib diisi",
    "missing": "wajib diisi",
    "string_too_long": "terlalu panjang",
    "literal_error": "pilihan tidak dikenal",
    "int_parsing": "harus berupa angka",
    "greater_than": "harus lebih dari nol",
    "greater_than_equal": "terlalu kecil",
    "date_from_datetime_parsing": "bukan tanggal (TTTT-BB-HH)",
    "date_parsing": "bukan tanggal (TTTT-BB-HH)",
    "too_long": "terlalu banyak pilihan",
}
FIELD_LABELS = {
    "message": "Pesan",
    "reason": "Alasan",
    "note": "Catatan",
    "opd": "Perangkat daerah",
    "copies": "Tembusan",
    "kind": "Jenis laporan",
    "category": "Kategori",
    "sla_class": "Kelas waktu penyelesaian",
}


class FormRefused(Exception):
    """A form the action refuses: the sentence to show and the HTTP status of the page."""

    def __init__(self, message: str, status_code: int = 422) -> None:
        super().__init__(message)
        self.message, self.status_code = message, status_code


def refusal_text(error: SimpulError) -> str:
    return MESSAGES.get(error.code) or unexplained_refusal(error.code)


async def _files(form: FormData) -> list[dict[str, str]]:
    uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    if len(uploads) > MAX_FILES_PER_MESSAGE:
        raise FormRefused(MESSAGES["too_many_files"])
    given = []
    for index, upload in enumerate(uploads):
        data = await upload.read(MAX_ATTACHMENT_BYTES + 1)
        try:
            check_file(data, upload.filename, field=f"files.{index}")
        except SimpulError as error:
            raise FormRefused(
                f"{upload.filename}: {refusal_text(error)}", status_code=error.status_code
            ) from None
        given.append(
            {"filename": upload.filename, "content_base64": base64.b64encode(data).decode()}
        )
    return given


def _value(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


async def action_body(action: str, form: FormData) -> BaseModel:
    """The action's API body from the form, or :class:`FormRefused` with the reason."""
    schema, _fn = ACTIONS[action]
    data: dict[str, Any] = {}
    for name in FIELDS.get(action, ()):
        value = _value(form, name)
        if value is not None:
            data[name] = value
    for name in CHECKBOXES.get(action, ()):
        data[name] = form.get(name) in ("1", "on", "true", "ya")
    if action == "dispose":
        data["copies"] = [c for c in form.getlist("copies") if isinstance(c, str) and c]
    if action == "respond":
        data["attachments"] = await _files(form)
    return validated(schema, data, FIELD_LABELS)


def text_field(form: FormData, name: str) -> str | None:
    return _value(form, name)


def int_field(form: FormData, name: str) -> int | None:
    value = _value(form, name)
    return int(value) if value is not None and value.isdigit() else None


def validated(schema: type[M], data: dict[str, Any], labels: dict[str, str]) -> M:
    """``data`` checked by the API's body model; :class:`FormRefused` naming each bad field."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error.get("loc") else ""
            least = (error.get("ctx") or {}).get("min_length", 1)
            if error.get("input", "") is None:
                what = "wajib diisi"
            elif error["type"] == "string_too_short" and least > 1:
                what = f"paling sedikit {least} karakter"
            else:
                what = PROBLEMS.get(error["type"], "tidak sah")
            problems.append(f"{labels.get(field, field)}: {what}" if field else what)
        raise FormRefused("; ".join(dict.fromkeys(problems)) + ".") from None
