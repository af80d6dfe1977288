"""Everything specific to the SP4N-LAPOR! API, in one place (``contracts/lapor-api.md``).

Paths, field names, status names, the ``d-m-Y H:i:s`` Jakarta dates, the tracking tag and
the builders of requests live here; the readers of its answers in
:mod:`services.sync.lapor.answers`; every id and name that differs per
environment comes from a :class:`~services.sync.lapor.profile.LaporProfile` (configuration),
never from a constant. ``[seen]`` marks what public integrations show; ``[model]`` what we
modelled.

**Statuses are read by name** [seen: integrators read ``status_name``; no public source gives
the codes' values]: the profile's table maps a normalised name to a Simpul status, and a
name absent from it raises :class:`UnknownStatusName` — the case's mirror is held, never
guessed. Codes [model] remain for what Simpul itself pushes (a follow-up's ``status_code``)
and for recognising its own pushes::

    code  national name                  Simpul status      Simpul -> code pushed
    ----  -----------------------------  -----------------  ---------------------------
       0  Belum Terverifikasi            received           received
       1  Dipending (Tunda)              awaiting_info      awaiting_info
      11  Dihapus karena tidak lengkap   archived           -
       2  Terverifikasi                  verified           verified, returned, disposed
       3  Ditindaklanjuti                in_progress        in_progress, referred_apip
       4  Selesai                        resolved           resolved, closed
      10  Diarsipkan                     archived           archived
                                                            forwarded_national: none
                                                            (``reject_not_authority``)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.sync.lapor.errors import (
    InvalidLaporDate,
    UnknownSimpulStatus,
    UnknownStatusCode,
    UnknownStatusName,
)
from services.sync.lapor.models import CaseForLapor
from services.sync.lapor.profile import DEFAULT_PROFILE, LaporProfile

__all__ = [
    "CaseForLapor",
    "auth_headers",
    "build_create_payload",
    "build_followup_form",
    "build_reject_payload",
    "format_lapor_date",
    "national_code_for",
    "parse_lapor_date",
    "simpul_status_for",
    "tracking_tag",
]

# -- paths [seen, except the ones marked]; create's is the profile's ---------------------
PATH_UPLOAD = "/complaints/complaint/file"
PATH_COMPLAINT = "/complaints/{complaint_id}/complaint"
PATH_FOLLOWUPS = "/complaints/{complaint_id}/followups"
PATH_FOLLOWUP_ADD = "/complaints/followup/add"
PATH_REJECT = "/complaints/process/{complaint_id}/reject"
PATH_INSTITUTIONS = "/masters/institutions/external"
PATH_TEMPLATES = "/masters/templates"
PATH_CATEGORIES = "/masters/categories"  # [model]
PATH_LIST = "/complaints"  # [model]
#: [model] No public integration changes anonim/rahasia after the create; where the
#: national team offers no such call, ``SIMPUL_LAPOR_PRIVACY_PATH`` is set empty and the
#: mirror asks operators to change it on the national site instead.
PATH_PRIVACY = "/complaints/{complaint_id}/privacy"

UPLOAD_FIELD = "attachments[]"
FOLLOWUP_ATTACHMENT_FIELD = "attachment[{index}]"

# -- auth [seen] ---------------------------------------------------------------------
TOKEN_HEADER = "token"


def auth_headers(auth_key: str, token: str, profile: LaporProfile = DEFAULT_PROFILE) -> dict:
    """The two static headers every call carries (no token exchange, no expiry). The key
    goes out exactly as the national team issued it, under the profile's header name."""
    return {profile.auth_header: auth_key, TOKEN_HEADER: token}


# -- statuses ------------------------------------------------------------------------
STATUS_BELUM_TERVERIFIKASI = 0
STATUS_DIPENDING = 1
STATUS_DIHAPUS_TIDAK_LENGKAP = 11
STATUS_TERVERIFIKASI = 2
STATUS_DITINDAKLANJUTI = 3
STATUS_SELESAI = 4
STATUS_DIARSIPKAN = 10

