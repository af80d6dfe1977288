"""How the simulator shows what it holds: the national API's answers, in the shape the
current variant asks for (:mod:`services.sync.simulator.faults`), and the ``/_sim/`` views.

Default: the **[seen]** shapes — the ``results`` envelope, top-level ``complaint_id`` on
create, ``images``/``docs`` on upload, logs with ``{id, name}`` institutions, placeholder
templates and statuses as ``{name, color}`` inside a JSON string, ``status_logs``, paged
follow-ups without an author field, ``d-m-Y H:i:s`` Jakarta dates.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.sync.simulator import national
from services.sync.simulator.faults import CREATE_ANSWER_SHAPES, Faults

JAKARTA = ZoneInfo("Asia/Jakarta")
DATE_FORMAT = "%d-%m-%Y %H:%M:%S"
IMAGE_TYPES = ("image/",)


def format_date(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, JAKARTA).strftime(DATE_FORMAT)


def iso_date(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


def parse_date(value: str) -> float:
    naive = datetime.strptime(value.strip(), DATE_FORMAT)
    return naive.replace(tzinfo=JAKARTA).timestamp()


def envelope(data: Any, logs: list[dict[str, Any]] | None = None, **extra: Any) -> dict:
    return {"results": {"data": data, "data_logs": logs or [], **extra}}


def error_body(message: str) -> dict[str, Any]:
    return {"results": {"message": message}}


# -- create and upload ------------------------------------------------------------------------
def create_answer(shape: str, complaint_id: int) -> dict[str, Any]:
    """The create answer in one of :data:`CREATE_ANSWER_SHAPES` [seen]."""
    if shape == "data.complaint_id":
        return envelope({"complaint_id": complaint_id})
    if shape == "data.results.complaint.id":
        return {"data": {"results": {"complaint": {"id": complaint_id}}}}
    if shape == "results.complaint.id":
        return {"results": {"complaint": {"id": complaint_id}, "message": "Laporan tersimpan"}}
    return {"complaint_id": complaint_id, "message": "Laporan tersimpan"}


def rotated_shape(faults: Faults, count: int) -> str:
    shape = faults.create_answer_shape
    if shape == "rotate":
        return CREATE_ANSWER_SHAPES[count % len(CREATE_ANSWER_SHAPES)]
    return shape


def upload_answer(faults: Faults, docs: list[dict[str, Any]]) -> dict[str, Any]:
    """``results.images[]`` for pictures and ``results.docs[]`` for documents [seen], each
    present only when it has an item; or everything in ``docs`` (older)."""
    shown = [{"id": d["id"], "name": d["name"], "size": d["size"]} for d in docs]
    if faults.upload_answer_shape == "docs":
        return {"results": {"docs": shown, "data_logs": []}}
    results: dict[str, Any] = {"data_logs": []}
    pictures = {d["id"] for d in docs if (d.get("content_type") or "").startswith(IMAGE_TYPES)}
    images = [s for s in shown if s["id"] in pictures]
    others = [s for s in shown if s["id"] not in pictures]
    if images:
        results["images"] = images
    if others:
        results["docs"] = others
    return {"results": results}


# -- detail ---------------------------------------------------------------------------------
def _status(code: int | None) -> dict[str, Any] | None:
    if code is None:
        return None
    return {"name": national.status_name(code), "color": national.STATUS_COLORS.get(code, "#000")}


def _log_parts(log: dict[str, Any]) -> tuple[Any, Any, str]:
    """(from, to, template) of a stored log; older snapshots kept names as strings."""
    if "template" in log:
        return log.get("from"), log.get("to"), log["template"]
    return log.get("institution_from"), log.get("institution_to"), log.get("content") or ""


def _name(institution: Any) -> str | None:
    return institution.get("name") if isinstance(institution, dict) else institution


def _filled(template: str, values: dict[str, Any]) -> str:
    for key, value in values.items():
        template = template.replace("{{" + key + "}}", "" if value is None else str(value))
    return template


def log_data(faults: Faults, log: dict[str, Any]) -> dict[str, Any]:
    source, target, template = _log_parts(log)
    date = format_date(log["date"])
    if faults.detail_shape == "legacy":
        values = {
            "institution_from": _name(source),
            "institution_to": _name(target),
            "status_old": national.status_name(log["status_old"])
            if log.get("status_old") is not None
            else None,
            "status_new": national.status_name(log["status_new"])
            if log.get("status_new") is not None
            else None,
        }
        return {
            "institution_from": _name(source),
            "institution_to": _name(target),
            "content": _filled(template, values),
            "status_old": log.get("status_old"),
            "status_new": log.get("status_new"),
            "date": date,
        }
    data = json.dumps(
        {"status_old": _status(log.get("status_old")), "status_new": _status(log.get("status_new"))}
    )
    shown: dict[str, Any] = {"content": template, "data": data, "date": date}
    if faults.detail_shape == "flat":
        shown["institution_from_name"] = _name(source)
        shown["institution_to_name"] = _name(target)
    else:
        shown["institution_from"] = source if isinstance(source, dict) else {"name": source}
        shown["institution_to"] = target if isinstance(target, dict) else {"name": target}
    return shown


def complaint_data(
    faults: Faults, complaint: dict[str, Any], institution_name: Any
) -> dict[str, Any]:
    """A complaint as the API shows it to the instansi."""
    data = {
        "id": complaint["id"],
        "complaint_id": complaint["id"],
        "title": complaint["title"],
        "content": complaint["content"],
        "status_code": complaint["status_code"],
        "status_name": national.status_name(complaint["status_code"]),
        "disposition_id": complaint["disposition_id"],
        "disposition_name": institution_name(complaint["disposition_id"]),
        "category_id": complaint["category_id"],
        "classification_id": complaint["classification_id"],
        "channel": complaint["channel"],
        "location_id": complaint.get("location_id"),
        "date_of_incident": complaint.get("date_of_incident"),
        "tags_raw": complaint["tags_raw"],
        "is_anonymous": complaint["is_anonymous"],
        "is_secret": complaint["is_secret"],
        "attachments": complaint["attachments"],
        "rating": (
            {"score": complaint["rating"]["score"], "comment": complaint["rating"]["comment"]}
            if complaint.get("rating")
            else None
        ),
        "created_at": format_date(complaint["created_at"]),
        "updated_at": format_date(complaint["updated_at"]),
    }
    if faults.detail_shape != "legacy":
        data["status_logs"] = [
            {"note": s["note"], "timestamp": format_date(s["timestamp"])}
            for s in complaint.get("status_logs", [])
        ]
    reporter = complaint.get("reporter") or {}
    if not complaint["is_anonymous"] and reporter.get("name"):
        data["reporter_name"] = reporter["name"]
    return data


# -- follow-ups -----------------------------------------------------------------------------
def followup_data(
    faults: Faults, followup: dict[str, Any], institution_name: Any
) -> dict[str, Any]:
    """One follow-up. [seen]: no author field — an instansi's carries its institution's
    name, the reporter's none."""
    if faults.followups_shape == "legacy":
        return {
            "id": followup["id"],
            "complaint_id": followup["complaint_id"],
            "content": followup["content"],
            "from": followup["from"],
            "institution_from_id": followup.get("institution_from_id"),
            "institution_to_id": followup.get("institution_to_id"),
            "template_code": followup.get("template_code"),
            "is_secret": followup.get("is_secret", 0),
            "attachments": followup.get("attachments", []),
            "created_at": format_date(followup["created_at"]),
        }
    template = national.template(followup.get("template_code"))
    return {
        "id": followup["id"],
        "content": followup["content"],
        "created_at": format_date(followup["created_at"]),
        "institution_from_name": institution_name(followup.get("institution_from_id")),
        "institution_to_name": institution_name(followup.get("institution_to_id")),
        "template_code": followup.get("template_code"),
        "template_content": template["content"] if template else None,
        "attachments": [
            {"path": a.get("path") or f"/storage/followups/{a['name']}", "file_name": a["name"]}
            for a in followup.get("attachments", [])
        ],
    }


