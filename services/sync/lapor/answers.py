"""Readers of SP4N-LAPOR! answers: every shape the public integrations show [seen], and the
older ones our simulator spoke, into the plain values of :mod:`services.sync.lapor.models`.

An answer in none of the known shapes raises :class:`LaporProtocolError` (a transient error
for the caller, with the body kept for operators through :func:`redacted_body`): never a
crash, never a guess, never a silently dropped case.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from services.sync.lapor.errors import InvalidLaporDate, LaporMappingError, LaporProtocolError
from services.sync.lapor.mapping import (
    parse_lapor_date,
    parse_optional_lapor_date,
    scrub_private,
    simpul_status_for,
)
from services.sync.lapor.models import (
    Author,
    LaporCategory,
    LaporComplaint,
    LaporFollowup,
    LaporFollowupFile,
    LaporInstitution,
    LaporLog,
    LaporPage,
    LaporStatusLog,
    LaporTemplate,
)
from services.sync.lapor.profile import DEFAULT_PROFILE, LaporProfile

REDACTED_BODY_MAX = 2000
#: Fields whose values never reach an operator's screen or a log.
REDACTED_KEYS = frozenset(
    {"nameuser", "emailuser", "phoneuser", "reporter_name", "reporter", "nik", "phone", "email"}
)


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


def _dig(body: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(body, Mapping):
            return None
        body = body.get(key)
    return body


def error_message(body: Any) -> str | None:
    """``{"results": {"message": ...}}`` -> the message (also ``message`` at the top)."""
    if isinstance(body, Mapping):
        message = _results(body).get("message", body.get("message"))
        if message is not None:
            return message if isinstance(message, str) else json.dumps(message)
    return None


def _redact(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            k: ("[disamarkan]" if str(k).casefold() in REDACTED_KEYS else _redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


def redacted_body(body: Any) -> str:
    """An answer as operators may see it: identity fields and NIK/phone/e-mail scrubbed,
    at most ``REDACTED_BODY_MAX`` characters."""
    text = body if isinstance(body, str) else json.dumps(_redact(body), ensure_ascii=False)
    text = scrub_private(text)
    return text if len(text) <= REDACTED_BODY_MAX else text[: REDACTED_BODY_MAX - 1] + "…"


# -- create and upload ------------------------------------------------------------------------
#: Where create answers have carried the new id [seen], newest first.
CREATE_ID_PATHS: tuple[tuple[str, ...], ...] = (
    ("complaint_id",),  # current: top level
    ("results", "complaint_id"),
    ("data", "complaint_id"),  # earlier
    ("results", "data", "complaint_id"),
    ("data", "results", "complaint", "id"),  # earliest
    ("results", "data", "results", "complaint", "id"),
    ("results", "complaint", "id"),
    ("complaint", "id"),
)


def parse_create_answer(body: Any) -> int:
    """The new complaint id from any shape in :data:`CREATE_ID_PATHS`; else
    :class:`LaporProtocolError` (the client makes that an uncertain outcome)."""
    for path in CREATE_ID_PATHS:
        complaint_id = _as_int(_dig(body, path))
        if complaint_id is not None:
            return complaint_id
    raise LaporProtocolError("no complaint id in the create answer", body=body)


def parse_upload_answer(body: Any) -> list[int]:
    """``results.images[].id`` (pictures) and ``results.docs[].id`` (documents) [seen];
    either list may be absent, not both."""
    results = _results(body)
    lists = [results.get(name) for name in ("images", "docs")]
    if not any(isinstance(items, list) for items in lists):
        raise LaporProtocolError("no images or docs in the upload answer", body=body)
    ids: list[int] = []
    for items in lists:
        for item in items if isinstance(items, list) else ():
            file_id = _as_int(item.get("id")) if isinstance(item, Mapping) else None
            if file_id is None:
                raise LaporProtocolError("a file without an id in the upload answer", body=body)
            ids.append(file_id)
    return ids


def parse_followup_answer(body: Any) -> int | None:
    """The new follow-up's id if the answer names one (``results.data.id``)."""
    data = _results(body).get("data")
    if isinstance(data, Mapping):
        return _as_int(data.get("id", data.get("followup_id")))
    return None


# -- detail ----------------------------------------------------------------------------------
def render_template(template: str | None, values: Mapping[str, Any]) -> str | None:
    """``"Diteruskan dari {{institution_from}}"`` with ``values`` filled in; a placeholder
    with no value becomes empty, so no ``{{…}}`` reaches a person."""
    if template is None:
        return None
    text = str(template)
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", "" if value is None else str(value))
        text = text.replace("{{ " + key + " }}", "" if value is None else str(value))
    while "{{" in text and "}}" in text.split("{{", 1)[1]:
        head, rest = text.split("{{", 1)
        text = head + rest.split("}}", 1)[1]
    return " ".join(text.split())


