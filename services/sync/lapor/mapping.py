"""Everything specific to the SP4N-LAPOR! API, in one place (``contracts/lapor-api.md``).

Paths, field names, the status-code table, classification/channel/category ids, the
``d-m-Y H:i:s`` Jakarta dates, the two auth headers and the readers of its answers all
live here, so a change of the national API is a change of this module and its tests.
``[seen]`` marks what public integrations show; ``[model]`` what we modelled.

Status codes (opaque integers; the simulator uses the same table)::

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

An unknown code raises :class:`UnknownStatusCode`; it is never guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.sync.lapor.errors import (
    InvalidLaporDate,
    LaporProtocolError,
    UnknownSimpulStatus,
    UnknownStatusCode,
)
from services.sync.lapor.models import (
    CaseForLapor,
    LaporCategory,
    LaporComplaint,
    LaporFollowup,
    LaporInstitution,
    LaporLog,
    LaporPage,
    LaporTemplate,
)

__all__ = [
    "CaseForLapor",
    "auth_headers",
    "build_create_payload",
    "build_followup_form",
    "build_reject_payload",
    "format_lapor_date",
    "national_code_for",
    "parse_complaint",
    "parse_create_answer",
    "parse_lapor_date",
    "simpul_status_for",
    "tracking_tag",
]

# -- paths [seen, except the ones marked] ------------------------------------------
PATH_CREATE = "/complaints/complaint"
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
AUTH_HEADER = "Authorization"
TOKEN_HEADER = "token"


def auth_headers(auth_key: str, token: str) -> dict[str, str]:
    """The two static headers every call carries (no token exchange, no expiry)."""
    return {AUTH_HEADER: f"Bearer {auth_key}", TOKEN_HEADER: token}


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

#: National code -> Simpul status.
SIMPUL_STATUS_BY_CODE: dict[int, str] = {
    STATUS_BELUM_TERVERIFIKASI: "received",
    STATUS_DIPENDING: "awaiting_info",
    STATUS_DIHAPUS_TIDAK_LENGKAP: "archived",  # incomplete and unanswered: archived
    STATUS_TERVERIFIKASI: "verified",
    STATUS_DITINDAKLANJUTI: "in_progress",
    STATUS_SELESAI: "resolved",
    STATUS_DIARSIPKAN: "archived",
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

#: Simpul status -> national code to push. ``None``: no status is pushed; the case
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


def simpul_status_for(status_code: Any, status_name: str | None = None) -> str:
    """The Simpul status for a national ``status_code``; :class:`UnknownStatusCode` if none."""
    try:
        code = int(status_code)
    except (TypeError, ValueError):
        raise UnknownStatusCode(status_code, status_name) from None
    if isinstance(status_code, bool) or code not in SIMPUL_STATUS_BY_CODE:
        raise UnknownStatusCode(status_code, status_name)
    return SIMPUL_STATUS_BY_CODE[code]


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


# -- classification, channel, categories [model] -------------------------------------
CLASSIFICATION_IDS: dict[str, int] = {
    "pengaduan": 1,
    "aspirasi": 2,
    "permintaan_informasi": 3,
}
KIND_BY_CLASSIFICATION_ID = {value: key for key, value in CLASSIFICATION_IDS.items()}

#: LAPOR!'s channel id for cases sent by an integrated system.
CHANNEL_ID = 8

#: National category ids (``GET /masters/categories``) for Simpul's category codes
#: (``shared/data/categories.csv``). Unlisted codes use ``DEFAULT_CATEGORY_ID``.
CATEGORY_IDS: dict[str, int] = {
    "ADMINDUK": 110,
    "PENDIDIKAN": 120,
    "KESEHATAN": 130,
    "RUMAHSAKIT": 131,
    "JALAN": 141,
    "DRAINASE": 142,
    "TATARUANG": 143,
    "PERUMAHAN": 144,
    "AIRMINUM": 145,
    "LINGKUNGAN": 150,
    "SOSIAL": 160,
    "KETENAGAKERJAAN": 170,
    "PERHUBUNGAN": 180,
    "PERIZINAN": 190,
    "PERTANIAN": 210,
    "PERDAGANGAN": 220,
    "PARIWISATA": 230,
    "KETERTIBAN": 240,
    "BENCANA": 250,
    "KEPEGAWAIAN": 260,
    "MALADMINISTRASI": 270,
    "INFORMASI": 280,
    "KEUANGAN": 290,
    "ASPIRASI": 300,
    "LAINNYA": 999,
}
DEFAULT_CATEGORY_ID = 999  # "Lainnya"


def category_id_for(category_code: str | None) -> int:
    if not category_code:
        return DEFAULT_CATEGORY_ID
    return CATEGORY_IDS.get(category_code.strip().upper(), DEFAULT_CATEGORY_ID)


def classification_id_for(kind: str) -> int:
    try:
        return CLASSIFICATION_IDS[kind]
    except KeyError:
        raise ValueError(f"unknown kind {kind!r}") from None


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
    case: CaseForLapor, *, institution_id: int | None = None, user_id: int | None = None
) -> dict[str, Any]:
    """The JSON of ``POST /complaints/complaint`` for a Simpul case.

    ``institution_id``/``user_id`` default to ``SIMPUL_LAPOR_INSTITUTION_ID`` and
    ``SIMPUL_LAPOR_USER_ID``. Privacy: NIK, phone, e-mail and ``private_terms`` are
    scrubbed from title and content; ``is_anonymous``/``is_secret`` are always sent as
    0/1; an anonymous case carries no reporter field at all.
    """
    if institution_id is None or user_id is None:
        from shared.config import get_settings

        settings = get_settings()
        institution_id = settings.lapor_institution_id if institution_id is None else institution_id
        user_id = settings.lapor_user_id if user_id is None else user_id
    private_terms = list(case.private_terms)
    if case.anonymous and case.reporter_name:
        private_terms.append(case.reporter_name)
    content = scrub_private(case.description, private_terms).strip()
    title = scrub_private(case.title or "", private_terms).strip()
    if not title:
        title = content.splitlines()[0] if content else case.kind
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1].rstrip() + "…"
    tag = tracking_tag(case.tracking_id)
    payload: dict[str, Any] = {
        "title": title,
        "content": content,
        "channel": CHANNEL_ID,
        "user_id": int(user_id),
        "classification_id": classification_id_for(case.kind),
        "disposition_id": int(institution_id),
        "category_id": category_id_for(case.category_code),
        "copy_externals": _id_list(case.copy_institution_ids),
        "info_disposition": f"Diteruskan dari Simpul ({tag})",
        "tags_raw": tag,
        "is_anonymous": 1 if case.anonymous else 0,
        "is_secret": 1 if case.confidential else 0,
        "attachments": _id_list(case.attachment_ids),
    }
    if case.location_id is not None:
        payload["location_id"] = int(case.location_id)
    if case.occurred_at is not None:
        payload["date_of_incident"] = format_lapor_date(case.occurred_at)
    if not case.anonymous and case.reporter_name:
        payload["reporter_name"] = case.reporter_name  # [model]
    return payload


def build_followup_form(
    *,
    complaint_id: int,
    content: str,
    user_id: int,
    institution_id: int,
    template_code: str | None = None,
    is_secret: bool = False,
    rating: int | None = None,
    status_code: int | None = None,
    private_terms: Iterable[str] = (),
) -> dict[str, str]:
    """The multipart fields of ``POST /complaints/followup/add`` (all as strings).

    ``status_code`` [model] is the national status the response moves the case to
    (e.g. ``national_code_for("resolved")`` for a final answer).
    """
    form = {
        "user_id": str(int(user_id)),
        "institution_from_id": str(int(institution_id)),
        "institution_to_id": str(int(institution_id)),
        "complaint_id": str(int(complaint_id)),
        "info_disposition": "",
        "template_code": template_code or "",
        "rating": "" if rating is None else str(int(rating)),
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


# -- reading answers ------------------------------------------------------------------------
def _as_int(value: Any) -> int | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _results(body: Any) -> Mapping[str, Any]:
    if isinstance(body, Mapping) and isinstance(body.get("results"), Mapping):
        return body["results"]
    return {}


def error_message(body: Any) -> str | None:
    """``{"results": {"message": ...}}`` -> the message (also ``message`` at the top)."""
    if isinstance(body, Mapping):
        message = _results(body).get("message", body.get("message"))
        if message is not None:
            return message if isinstance(message, str) else json.dumps(message)
    return None


def parse_create_answer(body: Any) -> int:
    """The new complaint id from any of the shapes the create answer has had [seen]:
    ``complaint_id``, ``data.complaint_id`` and ``results.complaint.id`` (each at the top
    or inside ``results``). Raises :class:`LaporProtocolError` when none is present."""
    if isinstance(body, Mapping):
        results = _results(body)
        for scope in (results, body):
            candidates = [scope.get("complaint_id")]
            data = scope.get("data")
            if isinstance(data, Mapping):
                candidates.append(data.get("complaint_id"))
                candidates.append(data.get("id"))
            complaint = scope.get("complaint")
            if isinstance(complaint, Mapping):
                candidates.append(complaint.get("id"))
            for candidate in candidates:
                complaint_id = _as_int(candidate)
                if complaint_id is not None:
                    return complaint_id
    raise LaporProtocolError("no complaint id in the create answer", body=body)


def parse_upload_answer(body: Any) -> list[int]:
    """``results.docs[].id`` of ``POST /complaints/complaint/file``."""
    docs = _results(body).get("docs")
    if not isinstance(docs, list):
        raise LaporProtocolError("no docs in the upload answer", body=body)
    ids = [_as_int(doc.get("id")) if isinstance(doc, Mapping) else None for doc in docs]
    if any(i is None for i in ids):
        raise LaporProtocolError("a doc without an id in the upload answer", body=body)
    return [i for i in ids if i is not None]


def parse_followup_answer(body: Any) -> int | None:
    """The new follow-up's id if the answer names one (``results.data.id``)."""
    data = _results(body).get("data")
    if isinstance(data, Mapping):
        return _as_int(data.get("id", data.get("followup_id")))
    return None