#: National code -> display name (names [seen]; codes [model]).
STATUS_NAMES: dict[int, str] = {
    STATUS_BELUM_TERVERIFIKASI: "Belum Terverifikasi",
    STATUS_DIPENDING: "Dipending",
    STATUS_DIHAPUS_TIDAK_LENGKAP: "Dihapus karena tidak lengkap",
    STATUS_TERVERIFIKASI: "Terverifikasi",
    STATUS_DITINDAKLANJUTI: "Ditindaklanjuti",
    STATUS_SELESAI: "Selesai",
    STATUS_DIARSIPKAN: "Diarsipkan",
}

SIMPUL_STATUSES = (
    "received",
    "awaiting_info",
    "verified",
    "returned",
    "disposed",
    "in_progress",
    "resolved",
    "closed",
    "archived",
    "forwarded_national",
    "referred_apip",
)

#: Simpul status -> national code to push [model]. ``None``: no status is pushed; the case
#: leaves this instansi through ``reject_not_authority`` ("bukan wewenang").
NATIONAL_CODE_BY_SIMPUL_STATUS: dict[str, int | None] = {
    "received": STATUS_BELUM_TERVERIFIKASI,
    "awaiting_info": STATUS_DIPENDING,
    "verified": STATUS_TERVERIFIKASI,
    "returned": STATUS_TERVERIFIKASI,  # back with Admin Instansi, still verified
    "disposed": STATUS_TERVERIFIKASI,  # internal disposisi: nationally still verified
    "in_progress": STATUS_DITINDAKLANJUTI,
    "resolved": STATUS_SELESAI,
    "closed": STATUS_SELESAI,
    "archived": STATUS_DIARSIPKAN,
    "forwarded_national": None,
    "referred_apip": STATUS_DITINDAKLANJUTI,  # handled inside the pemda (Inspektorat)
}


def simpul_status_for(
    status_code: Any, status_name: str | None = None, profile: LaporProfile = DEFAULT_PROFILE
) -> str:
    """The Simpul status a national status means, by its **name** (the profile's table).

    Only an answer that carries no name at all falls back to the [model] code table. An
    unknown name raises :class:`UnknownStatusName`, an unknown code (without a name)
    :class:`UnknownStatusCode`: never guessed.
    """
    if status_name is not None and str(status_name).strip():
        status = profile.simpul_status_for_name(status_name)
        if status is None:
            raise UnknownStatusName(status_name, status_code)
        return status
    try:
        code = int(status_code)
    except (TypeError, ValueError):
        raise UnknownStatusCode(status_code, status_name) from None
    if isinstance(status_code, bool) or code not in STATUS_NAMES:
        raise UnknownStatusCode(status_code, status_name)
    status = profile.simpul_status_for_name(STATUS_NAMES[code])
    if status is None:
        raise UnknownStatusCode(status_code, status_name)
    return status


def national_code_for(simpul_status: str) -> int | None:
    """The national code to push for a Simpul status (``None``: push none, see table)."""
    try:
        return NATIONAL_CODE_BY_SIMPUL_STATUS[simpul_status]
    except KeyError:
        raise UnknownSimpulStatus(simpul_status) from None


def status_name_for(status_code: int) -> str:
    try:
        return STATUS_NAMES[status_code]
    except KeyError:
        raise UnknownStatusCode(status_code) from None


# -- dates [seen]: "d-m-Y H:i:s" in Jakarta time ---------------------------------------
JAKARTA = ZoneInfo("Asia/Jakarta")
DATE_FORMAT = "%d-%m-%Y %H:%M:%S"
_LENIENT_FORMATS = (DATE_FORMAT, "%d-%m-%Y %H:%M", "%d-%m-%Y")


def parse_lapor_date(value: str) -> datetime:
    """``"17-08-2024 14:30:00"`` (WIB) -> aware UTC ``2024-08-17 07:30:00+00:00``."""
    if not isinstance(value, str):
        raise InvalidLaporDate(value)
    text = value.strip()
    for fmt in _LENIENT_FORMATS:
        try:
            naive = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return naive.replace(tzinfo=JAKARTA).astimezone(UTC)
    raise InvalidLaporDate(value)


