"""Files staff attach to a case (a scanned letter at intake, a photo or a PDF with a
response): checked, stored, and handed back to readers — viewable, never executed.

A file is accepted only when its first bytes say it is a PDF or an image (JPEG, PNG,
WebP, GIF: ``shared.storage``) and when its name does not claim another type (a
``laporan.pdf`` that is really a PNG, or a ``foto.jpg`` that is a program, is *disguised*:
refused with the reason rather than stored under a misleading name). Reading one goes
through the caller's readable case, so a file of a case one may not read is the same 404
as a missing one; it is served with its checked type, ``nosniff`` and a sandboxing CSP.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import Settings
from shared.errors import NotFound, TooLarge, Unprocessable
from shared.models import Attachment, Case, utcnow
from shared.storage import AttachmentStore, display_filename, sniff_content_type, type_for_filename

#: Largest file staff may attach (a scanned letter of several pages fits).
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
#: Files one response may carry.
MAX_FILES_PER_MESSAGE = 5
#: Headers a stored file is served with: its checked type only, never run as a page.
SERVE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
    "Cache-Control": "private, no-store",
}


@dataclass(frozen=True, slots=True)
class CheckedFile:
    filename: str
    content_type: str
    data: bytes


def check_file(data: bytes, filename: str | None, *, field: str) -> CheckedFile:
    """``data`` as an accepted attachment, or a 413 / 422 saying why not."""
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise TooLarge(
            f"attachment over {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MiB",
            code="attachment_too_large",
            field=field,
        )
    if not data:
        raise Unprocessable("attachment is empty", code="invalid_attachment", field=field)
    content_type = sniff_content_type(data)
    if content_type is None:
        raise Unprocessable(
            "attachment must be a PDF or an image (JPEG, PNG, WebP, GIF), judged by its content",
            code="unsupported_attachment",
            field=field,
        )
    claimed = type_for_filename(filename or "")
    if filename and "." in filename and claimed != content_type:
        raise Unprocessable(
            f"the file's name says {claimed or 'another type'} but its content is {content_type}",
            code="attachment_type_mismatch",
            field=field,
        )
    return CheckedFile(display_filename(filename, content_type), content_type, data)


def decode_base64(content: str, filename: str | None, *, field: str) -> CheckedFile:
    """An attachment given as base64 (the admin API), checked like any other."""
    try:
        data = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Unprocessable(
            "attachment is not valid base64", code="invalid_attachment", field=field
        ) from exc
    return check_file(data, filename, field=field)


async def store_files(
    session: AsyncSession,
    case: Case,
    files: list[CheckedFile],
    settings: Settings,
    *,
    message_id: int | None = None,
) -> list[Attachment]:
    """Write each file durably (before the caller's commit) and add its row to the case."""
    store = AttachmentStore(settings.data_dir)
    rows = []
    for file in files:
        stored = await store.put(file.data)
        row = Attachment(
            case_id=case.id,
            message_id=message_id,
            filename=file.filename,
            content_type=file.content_type,
            size_bytes=stored.size_bytes,
            sha256=stored.sha256,
            storage_key=stored.storage_key,
            created_at=utcnow(),
        )
        session.add(row)
        rows.append(row)
    return rows


async def stored_file(
    session: AsyncSession, case: Case, attachment_id: int, settings: Settings
) -> tuple[Attachment, Path]:
    """The attachment of ``case`` (already read through the caller's readable statement)
    and its file; 404 for another case's id or a URL reference (never fetched)."""
    row = await session.scalar(
        select(Attachment).where(Attachment.id == attachment_id, Attachment.case_id == case.id)
    )
    if row is None or row.storage_key is None:
        raise NotFound(f"no attachment {attachment_id}", code="attachment_not_found")
    path = AttachmentStore(settings.data_dir).path_for(row.storage_key)
    if not path.is_file():
        raise NotFound(f"attachment {attachment_id} is not on disk", code="attachment_missing")
    return row, path