def _institution(entry: Mapping[str, Any], side: str) -> tuple[str | None, int | None]:
    """``institution_from`` as an object ``{id, name}``, a plain name, or flat fields."""
    value = entry.get(f"institution_{side}")
    if isinstance(value, Mapping):
        return (value.get("name") or None), _as_int(value.get("id"))
    name = value if isinstance(value, str) and value else entry.get(f"institution_{side}_name")
    return (name or None), _as_int(entry.get(f"institution_{side}_id"))


def _status_label(value: Any) -> str | None:
    """A status as ``{name, color}``, a name, or (older) a code: its name."""
    if isinstance(value, Mapping):
        value = value.get("name")
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        from services.sync.lapor.mapping import STATUS_NAMES

        return STATUS_NAMES.get(value, str(value))
    return str(value)


def _log_statuses(entry: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """``data`` — a JSON *string* with ``status_old``/``status_new`` as ``{name, color}`` —
    or the fields themselves on the entry (older shape)."""
    data = entry.get("data")
    if isinstance(data, str) and data.strip():
        try:
            data = json.loads(data)
        except ValueError:
            data = None
    source = data if isinstance(data, Mapping) else entry
    return _status_label(source.get("status_old")), _status_label(source.get("status_new"))


def _parse_log(entry: Mapping[str, Any]) -> LaporLog:
    from_name, from_id = _institution(entry, "from")
    to_name, to_id = _institution(entry, "to")
    status_old, status_new = _log_statuses(entry)
    values = {
        "institution_from": from_name,
        "institution_to": to_name,
        "institution_from_link": from_name,
        "institution_to_link": to_name,
        "status_old": status_old,
        "status_new": status_new,
    }
    return LaporLog(
        institution_from=from_name,
        institution_to=to_name,
        content=render_template(entry.get("content"), values),
        status_old=status_old,
        status_new=status_new,
        date=parse_optional_lapor_date(entry.get("date") or entry.get("created_at")),
        institution_from_id=from_id,
        institution_to_id=to_id,
    )


def _parse_moment(value: Any) -> datetime | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str) and value.strip():
        try:
            return parse_lapor_date(value)
        except InvalidLaporDate:
            moment = datetime.fromisoformat(value)  # ValueError: a shape we do not know
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def _parse_status_logs(items: Any) -> tuple[LaporStatusLog, ...]:
    if not isinstance(items, list):
        return ()
    return tuple(
        LaporStatusLog(
            note=str(item.get("note") or ""),
            at=_parse_moment(item.get("timestamp")),
            status_name=_status_label(item.get("status") or item.get("status_name")),
        )
        for item in items
        if isinstance(item, Mapping)
    )


def parse_complaint(
    data: Any, logs: Any = (), profile: LaporProfile = DEFAULT_PROFILE
) -> LaporComplaint:
    """One complaint (``results.data`` of ``GET …/complaint``, or an item of a list).

    The status is mapped by name under ``profile``; an unknown name leaves
    ``national_status`` None (the caller holds the mirror).
    """
    if not isinstance(data, Mapping):
        raise LaporProtocolError("complaint data is not an object", body=data)
    complaint_id = _as_int(data.get("id", data.get("complaint_id")))
    status_code = _as_int(data.get("status_code"))
    status_name = _status_label(data.get("status_name") or data.get("status")) or ""
    if complaint_id is None or (status_code is None and not status_name):
        raise LaporProtocolError("complaint without id or status", body=data)
    try:
        created_at = parse_optional_lapor_date(data.get("created_at"))
        updated_at = parse_optional_lapor_date(data.get("updated_at")) or created_at
        parsed_logs = tuple(_parse_log(e) for e in (logs or ()) if isinstance(e, Mapping))
        status_logs = _parse_status_logs(data.get("status_logs"))
    except (InvalidLaporDate, ValueError) as exc:
        raise LaporProtocolError(str(exc), body=data) from exc
    try:
        national_status: str | None = simpul_status_for(status_code, status_name, profile)
    except LaporMappingError:
        national_status = None
    rating = data.get("rating")
    return LaporComplaint(
        complaint_id=complaint_id,
        status_code=status_code,
        status_name=status_name,
        national_status=national_status,
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
        status_logs=status_logs,
        raw=dict(data),
    )


def parse_complaint_answer(body: Any, profile: LaporProfile = DEFAULT_PROFILE) -> LaporComplaint:
    results = _results(body)
    return parse_complaint(results.get("data"), results.get("data_logs") or (), profile)