def _parse_log(entry: Mapping[str, Any]) -> LaporLog:
    return LaporLog(
        institution_from=entry.get("institution_from"),
        institution_to=entry.get("institution_to"),
        content=entry.get("content"),
        status_old=_as_int(entry.get("status_old")),
        status_new=_as_int(entry.get("status_new")),
        date=parse_optional_lapor_date(entry.get("date")),
    )


def parse_complaint(data: Any, logs: Any = ()) -> LaporComplaint:
    """One complaint (``results.data`` of ``GET …/complaint``, or an item of a list).

    The status code is kept as given; ``LaporComplaint.simpul_status`` maps it (and
    raises :class:`UnknownStatusCode` for a code absent from the table).
    """
    if not isinstance(data, Mapping):
        raise LaporProtocolError("complaint data is not an object", body=data)
    complaint_id = _as_int(data.get("id", data.get("complaint_id")))
    status_code = _as_int(data.get("status_code"))
    if complaint_id is None or status_code is None:
        raise LaporProtocolError("complaint without id or status_code", body=data)
    try:
        created_at = parse_optional_lapor_date(data.get("created_at"))
        updated_at = parse_optional_lapor_date(data.get("updated_at")) or created_at
        parsed_logs = tuple(_parse_log(e) for e in (logs or ()) if isinstance(e, Mapping))
    except InvalidLaporDate as exc:
        raise LaporProtocolError(str(exc), body=data) from exc
    rating = data.get("rating")
    return LaporComplaint(
        complaint_id=complaint_id,
        status_code=status_code,
        status_name=str(data.get("status_name") or ""),
        title=str(data.get("title") or ""),
        content=str(data.get("content") or ""),
        disposition_id=_as_int(data.get("disposition_id")),
        disposition_name=data.get("disposition_name"),
        category_id=_as_int(data.get("category_id")),
        classification_id=_as_int(data.get("classification_id")),
        tags_raw=str(data.get("tags_raw") or ""),
        is_anonymous=bool(_as_int(data.get("is_anonymous"))),
        is_secret=bool(_as_int(data.get("is_secret"))),
        reporter_name=data.get("reporter_name"),
        created_at=created_at,
        updated_at=updated_at,
        rating=rating if isinstance(rating, Mapping) else None,
        logs=parsed_logs,
        raw=dict(data),
    )


