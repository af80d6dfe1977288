"""Photos and PDFs sent with the web form: the same limits and checks as REST attachments.

At most :data:`MAX_ATTACHMENTS` files of :data:`MAX_ATTACHMENT_BYTES` each (the REST
API's numbers, ``complaints.schemas``), typed by their bytes (JPEG, PNG, WebP, GIF, PDF —
never the name or the browser's claimed type), stored content-addressed
(``shared.storage.AttachmentStore``) before the case's commit, so a redirect to the
tracking page means the files are on disk. Refusals are Bahasa Indonesia sentences for the
form's ``lampiran`` field; the form re-renders with what the citizen typed (a browser never
keeps chosen files, so the message asks to choose them again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.datastructures import UploadFile

from services.intake.complaints.schemas import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS
from shared.storage import AttachmentStore, display_filename, sniff_content_type

FIELD = "lampiran"
_MB = MAX_ATTACHMENT_BYTES // (1024 * 1024)
_AGAIN = " Pilih kembali berkas Anda; isian lain tidak perlu diketik ulang."


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


class UploadRefused(ValueError):
    """A file the form cannot take; ``str()`` is the message shown next to the field."""


async def read_uploads(files: list[Any]) -> list[Upload]:
    """The chosen files, checked; raises :class:`UploadRefused` with the reason. A file input
    left empty arrives as a part without a name and no bytes: it is no file."""
    chosen = [f for f in files if isinstance(f, UploadFile) and (f.filename or f.size)]
    if len(chosen) > MAX_ATTACHMENTS:
        raise UploadRefused(
            f"Terlalu banyak lampiran: maksimal {MAX_ATTACHMENTS} berkas, Anda memilih "
            f"{len(chosen)}.{_AGAIN}"
        )
    uploads = []
    for item in chosen:
        name = display_filename(item.filename)
        data = await item.read(MAX_ATTACHMENT_BYTES + 1)
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise UploadRefused(
                f"Berkas {name} terlalu besar: maksimal {_MB} MB per berkas.{_AGAIN}"
            )
        if not data:
            raise UploadRefused(f"Berkas {name} kosong.{_AGAIN}")
        detected = sniff_content_type(data)
        if detected is None:
            raise UploadRefused(
                f"Berkas {name} tidak dapat diterima: hanya foto (JPEG, PNG, WebP, GIF) "
                f"atau PDF.{_AGAIN}"
            )
        uploads.append(Upload(display_filename(item.filename, detected), detected, data))
    return uploads


async def store_uploads(data_dir: str, uploads: list[Upload]) -> list[dict[str, Any]]:
    """Write the files durably and return their ``attachments`` rows, less ``case_id``."""
    store = AttachmentStore(data_dir)
    rows = []
    for upload in uploads:
        stored = await store.put(upload.data)
        rows.append(
            {
                "filename": upload.filename,
                "content_type": upload.content_type,
                "size_bytes": stored.size_bytes,
                "sha256": stored.sha256,
                "storage_key": stored.storage_key,
                "url": None,
            }
        )
    return rows
