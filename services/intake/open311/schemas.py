"""What Open311 clients send, parsed and checked: every bad field is a 400 with the reason.

GeoReport v2 posts form fields (``application/x-www-form-urlencoded``) and filters lists
with query parameters; both arrive here as a multi-dict and leave as plain dataclasses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from services.intake.open311.errors import bad_request
from shared.codes import normalize_code
from shared.phones import InvalidPhoneNumber, normalize_phone

#: The spec's limit on ``description`` ("up to 4,000 characters").
MAX_DESCRIPTION_CHARS = 4000
MAX_ADDRESS_CHARS = 300  # cases.address
MAX_NAME_CHARS = 200  # reporters.name
MAX_EMAIL_CHARS = 254
MAX_ID_CHARS = 120  # device_id, account_id
MAX_URL_CHARS = 2000
MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_CHARS = 1000
#: At most this many results per page, as the spec suggests (1000).
MAX_PAGE_SIZE = 1000
MAX_PAGE = 10_000
MAX_IDS = 1000

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,60})\](\[\])?$")
OPEN, CLOSED = "open", "closed"


class MultiDict(Protocol):
    def get(self, key: str, default: str | None = None) -> str | None: ...
    def getlist(self, key: str) -> list[str]: ...
    def keys(self): ...


def _field(values: MultiDict, name: str, max_chars: int | None = None) -> str | None:
    raw = values.get(name)
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise bad_request(f"{name} must be text, not a file")
    text = raw.strip()
    if max_chars is not None and len(text) > max_chars:
        raise bad_request(f"{name} is longer than {max_chars} characters")
    return text or None


def _coordinate(values: MultiDict, name: str, limit: float) -> float | None:
    raw = _field(values, name, 40)
    if raw is None:
        return None
    try:
        number = float(raw)
    except ValueError:
        raise bad_request(f"{name} must be a decimal number (WGS84), got {raw!r}") from None
    if not math.isfinite(number) or abs(number) > limit:
        raise bad_request(f"{name} must be between -{limit:g} and {limit:g}")
    return number


def _media_url(values: MultiDict) -> str | None:
    url = _field(values, "media_url", MAX_URL_CHARS)
    if url is None:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        raise bad_request("media_url is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise bad_request("media_url must be an http(s) URL")
    return url


def _attributes(values: MultiDict) -> dict[str, str | list[str]]:
    attributes: dict[str, str | list[str]] = {}
    for key in dict.fromkeys(values.keys()):
        match = _ATTRIBUTE.match(key)
        if match is None:
            continue
        items = [v.strip() for v in values.getlist(key) if isinstance(v, str)]
        if any(len(v) > MAX_ATTRIBUTE_CHARS for v in items):
            raise bad_request(f"{key} is longer than {MAX_ATTRIBUTE_CHARS} characters")
        attributes[match.group(1)] = items if match.group(2) else (items[-1] if items else "")
        if len(attributes) > MAX_ATTRIBUTES:
            raise bad_request(f"at most {MAX_ATTRIBUTES} attributes")
    return attributes


@dataclass(frozen=True)
class ServiceRequestForm:
    """POST Service Request: a category, a location (coordinates or an address), the text, and
    who is reporting (kept apart from the case; never shown on any unauthenticated read)."""

    service_code: str
    description: str
    lat: float | None = None
    long: float | None = None
    address_string: str | None = None
    email: str | None = None
    name: str | None = None
    phone: str | None = None  # E.164
    phone_raw: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    media_url: str | None = None
    attributes: dict[str, str | list[str]] = field(default_factory=dict)

    @classmethod
    def parse(cls, values: MultiDict) -> ServiceRequestForm:
        # Required fields first, in the spec's order: what is missing is said before what is
        # malformed, and the complaint's text before its place.
        service_code = normalize_code(_field(values, "service_code", 40))
        if service_code is None:
            raise bad_request("service_code is required")
        description = _field(values, "description", MAX_DESCRIPTION_CHARS)
        if description is None:
            raise bad_request("description is required")
        lat = _coordinate(values, "lat", 90)
        long = _coordinate(values, "long", 180)
        if (lat is None) != (long is None):
            raise bad_request("lat and long go together: send both or neither")
        address = _field(values, "address_string", MAX_ADDRESS_CHARS)
        if lat is None and address is None:
            raise bad_request("a location is required: lat and long, or address_string")
        email = _field(values, "email", MAX_EMAIL_CHARS)
        if email is not None and not _EMAIL.match(email):
            raise bad_request("email is not a valid e-mail address")
        phone_raw = _field(values, "phone", 64)
        phone = None
        if phone_raw is not None:
            try:
                phone = normalize_phone(phone_raw)
            except InvalidPhoneNumber as exc:
                raise bad_request(f"phone is not a valid phone number ({exc.reason})") from None
        names = [
            _field(values, "first_name", MAX_NAME_CHARS),
            _field(values, "last_name", MAX_NAME_CHARS),
        ]
        name = " ".join(n for n in names if n) or None
        if name is not None and len(name) > MAX_NAME_CHARS:
            raise bad_request(
                f"first_name and last_name together exceed {MAX_NAME_CHARS} characters"
            )
        return cls(
            service_code=service_code,
            description=description,
            lat=lat,
            long=long,
            address_string=address,
            email=email,
            name=name,
            phone=phone,
            phone_raw=phone_raw,
            device_id=_field(values, "device_id", MAX_ID_CHARS),
            account_id=_field(values, "account_id", MAX_ID_CHARS),
            media_url=_media_url(values),
            attributes=_attributes(values),
        )


def parse_datetime(name: str, raw: str | None, tz: ZoneInfo) -> datetime | None:
    """W3C/ISO 8601 as the spec asks; a time without offset is taken in the deployment's zone."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    try:
        moment = datetime.fromisoformat(text.replace(" ", "+") if "T" in text else text)
    except ValueError:
        raise bad_request(
            f"{name} must be an ISO 8601 date-time, e.g. 2026-01-31T08:00:00+07:00"
        ) from None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def _int(name: str, raw: str | None, default: int, maximum: int) -> int:
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"{name} must be a whole number") from None
    if not 1 <= value <= maximum:
        raise bad_request(f"{name} must be between 1 and {maximum}")
    return value


