"""Request and response models of the REST push API (CONTRACT.md, "Intake — for local apps").

Everything a payload can get wrong is refused here with 422 naming the field, before any
database work: shapes, sizes, phone numbers (normalised to E.164), NIK shape, coordinates,
attachments (decoded and typed BY CONTENT). What needs the database (category and
kecamatan exist) is checked by ``shared.cases.service.create_case``, also as 422.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from shared.codes import OptionalCode
from shared.models import utcnow
from shared.phones import InvalidPhoneNumber, normalize_phone
from shared.storage import display_filename, sniff_content_type, type_for_filename

MAX_DESCRIPTION = 10_000
MAX_TITLE = 200
MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024  # decoded
MAX_URL = 2000
#: Tolerated clock skew for ``occurred_at`` "not in the future".
CLOCK_SKEW = timedelta(minutes=5)

_NIK = re.compile(r"^\d{16}$")
# A pragmatic shape check (local@domain.tld), not RFC 5322; delivery proves the rest.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_URL = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReporterIn(_Strict):
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(
        default=None, max_length=64, description="any Indonesian form; stored as E.164"
    )
    email: str | None = Field(default=None, max_length=254)
    nik: str | None = Field(default=None, description="16 digits (shape only)")

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        """Kept as sent (stored as ``phone_raw``); :attr:`phone_e164` is the normalised form."""
        if not value:
            return None
        try:
            normalize_phone(value)
        except InvalidPhoneNumber as exc:
            raise ValueError(f"not a valid phone number ({exc.reason})") from None
        return value

    @property
    def phone_e164(self) -> str | None:
        return normalize_phone(self.phone) if self.phone else None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not _EMAIL.match(value):
            raise ValueError("not an e-mail address")
        return value.lower()

    @field_validator("nik")
    @classmethod
    def _nik(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not _NIK.match(value):
            raise ValueError("a NIK is exactly 16 digits")
        return value


class LocationIn(_Strict):
    kecamatan: OptionalCode = Field(default=None, description="a kecamatan code, any case")
    desa: str | None = Field(default=None, max_length=120)
    address: str | None = Field(default=None, max_length=300)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _both_coordinates(self) -> LocationIn:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        return self


class AttachmentIn(_Strict):
    """A file inline (``content_base64``) or a URL kept as a reference (never fetched)."""

    filename: str | None = Field(default=None, max_length=255)
    content_type: str | None = Field(default=None, max_length=100)
    content_base64: str | None = Field(default=None, max_length=8 * 1024 * 1024)
    url: str | None = Field(default=None, max_length=MAX_URL)

    #: Filled by validation: the decoded bytes and the type they really are.
    _data: bytes | None = PrivateAttr(default=None)
    _detected_type: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _decode_and_type(self) -> AttachmentIn:
        if (self.content_base64 is None) == (self.url is None):
            raise ValueError("give exactly one of content_base64 or url")
        if self.url is not None:
            if not _URL.match(self.url):
                raise ValueError("url must be an http(s) URL")
            return self
        try:
            data = base64.b64decode(self.content_base64 or "", validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("content_base64 is not valid base64") from None
        if not data:
            raise ValueError("the attachment is empty")
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise ValueError(f"the attachment is over {MAX_ATTACHMENT_BYTES} bytes")
        detected = sniff_content_type(data)
        if detected is None:
            raise ValueError(
                "unsupported file type: only JPEG, PNG, WebP, GIF and PDF are accepted"
            )
        claimed = (self.content_type or "").split(";")[0].strip().lower()
        if (
            claimed
            and claimed != detected
            and not (claimed == "image/jpg" and detected == "image/jpeg")
        ):
            raise ValueError(f"content_type says {claimed} but the content is {detected}")
        by_name = type_for_filename(self.filename or "")
        if self.filename and "." in self.filename and by_name != detected:
            raise ValueError(f"the file name does not match its content ({detected})")
        self._data = data
        self._detected_type = detected
        return self

    @property
    def data(self) -> bytes | None:
        return self._data

    @property
    def detected_type(self) -> str | None:
        return self._detected_type

    @property
    def safe_filename(self) -> str:
        return display_filename(self.filename, self._detected_type)


class ComplaintIn(_Strict):
    """A complaint pushed by a local app."""

    description: str = Field(min_length=1, max_length=MAX_DESCRIPTION)
    title: str | None = Field(default=None, max_length=MAX_TITLE)
    category: OptionalCode = Field(default=None, description="a category code, any case")
    kind: Literal["pengaduan", "aspirasi", "permintaan_informasi"] | None = None
    reporter: ReporterIn | None = None
    anonymous: bool = False
    confidential: bool = False
    location: LocationIn | None = None
    occurred_at: AwareDatetime | None = None
    external_ref: str | None = Field(default=None, max_length=120)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)

    @field_validator("occurred_at")
    @classmethod
    def _not_in_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value > utcnow() + CLOCK_SKEW:
            raise ValueError("occurred_at is in the future")
        return value


# -- answers ----------------------------------------------------------------------------------


class ComplaintAccepted(BaseModel):
    tracking_id: str
    status: str
    status_url: str
    received_at: datetime
    verification_due_at: datetime | None = Field(
        description="3 working days after receipt (Permen 62/2018)"
    )
    kind: str
    category: str | None
    anonymous: bool
    confidential: bool
    external_ref: str | None
    attachments: int


class TimelineEntry(BaseModel):
    type: str
    at: datetime
    label: str


class ResponseOut(BaseModel):
    message: str
    final: bool
    at: datetime


class AttachmentOut(BaseModel):
    filename: str
    content_type: str | None
    size_bytes: int | None
    url: str | None


class ReporterOut(BaseModel):
    name: str | None
    phone: str | None
    email: str | None
    nik: str | None


class ComplaintForApp(BaseModel):
    """The case as the app that pushed it may see it."""

    tracking_id: str
    status: str
    status_label: str
    status_url: str
    kind: str
    category: str | None
    title: str | None
    description: str
    anonymous: bool
    confidential: bool
    external_ref: str | None
    location: dict[str, Any]
    received_at: datetime
    verification_due_at: datetime | None
    status_changed_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    rating: int | None
    reporter: ReporterOut | None
    attachments: list[AttachmentOut]
    timeline: list[TimelineEntry]
    responses: list[ResponseOut]


class PublicComplaint(BaseModel):
    """What anyone holding the tracking ID may see: no personal data, no free text."""

    tracking_id: str
    status: str
    status_label: str
    confidential: bool
    kind: str | None = None
    category: str | None = None
    category_name: str | None = None
    received_at: datetime | None = None
    timeline: list[TimelineEntry] | None = None
