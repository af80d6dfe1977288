"""Attachment storage: files typed by their content, stored under server-made names.

- The type is decided by the file's first bytes (magic numbers), never by the name or the
  type the client claimed; only JPEG, PNG, WebP, GIF and PDF are accepted.
- The path is ``<data_dir>/attachments/<sha256[:2]>/<sha256>`` — content-addressed, so no
  part of a client's filename ever reaches the filesystem and the same file is stored once.
- A write is durable before it returns (temporary name, fsync, atomic rename, fsync of the
  directory): callers write BEFORE their commit, so a 2xx means the file is on disk. A
  file whose transaction then fails is an orphan, which is harmless.

>>> sniff_content_type(b"%PDF-1.7 ...")
'application/pdf'
>>> display_filename("../../etc/pass wd.png")
'pass wd.png'
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

#: Accepted types and the file extensions a name may carry for each.
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "image/png": (".png",),
    "image/webp": (".webp",),
    "image/gif": (".gif",),
    "application/pdf": (".pdf",),
}
ATTACHMENTS_DIR = "attachments"
MAX_DISPLAY_NAME = 200
_STORAGE_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}$")


def sniff_content_type(data: bytes) -> str | None:
    """The accepted type ``data`` really is, by its magic bytes; None when not accepted."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def type_for_filename(name: str) -> str | None:
    """The accepted type a file name's extension claims (None: no or unknown extension)."""
    suffix = PurePosixPath(name.lower()).suffix
    for content_type, suffixes in ALLOWED_TYPES.items():
        if suffix in suffixes:
            return content_type
    return None


def display_filename(name: str | None, content_type: str | None = None) -> str:
    """A safe name to SHOW (never a path): base name only, printable, at most 200 characters."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name  # strips "/" and "\" parts
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    if not base:
        suffix = ALLOWED_TYPES.get(content_type or "", (".bin",))[0]
        base = f"lampiran{suffix}"
    if len(base) > MAX_DISPLAY_NAME:
        stem, dot, suffix = base.rpartition(".")
        base = (
            (stem[: MAX_DISPLAY_NAME - len(suffix) - 1] + "." + suffix)
            if dot and len(suffix) < 10
            else base[:MAX_DISPLAY_NAME]
        )
    return base


@dataclass(frozen=True, slots=True)
class StoredFile:
    storage_key: str
    sha256: str
    size_bytes: int


class AttachmentStore:
    """Files under ``<data_dir>/attachments``; keys are ``<sha[:2]>/<sha256>``."""

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.root = Path(data_dir) / ATTACHMENTS_DIR

    def path_for(self, storage_key: str) -> Path:
        if not _STORAGE_KEY.match(storage_key):
            raise ValueError("not a storage key")
        return self.root / storage_key

    async def put(self, data: bytes) -> StoredFile:
        """Store ``data`` durably (off the event loop) and return its key."""
        return await asyncio.to_thread(self.put_sync, data)

    def put_sync(self, data: bytes) -> StoredFile:
        digest = hashlib.sha256(data).hexdigest()
        key = f"{digest[:2]}/{digest}"
        target = self.root / key
        if target.exists() and target.stat().st_size == len(data):
            return StoredFile(key, digest, len(data))  # same content already stored
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.parent / f".{digest}.{uuid.uuid4().hex}.tmp"
        try:
            with open(temp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)
        finally:
            if temp.exists():
                temp.unlink()
        _fsync_dir(target.parent)
        return StoredFile(key, digest, len(data))


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows: directories cannot be opened; rename is durable enough
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
