"""Request bodies of the case actions and admin intake (CONTRACT.md, Ops)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

Kind = Literal["pengaduan", "aspirasi", "permintaan_informasi"]
SlaClass = Literal["informasi", "non_lapangan", "lapangan"]
#: Channels of complaints entered by staff (a letter, a visit, a phone call, the call center).
AdminChannel = Literal["letter", "visit", "phone", "call_center"]

Text = Field(min_length=1, max_length=5000)
Reason = Field(min_length=1, max_length=2000)


#: The one name of each kind of free text in an action body (CONTRACT.md, Ops): ``note`` is
#: an internal note for staff, ``message`` is text for the reporter, ``reason`` is why the
#: case leaves its path (return, reopen, archive, forward-national).
TEXT_FIELDS = ("note", "message", "reason")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _one_name_per_text(cls, data: Any) -> Any:
        """A text under another action's name (``note`` for ``return``...) is refused with
        the name this action expects, rather than a bare "extra field" and "missing"."""
        if not isinstance(data, dict):
            return data
        expected = [f for f in TEXT_FIELDS if f in cls.model_fields]
        for given in TEXT_FIELDS:
            if given in data and given not in cls.model_fields and expected:
                raise PydanticCustomError(
                    "wrong_text_field",
                    "this action takes its text in '{expected}', not '{given}'",
                    {"expected": expected[0], "given": given},
                )
        return data


class VerifyBody(Body):
    kind: Kind | None = None
    category: str | None = Field(default=None, max_length=40)
    sla_class: SlaClass | None = None
    anonymous: bool | None = None
    confidential: bool | None = None
    note: str | None = Field(default=None, max_length=2000)


class RequestInfoBody(Body):
    message: str = Text


class DisposeBody(Body):
    opd: str = Field(min_length=1, max_length=40)
    copies: list[str] = Field(default_factory=list, max_length=20)
    sla_class: SlaClass | None = None
    note: str | None = Field(default=None, max_length=2000)


class ReasonBody(Body):
    reason: str = Reason


class RespondBody(Body):
    message: str = Text
    final: bool = False


class ReferApipBody(Body):
    note: str | None = Field(default=None, max_length=2000)


class NoteBody(Body):
    note: str = Text


class LocationIn(Body):
    kecamatan: str | None = Field(default=None, max_length=40)
    desa: str | None = Field(default=None, max_length=120)
    address: str | None = Field(default=None, max_length=300)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class ReporterIn(Body):
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    nik: str | None = Field(default=None, pattern=r"^\d{16}$")
    postal_address: str | None = Field(default=None, max_length=1000)


class AttachmentIn(Body):
    filename: str = Field(min_length=1, max_length=200)
    content_type: str | None = Field(default=None, max_length=100)
    content_base64: str = Field(min_length=1)


class AdminCaseIn(Body):
    """A complaint that came by letter, visit, phone or call center, entered by staff."""

    channel: AdminChannel
    description: str = Field(min_length=1, max_length=20000)
    title: str | None = Field(default=None, max_length=200)
    category: str | None = Field(default=None, max_length=40)
    kind: Kind | None = None
    anonymous: bool = False
    confidential: bool = False
    reporter: ReporterIn | None = None
    location: LocationIn | None = None
    occurred_at: datetime | None = None
    received_at: datetime | None = None
    external_ref: str | None = Field(default=None, max_length=120)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=10)