# -- follow-ups -------------------------------------------------------------------------------
#: The older shape's explicit author field (our first simulator) [model].
FROM_FIELD_AUTHORS: dict[str, Author] = {"pelapor": "reporter", "instansi": "instansi"}

AuthorRule = tuple[str, Callable[[Mapping[str, Any], LaporProfile], bool], Author]


def _has_institution(item: Mapping[str, Any]) -> bool:
    name, institution_id = _institution(item, "from")
    return bool(name) or institution_id is not None


def _template(item: Mapping[str, Any]) -> str:
    return str(item.get("template_code") or "").strip()


#: Who wrote a follow-up, as the API has no author field [model]: the first rule that holds
#: wins. Signals that disagree make ``unknown`` — shown to staff as "dari LAPOR!", never
#: taken as the reporter's message nor sent on to the reporter as ours. A wrong guess
#: must never turn an instansi's reply into the citizen's or the reverse.
AUTHOR_RULES: tuple[AuthorRule, ...] = (
    (
        "our reply template",
        lambda item, p: bool(p.reply_template_code) and _template(item) == p.reply_template_code,
        "instansi",
    ),
    (
        "an institution and the reporter's template disagree",
        lambda item, p: _has_institution(item) and p.is_reporter_template(_template(item)),
        "unknown",
    ),
    ("written from an institution", lambda item, p: _has_institution(item), "instansi"),
    (
        "no institution, the reporter's template or none",
        lambda item, p: not _template(item) or p.is_reporter_template(_template(item)),
        "reporter",
    ),
    ("no institution, another template", lambda item, p: True, "unknown"),
)


def followup_author(item: Mapping[str, Any], profile: LaporProfile = DEFAULT_PROFILE) -> Author:
    """The author of one follow-up item by :data:`AUTHOR_RULES` (an explicit older
    ``from`` field is trusted first)."""
    explicit = FROM_FIELD_AUTHORS.get(str(item.get("from") or "").casefold())
    if explicit is not None:
        return explicit
    for _name, holds, author in AUTHOR_RULES:
        if holds(item, profile):
            return author
    return "unknown"  # pragma: no cover - the last rule always holds


def _followup_files(item: Mapping[str, Any]) -> tuple[LaporFollowupFile, ...]:
    files = item.get("attachments")
    if not isinstance(files, list):
        return ()
    return tuple(
        LaporFollowupFile(
            path=str(f.get("path") or f.get("url") or ""),
            file_name=str(f.get("file_name") or f.get("name") or "lampiran"),
        )
        for f in files
        if isinstance(f, Mapping) and (f.get("path") or f.get("url"))
    )


def _next_page(results: Mapping[str, Any], page: int) -> int | None:
    """``next_page_url`` (null on the last page) as a page number."""
    url = results.get("next_page_url")
    if not url:
        return None
    numbers = parse_qs(urlsplit(str(url)).query).get("page")
    number = _as_int(numbers[0]) if numbers else None
    return number if number is not None and number > page else page + 1


def parse_followups_page(
    body: Any, complaint_id: int, *, page: int = 1, profile: LaporProfile = DEFAULT_PROFILE
) -> tuple[list[LaporFollowup], int | None]:
    """One page of ``GET …/followups?page=N``: its items and the next page (None: last)."""
    results = _results(body)
    items = results.get("data")
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
        from_name, from_id = _institution(item, "from")
        to_name, _ = _institution(item, "to")
        content = str(item.get("content") or "") or (
            render_template(item.get("template_content"), {}) or ""
        )
        followups.append(
            LaporFollowup(
                followup_id=followup_id,
                complaint_id=_as_int(item.get("complaint_id")) or complaint_id,
                content=content,
                created_at=created_at,
                author=followup_author(item, profile),
                institution_from_id=from_id,
                institution_from_name=from_name,
                institution_to_name=to_name,
                template_code=_template(item) or None,
                attachments=_followup_files(item),
                raw=dict(item),
            )
        )
    return followups, _next_page(results, page)


# -- lists and masters ------------------------------------------------------------------------
def parse_page(
    body: Any, *, page: int, page_size: int, profile: LaporProfile = DEFAULT_PROFILE
) -> LaporPage:
    """``GET /complaints``: ``results.data[]`` and ``results.pagination`` [model]."""
    results = _results(body)
    items = results.get("data")
    if not isinstance(items, list):
        raise LaporProtocolError("list answer has no data list", body=body)
    pagination = results.get("pagination")
    pagination = pagination if isinstance(pagination, Mapping) else {}
    return LaporPage(
        items=tuple(parse_complaint(item, (), profile) for item in items),
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