def parse_complaint_answer(body: Any) -> LaporComplaint:
    results = _results(body)
    return parse_complaint(results.get("data"), results.get("data_logs") or ())


#: ``from`` of a follow-up [model]: written by the reporter (pelapor) or an instansi.
FOLLOWUP_FROM_REPORTER = "pelapor"
FOLLOWUP_FROM_INSTITUTION = "instansi"


def parse_followups(body: Any, complaint_id: int) -> list[LaporFollowup]:
    items = _results(body).get("data")
    if not isinstance(items, list):
        raise LaporProtocolError("follow-ups answer has no data list", body=body)
    followups = []
    for item in items:
        followup_id = _as_int(item.get("id")) if isinstance(item, Mapping) else None
        if followup_id is None:
            raise LaporProtocolError("a follow-up without an id", body=body)
        try:
            created_at = parse_optional_lapor_date(item.get("created_at"))
        except InvalidLaporDate as exc:
            raise LaporProtocolError(str(exc), body=body) from exc
        followups.append(
            LaporFollowup(
                followup_id=followup_id,
                complaint_id=_as_int(item.get("complaint_id")) or complaint_id,
                content=str(item.get("content") or ""),
                created_at=created_at,
                author="reporter" if item.get("from") == FOLLOWUP_FROM_REPORTER else "instansi",
                institution_from_id=_as_int(item.get("institution_from_id")),
                raw=dict(item),
            )
        )
    return followups