def parse_optional_lapor_date(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    return parse_lapor_date(value)


def format_lapor_date(moment: datetime) -> str:
    """An aware datetime (naive is read as UTC, as Simpul stores it) -> ``d-m-Y H:i:s`` WIB."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(JAKARTA).strftime(DATE_FORMAT)


# -- tracking tag ----------------------------------------------------------------------
TAG_PREFIX = "#simpul-"
_TAG_RE = re.compile(r"#simpul-([A-Za-z0-9]+)", re.IGNORECASE)


def tracking_tag(tracking_id: str) -> str:
    """``"abc123"`` -> ``"#simpul-ABC123"`` (tracking IDs are case-insensitive)."""
    cleaned = tracking_id.strip().upper()
    if not cleaned.isalnum():
        raise ValueError(f"not a tracking ID: {tracking_id!r}")
    return TAG_PREFIX + cleaned


def split_tags(tags_raw: str | None) -> list[str]:
    return [tag for tag in re.split(r"[\s,]+", tags_raw or "") if tag]


def tracking_id_from_tags(tags_raw: str | None) -> str | None:
    match = _TAG_RE.search(tags_raw or "")
    return match.group(1).upper() if match else None


def tracking_id_from_content(content: str | None) -> str | None:
    """The tag Simpul writes as the first line of ``content`` (kept if tags are lost)."""
    first = (content or "").lstrip().split("\n", 1)[0]
    return tracking_id_from_tags(first)


def has_tag(tags_raw: str | None, tag: str) -> bool:
    wanted = tag.strip().lower()
    return any(candidate.lower() == wanted for candidate in split_tags(tags_raw))


# -- privacy ---------------------------------------------------------------------------
REDACTED = "[disamarkan]"
#: NIK: 16 digits, possibly grouped with spaces, dots or dashes.
_NIK_RE = re.compile(r"(?<!\d)\d(?:[ .-]?\d){15}(?!\d)")
#: Indonesian mobile and fixed numbers: +62 / 62 / 0 then 8–13 digits, with separators.
_PHONE_RE = re.compile(r"(?<![\d+])(?:\+62|62|0)[ .-]?\(?\d{2,4}\)?(?:[ .-]?\d){5,10}(?!\d)")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def scrub_private(text: str, private_terms: Iterable[str] = ()) -> str:
    """Remove NIKs, phone numbers, e-mails and the given identifying terms from ``text``.

    PermenPANRB 62/2018's code of ethics forbids spreading the reporter's identity; the
    national case is (in part) public, so nothing identifying goes into its content.
    """
    for term in sorted(
        {t.strip() for t in private_terms if t and len(t.strip()) >= 3}, key=len, reverse=True
    ):
        text = re.sub(re.escape(term), REDACTED, text, flags=re.IGNORECASE)
    text = _EMAIL_RE.sub(REDACTED, text)
    text = _NIK_RE.sub(REDACTED, text)
    text = _PHONE_RE.sub(REDACTED, text)
    return text


def _id_list(ids: Sequence[int]) -> str:
    """LAPOR! takes id lists as a string such as ``"[12,13]"`` [seen]."""
    return "[" + ",".join(str(int(i)) for i in ids) + "]"


# -- building requests -------------------------------------------------------------------
TITLE_MAX = 150


def build_create_payload(
    case: CaseForLapor, profile: LaporProfile = DEFAULT_PROFILE
) -> dict[str, Any]:
    """The JSON of the create (``profile.create_path``) for a Simpul case.

    The integration user (``is_new_user_slider: false`` + ``user_id``) sends every case:
    no national user is made from a reporter's name, e-mail or phone. The tracking tag is
    in ``tags_raw`` and the first line of ``content``, so an operator (or a search) can
    find the national case. Privacy: NIK, phone, e-mail and ``private_terms`` are scrubbed
    from title and content; ``is_anonymous``/``is_secret`` are always sent; an anonymous
    case carries no reporter field at all.
    """
    private_terms = list(case.private_terms)
    if case.anonymous and case.reporter_name:
        private_terms.append(case.reporter_name)
    body = scrub_private(case.description, private_terms).strip()
    title = scrub_private(case.title or "", private_terms).strip()
    if not title:
        title = body.splitlines()[0] if body else case.kind
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1].rstrip() + "…"
    tag = tracking_tag(case.tracking_id)
    payload: dict[str, Any] = {
        "title": title,
        "content": f"{tag}\n{body}",
        "channel": profile.channel_id,
        "user_id": profile.user_id,
        "is_new_user_slider": False,
        "classification_id": profile.classification_id_for(case.kind),
        "disposition_id": profile.institution_id,
        "category_id": profile.category_id_for(case.category_code),
        "copy_externals": _id_list(case.copy_institution_ids),
        "info_disposition": f"Diteruskan dari Simpul ({tag})",
        "tags_raw": tag,
        "is_anonymous": 1 if case.anonymous else 0,
        "is_secret": 1 if case.confidential else 0,
        "attachments": _id_list(case.attachment_ids),
    }
    location_id = case.location_id if case.location_id is not None else profile.location_id
    if location_id is not None:
        payload["location_id"] = int(location_id)
    if case.occurred_at is not None:
        payload["date_of_incident"] = format_lapor_date(case.occurred_at)
    if not case.anonymous and case.reporter_name:
        payload["reporter_name"] = case.reporter_name  # [model]
    return payload


def build_followup_form(
    *,
    complaint_id: int,
    content: str,
    profile: LaporProfile = DEFAULT_PROFILE,
    institution_to_id: int | None = None,
    is_secret: bool = False,
    rating: int | None = None,
    status_code: int | None = None,
    private_terms: Iterable[str] = (),
) -> dict[str, str]:
    """The multipart fields of ``POST /complaints/followup/add`` (all as strings) [seen].

    ``user_id`` is the instansi's **admin** user (not the create's), ``institution_to_id``
    the instansi the case sits with (ours unless national admins moved it), ``template_code``
    the integrator's, ``rating`` 0 when none. ``status_code`` [model] is the national status
    the response moves the case to.
    """
    form = {
        "user_id": str(int(profile.admin_user_id)),
        "institution_from_id": str(int(profile.institution_id)),
        "institution_to_id": str(int(institution_to_id or profile.institution_id)),
        "complaint_id": str(int(complaint_id)),
        "info_disposition": "",
        "template_code": profile.reply_template_code,
        "rating": str(int(rating or 0)),
        "is_secret": "1" if is_secret else "0",
        "content": scrub_private(content, private_terms),
    }
    if status_code is not None:
        form["status_code"] = str(int(status_code))
    return form


def build_reject_payload(target_institution_id: int, reason_description: str) -> dict[str, Any]:
    """``POST /complaints/process/{id}/reject``: "bukan wewenang", to another instansi."""
    return {
        "is_request": 1,
        "reason": int(target_institution_id),
        "reason_description": reason_description,
        "not_authority": 1,
    }


def build_privacy_payload(*, is_anonymous: bool, is_secret: bool) -> dict[str, Any]:
    """[model] ``POST /complaints/{id}/privacy``: anonim/rahasia as they are now."""
    return {"is_anonymous": int(bool(is_anonymous)), "is_secret": int(bool(is_secret))}


def build_list_params(
    *,
    disposition_id: int | None,
    updated_since: datetime | None,
    tags: str | Sequence[str] | None,
    page: int,
    page_size: int,
) -> dict[str, str | int]:
    params: dict[str, str | int] = {"page": page, "page_size": page_size}
    if disposition_id is not None:
        params["disposition_id"] = disposition_id
    if updated_since is not None:
        params["updated_since"] = format_lapor_date(updated_since)
    if tags:
        params["tags"] = tags if isinstance(tags, str) else ",".join(tags)
    return params