def _csv(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


@dataclass(frozen=True)
class Window:
    """A period and a page of it (``page`` from 1)."""

    start: datetime | None
    end: datetime | None
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    @classmethod
    def parse(cls, params: Mapping[str, str], tz: ZoneInfo) -> Window:
        start = parse_datetime("start_date", params.get("start_date"), tz)
        end = parse_datetime("end_date", params.get("end_date"), tz)
        if start and end and end < start:
            raise bad_request("end_date is before start_date")
        return cls(
            start=start,
            end=end,
            page=_int("page", params.get("page"), 1, MAX_PAGE),
            page_size=_int("page_size", params.get("page_size"), MAX_PAGE_SIZE, MAX_PAGE_SIZE),
        )


@dataclass(frozen=True)
class RequestQuery:
    """GET Service Requests: ids (which win over every other filter, as the spec says) or
    service codes, a status and a period."""

    ids: list[str]
    service_codes: list[str]
    statuses: frozenset[str]
    window: Window

    @classmethod
    def parse(cls, params: Mapping[str, str], tz: ZoneInfo) -> RequestQuery:
        ids = _csv(params.get("service_request_id"))
        if len(ids) > MAX_IDS:
            raise bad_request(f"at most {MAX_IDS} service_request_id values")
        statuses = frozenset(s.lower() for s in _csv(params.get("status")))
        unknown = statuses - {OPEN, CLOSED}
        if unknown:
            raise bad_request(f"status must be open or closed, got {', '.join(sorted(unknown))}")
        return cls(
            ids=ids,
            service_codes=[normalize_code(c) for c in _csv(params.get("service_code"))],
            statuses=statuses,
            window=Window.parse(params, tz),
        )


@dataclass(frozen=True)
class UpdateQuery:
    """GET Service Request Updates (FixMyStreet): a period, optionally one request."""

    service_request_id: str | None
    window: Window

    @classmethod
    def parse(cls, params: Mapping[str, str], tz: ZoneInfo) -> UpdateQuery:
        raw = (params.get("service_request_id") or "").strip()
        return cls(service_request_id=raw or None, window=Window.parse(params, tz))