def parse_page(body: Any, *, page: int, page_size: int) -> LaporPage:
    """``GET /complaints``: ``results.data[]`` and ``results.pagination`` [model]."""
    results = _results(body)
    items = results.get("data")
    if not isinstance(items, list):
        raise LaporProtocolError("list answer has no data list", body=body)
    pagination = results.get("pagination")
    pagination = pagination if isinstance(pagination, Mapping) else {}
    return LaporPage(
        items=tuple(parse_complaint(item) for item in items),
        page=_as_int(pagination.get("page")) or page,
        page_size=_as_int(pagination.get("page_size")) or page_size,
        total=_as_int(pagination.get("total")),
    )


def _data_list(body: Any) -> list[Mapping[str, Any]]:
    items = _results(body).get("data")
    if not isinstance(items, list):
        raise LaporProtocolError("answer has no data list", body=body)
    return [item for item in items if isinstance(item, Mapping)]


def parse_institutions(body: Any) -> list[LaporInstitution]:
    return [
        LaporInstitution(id=int(item["id"]), name=str(item.get("name", "")))
        for item in _data_list(body)
        if _as_int(item.get("id")) is not None
    ]


def parse_categories(body: Any) -> list[LaporCategory]:
    return [
        LaporCategory(
            id=int(item["id"]),
            name=str(item.get("name", "")),
            parent_id=_as_int(item.get("parent_id")),
        )
        for item in _data_list(body)
        if _as_int(item.get("id")) is not None
    ]


def parse_templates(body: Any) -> list[LaporTemplate]:
    return [
        LaporTemplate(
            code=str(item.get("code", "")),
            name=str(item.get("name", "")),
            content=str(item.get("content", "")),
        )
        for item in _data_list(body)
    ]
