"""What the adapter hands to the rest of Simpul: plain, API-neutral values.

Parsing national answers into these lives in :mod:`services.sync.lapor.mapping`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Kind = Literal["pengaduan", "aspirasi", "permintaan_informasi"]


@dataclass(frozen=True, slots=True)
class CaseForLapor:
    """The part of a Simpul case that may be mirrored to SP4N-LAPOR!.

    It deliberately has no NIK, phone, e-mail or address field: what is not here cannot
    leak. ``private_terms`` are the reporter's identifying values (NIK, phone, address,
    e-mail, and the name of an anonymous reporter) that the caller knows; they are
    scrubbed from the title and content in case the reporter typed them there.
    """

    tracking_id: str
    title: str
    description: str
    kind: Kind = "pengaduan"
    category_code: str | None = None
    anonymous: bool = False
    confidential: bool = False
    occurred_at: datetime | None = None
    attachment_ids: Sequence[int] = ()
    reporter_name: str | None = None  # None when anonymous
    location_id: int | None = None
    copy_institution_ids: Sequence[int] = ()  # tembusan
    private_terms: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class LaporFile:
    """A file to upload with :meth:`LaporClient.upload_files`."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class LaporLog:
    """One entry of a complaint's ``data_logs`` (a disposition or status step).

    Institutions are names (read from ``{id, name}`` objects or flat ``*_name`` fields),
    ``content`` is the template with its placeholders filled in, statuses are names.
    """

    institution_from: str | None
    institution_to: str | None
    content: str | None
    status_old: str | None
    status_new: str | None
    date: datetime | None
    institution_from_id: int | None = None
    institution_to_id: int | None = None


@dataclass(frozen=True, slots=True)
class LaporStatusLog:
    """One entry of ``results.data.status_logs``: why a status changed."""

    note: str
    at: datetime | None
    status_name: str | None = None


@dataclass(frozen=True, slots=True)
class LaporComplaint:
    """A national complaint as read back. Dates are aware UTC datetimes.

    ``national_status`` is the Simpul status its ``status_name`` means under the profile
    it was read with; None when the name is not in the table (``simpul_status`` raises).
    """

    complaint_id: int
    status_code: int | None
    status_name: str
    national_status: str | None = None
    title: str = ""
    content: str = ""
    disposition_id: int | None = None
    disposition_name: str | None = None
    category_id: int | None = None
    classification_id: int | None = None
    tags_raw: str = ""
    is_anonymous: bool = False
    is_secret: bool = False
    reporter_name: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    rating: Mapping[str, Any] | None = None
    logs: tuple[LaporLog, ...] = ()
    status_logs: tuple[LaporStatusLog, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def simpul_status(self) -> str:
        """The Simpul status; raises ``UnknownStatusName``/``UnknownStatusCode``, never guesses."""
        if self.national_status is not None:
            return self.national_status
        from services.sync.lapor.errors import UnknownStatusCode, UnknownStatusName

        if self.status_name:
            raise UnknownStatusName(self.status_name, self.status_code)
        raise UnknownStatusCode(self.status_code, self.status_name)

    @property
    def status_reason(self) -> str | None:
        """The note of the latest ``status_logs`` entry: why the status last changed."""
        notes = [log for log in self.status_logs if log.note]
        return notes[-1].note if notes else None

    @property
    def tracking_id(self) -> str | None:
        """Simpul's tracking ID from the ``#simpul-…`` tag (or the content's first line)."""
        from services.sync.lapor.mapping import tracking_id_from_content, tracking_id_from_tags

        return tracking_id_from_tags(self.tags_raw) or tracking_id_from_content(self.content)


@dataclass(frozen=True, slots=True)
class LaporFollowupFile:
    """An attachment of a national follow-up: a reference, never fetched."""

    path: str
    file_name: str


#: Who wrote a national follow-up, as :func:`services.sync.lapor.answers.followup_author`
#: infers it (the API has no author field). ``unknown``: shown to staff as "dari LAPOR!".
Author = Literal["instansi", "reporter", "unknown"]


@dataclass(frozen=True, slots=True)
class LaporFollowup:
    """A follow-up (tindak lanjut) on a complaint, from an instansi or the reporter."""

    followup_id: int
    complaint_id: int
    content: str
    created_at: datetime | None
    author: Author
    institution_from_id: int | None = None
    institution_from_name: str | None = None
    institution_to_name: str | None = None
    template_code: str | None = None
    attachments: tuple[LaporFollowupFile, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class LaporPage:
    """One page of ``GET /complaints``."""

    items: tuple[LaporComplaint, ...]
    page: int
    page_size: int
    total: int | None

    @property
    def has_more(self) -> bool:
        if self.total is None:
            return len(self.items) >= self.page_size
        return self.page * self.page_size < self.total


@dataclass(frozen=True, slots=True)
class LaporInstitution:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class LaporCategory:
    id: int
    name: str
    parent_id: int | None = None


@dataclass(frozen=True, slots=True)
class LaporTemplate:
    code: str
    name: str
    content: str = ""