def followups_page(
    faults: Faults,
    complaint: dict[str, Any],
    page: int,
    base_url: str,
    institution_name: Any,
) -> dict[str, Any]:
    items = complaint["followups"]
    if faults.followups_shape == "legacy":
        return envelope([followup_data(faults, f, institution_name) for f in items])
    size = faults.followups_page_size
    start = (page - 1) * size
    shown = [followup_data(faults, f, institution_name) for f in items[start : start + size]]
    more = start + size < len(items)
    return {
        "results": {
            "data": shown,
            "current_page": page,
            "next_page_url": f"{base_url}?page={page + 1}" if more else None,
        }
    }


# -- /_sim/ ---------------------------------------------------------------------------------
def sim_view(complaint: dict[str, Any]) -> dict[str, Any]:
    """Everything the simulator holds about a complaint (``GET /_sim/complaints``)."""
    reporter = complaint.get("reporter")
    return {
        "complaint_id": complaint["id"],
        "source": complaint["source"],
        "tags_raw": complaint["tags_raw"],
        "title": complaint["title"],
        "content": complaint["content"],
        "status_code": complaint["status_code"],
        "status_name": national.status_name(complaint["status_code"]),
        "is_anonymous": complaint["is_anonymous"],
        "is_secret": complaint["is_secret"],
        "reporter": reporter,
        "reporter_name": (reporter or {}).get("name"),
        "disposition_id": complaint["disposition_id"],
        "category_id": complaint["category_id"],
        "classification_id": complaint["classification_id"],
        "attachments": complaint["attachments"],
        "rating": complaint.get("rating"),
        "followups": [
            {**f, "created_at": iso_date(f["created_at"])} for f in complaint["followups"]
        ],
        "logs": [
            {**log, "content": log.get("note") or _log_parts(log)[2], "date": iso_date(log["date"])}
            for log in complaint["logs"]
        ],
        "payload": complaint.get("payload"),
        "created_at": iso_date(complaint["created_at"]),
        "updated_at": iso_date(complaint["updated_at"]),
    }


def callback_event(
    event_id: str,
    event_type: str,
    occurred_at: float,
    complaint: dict[str, Any],
    followup: dict[str, Any] | None,
    **extra: Any,
) -> dict[str, Any]:
    """A callback body [model] (the follow-up in the seen shape, without author)."""
    return {
        "event_id": event_id,
        "type": event_type,
        "occurred_at": format_date(occurred_at),
        "complaint_id": complaint["id"],
        "status_code": complaint["status_code"],
        "status_name": national.status_name(complaint["status_code"]),
        "followup": (
            {
                "id": followup["id"],
                "content": followup["content"],
                "created_at": format_date(followup["created_at"]),
            }
            if followup
            else None
        ),
        **extra,
    }
