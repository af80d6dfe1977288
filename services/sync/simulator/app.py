"""A simulator of the SP4N-LAPOR! API (``contracts/lapor-api.md``) as a FastAPI app.

It speaks the national API — the two static auth headers, the ``results`` envelope,
integer ids, ``d-m-Y H:i:s`` Jakarta dates, opaque status codes (see
:mod:`services.sync.simulator.national`) — over an in-memory store, and like the real
one it is **not idempotent on create**. Faults, national-side actions and inspection
live under ``/_sim/`` (no auth, loopback clients only). Routes are relative, so the app
runs standalone (``serve()``) or mounted (``app.mount("/lapor-sim", sim_app)``).

When mounted, Starlette does not run a sub-app's lifespan: the callback client is made
lazily, and the host app must ``await close_simulator(sim_app)`` on shutdown.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import random
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.sync.simulator import national
from services.sync.simulator.callbacks import (
    EVENT_FOLLOWUP_ADDED,
    EVENT_FORWARDED_IN,
    EVENT_RATED,
    EVENT_STATUS_CHANGED,
    CallbackSender,
    CallbackStats,
)
from services.sync.simulator.faults import (
    CREATE_ANSWER_SHAPES,
    Faults,
    RateLimiter,
    retry_after_header,
)
from services.sync.simulator.store import Store, write_atomically

DEMO_AUTH_KEY = "demo-auth-key"
DEMO_TOKEN = "demo-token"
DEMO_INSTITUTION_ID = 9001
DEMO_CALLBACK_SECRET = "demo-lapor-webhook-secret"

JAKARTA = ZoneInfo("Asia/Jakarta")
DATE_FORMAT = "%d-%m-%Y %H:%M:%S"
HANG_POLL_S = 0.05
MAX_PAGE_SIZE = 500
MAX_UPLOAD_FILES = 20


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


class SimHTTPError(Exception):
    """An answer in the API's error shape ``{"results": {"message": ...}}``."""

    def __init__(
        self, status_code: int, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.headers = headers


def _flag(value: Any, field: str) -> int:
    if isinstance(value, bool):
        return int(value)
    if value in (0, 1, "0", "1"):
        return int(value)
    raise SimHTTPError(422, f"{field} must be 0 or 1")


def _int(value: Any, field: str, *, required: bool = True) -> int | None:
    if value is None or value == "":
        if required:
            raise SimHTTPError(422, f"{field} is required")
        return None
    if isinstance(value, bool):
        raise SimHTTPError(422, f"{field} must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SimHTTPError(422, f"{field} must be an integer") from None


def _id_list(value: Any, field: str) -> list[int]:
    """``"[12,13]"`` (as LAPOR! takes it), a JSON list, or empty."""
    if value in (None, "", "[]"):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise SimHTTPError(422, f"{field} must look like [12,13]") from None
    if not isinstance(value, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in value
    ):
        raise SimHTTPError(422, f"{field} must be a list of integers")
    return value


def _tags(tags_raw: str | None) -> set[str]:
    return {t.lower() for t in (tags_raw or "").replace(",", " ").split() if t}


class Simulator:
    """The national side: store, faults, stats and callbacks of one simulator app."""

    def __init__(
        self,
        *,
        auth_key: str,
        token: str,
        institution_id: int,
        callback_url: str | None,
        callback_secret: str,
        state_file: str | None,
    ) -> None:
        self.auth_key = auth_key
        self.token = token
        self.institution_id = int(institution_id)
        self.state_file = state_file
        self.lock = asyncio.Lock()
        self.store = Store()
        if state_file:
            self.store.load(state_file)
        self.default_faults = Faults(callback_url=callback_url)
        self.faults = self.default_faults.model_copy()
        self.rng = random.Random(self.faults.seed)
        self.limiter = RateLimiter(self.faults.rate_limit_per_s, self.faults.rate_limit_burst)
        self.requests = 0
        self.errors_injected = 0
        self.rate_limited = 0
        self._create_answers = 0
        self.callback_stats = CallbackStats()
        self.callbacks = CallbackSender(
            secret=callback_secret,
            faults=lambda: self.faults,
            rng=lambda: self.rng,
            stats=self.callback_stats,
        )

    # -- clock, faults, stats ----------------------------------------------------------
    def now(self) -> float:
        return time.time() + self.faults.clock_offset_s

    def update_faults(self, changes: dict[str, Any]) -> Faults:
        try:
            faults = Faults.model_validate({**self.faults.model_dump(), **changes})
        except ValidationError as exc:
            raise SimHTTPError(422, f"invalid faults: {exc.errors(include_url=False)}") from exc
        self._apply_faults(faults, reseed="seed" in changes)
        return faults

    def _apply_faults(self, faults: Faults, *, reseed: bool) -> None:
        old = self.faults
        self.faults = faults
        if reseed:
            self.rng.seed(faults.seed)
        if (old.rate_limit_per_s, old.rate_limit_burst) != (
            faults.rate_limit_per_s,
            faults.rate_limit_burst,
        ) or reseed:
            self.limiter.configure(faults.rate_limit_per_s, faults.rate_limit_burst)

    def reset_faults(self) -> Faults:
        self._apply_faults(self.default_faults.model_copy(), reseed=True)
        self.limiter.configure(self.faults.rate_limit_per_s, self.faults.rate_limit_burst)
        return self.faults

    def stats(self) -> dict[str, int]:
        return {
            "complaints": len(self.store.complaints),
            "followups": self.store.followup_count,
            "requests": self.requests,
            "errors_injected": self.errors_injected,
            "rate_limited": self.rate_limited,
            "callbacks_sent": self.callback_stats.sent,
            "callbacks_failed": self.callback_stats.failed,
            "callbacks_pending": self.callbacks.pending,
        }

    async def reset(self) -> None:
        await self.callbacks.cancel_pending()
        async with self.lock:
            self.store.clear()
            await self._persist()
        self.reset_faults()
        self.requests = self.errors_injected = self.rate_limited = 0
        self._create_answers = 0
        self.callback_stats.sent = self.callback_stats.failed = 0

    async def aclose(self) -> None:
        """Cancel pending callbacks and close the callback client (call on shutdown)."""
        await self.callbacks.aclose()

    async def _persist(self) -> None:
        """Call with the lock held, so snapshots land in order."""
        if self.state_file:
            await asyncio.to_thread(write_atomically, self.state_file, self.store.snapshot())

    # -- reference data ----------------------------------------------------------------
    def institutions(self) -> list[dict[str, Any]]:
        own = {"id": self.institution_id, "name": national.OWN_INSTITUTION_NAME}
        return [own] + [i for i in national.EXTERNAL_INSTITUTIONS if i["id"] != own["id"]]

    def institution_name(self, institution_id: int | None) -> str | None:
        for institution in self.institutions():
            if institution["id"] == institution_id:
                return institution["name"]
        return None

    # -- the gate every API call passes ----------------------------------------------------
    def _in_scope(self, request: Request) -> bool:
        scope = self.faults.fault_scope
        is_write = request.method not in ("GET", "HEAD")
        return scope == "all" or (scope == "writes") == is_write

    def _authorised(self, request: Request) -> bool:
        authorization = request.headers.get("authorization", "").encode()
        token = request.headers.get("token", "").encode()
        return hmac.compare_digest(
            authorization, f"Bearer {self.auth_key}".encode()
        ) and hmac.compare_digest(token, self.token.encode())

    async def gate(self, request: Request) -> None:
        """Maintenance, auth, rate limit, latency and the pre-commit faults."""
        self.requests += 1
        faults = self.faults
        if faults.maintenance:
            self.errors_injected += 1
            raise SimHTTPError(
                503,
                "Layanan SP4N-LAPOR! sedang dalam pemeliharaan",
                {"Retry-After": str(faults.maintenance_retry_after_s)},
            )
        if not self._authorised(request):
            raise SimHTTPError(401, "Unauthorized: invalid Authorization or token header")
        wait = self.limiter.take()
        if wait is not None:
            self.rate_limited += 1
            raise SimHTTPError(429, "Too Many Requests", {"Retry-After": retry_after_header(wait)})
        delay_ms = faults.latency_ms
        if faults.jitter_ms:
            delay_ms += self.rng.uniform(0, faults.jitter_ms)
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        if not self._in_scope(request):
            return
        if faults.error_rate and self.rng.random() < faults.error_rate:
            self.errors_injected += 1
            raise SimHTTPError(500, "Internal Server Error")
        if faults.timeout_rate and self.rng.random() < faults.timeout_rate:
            self.errors_injected += 1
            await self._hang(request)

    async def after_commit(self, request: Request) -> None:
        """``commit_then_timeout_rate``: the change is stored, the answer never comes."""
        rate = self.faults.commit_then_timeout_rate
        if rate and self._in_scope(request) and self.rng.random() < rate:
            self.errors_injected += 1
            await self._hang(request)

    async def _hang(self, request: Request) -> None:
        """Hold the request until the client gives up (or ``timeout_s``), then 504."""
        await request.body()  # consume the body, so a disconnect is what receive() reports
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.faults.timeout_s
        while loop.time() < deadline:
            if await request.is_disconnected():
                break
            await asyncio.sleep(HANG_POLL_S)
        raise SimHTTPError(504, "Gateway Timeout")

    # -- shaping answers ---------------------------------------------------------------
    def complaint_data(self, complaint: dict[str, Any]) -> dict[str, Any]:
        """A complaint as the API shows it to the instansi."""
        data = {
            "id": complaint["id"],
            "complaint_id": complaint["id"],
            "title": complaint["title"],
            "content": complaint["content"],
            "status_code": complaint["status_code"],
            "status_name": national.status_name(complaint["status_code"]),
            "disposition_id": complaint["disposition_id"],
            "disposition_name": self.institution_name(complaint["disposition_id"]),
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
        reporter = complaint.get("reporter") or {}
        if not complaint["is_anonymous"] and reporter.get("name"):
            data["reporter_name"] = reporter["name"]
        return data

    @staticmethod
    def followup_data(followup: dict[str, Any]) -> dict[str, Any]:
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

    @staticmethod
    def log_data(log: dict[str, Any]) -> dict[str, Any]:
        return {**log, "date": format_date(log["date"])}

    def sim_view(self, complaint: dict[str, Any]) -> dict[str, Any]:
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
            "logs": [{**log, "date": iso_date(log["date"])} for log in complaint["logs"]],
            "payload": complaint.get("payload"),
            "created_at": iso_date(complaint["created_at"]),
            "updated_at": iso_date(complaint["updated_at"]),
        }

    def create_answer(self, complaint_id: int) -> dict[str, Any]:
        shape = self.faults.create_answer_shape
        if shape == "rotate":
            shape = CREATE_ANSWER_SHAPES[self._create_answers % len(CREATE_ANSWER_SHAPES)]
        self._create_answers += 1
        if shape == "complaint_id":
            return {"results": {"complaint_id": complaint_id, "message": "Laporan tersimpan"}}
        if shape == "results.complaint.id":
            return {"results": {"complaint": {"id": complaint_id}, "message": "Laporan tersimpan"}}
        return envelope({"complaint_id": complaint_id})

    def _event(
        self,
        event_type: str,
        complaint: dict[str, Any],
        followup: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        return {
            "event_id": str(uuid.uuid4()),
            "type": event_type,
            "occurred_at": format_date(self.now()),
            "complaint_id": complaint["id"],
            "status_code": complaint["status_code"],
            "status_name": national.status_name(complaint["status_code"]),
            "followup": self.followup_data(followup) if followup else None,
            **extra,
        }

    def _log(
        self,
        complaint: dict[str, Any],
        *,
        institution_from: str | None,
        institution_to: str | None,
        content: str,
        status_old: int | None,
        status_new: int | None,
    ) -> dict[str, Any]:
        log = {
            "institution_from": institution_from,
            "institution_to": institution_to,
            "content": content,
            "status_old": status_old,
            "status_new": status_new,
            "date": self.now(),
        }
        complaint["logs"].append(log)
        return log

    def _get(self, complaint_id: int) -> dict[str, Any]:
        complaint = self.store.complaints.get(complaint_id)
        if complaint is None:
            raise SimHTTPError(404, f"Laporan {complaint_id} tidak ditemukan")
        return complaint

    # -- the API's writes ----------------------------------------------------------------
    async def create_complaint(self, payload: Any) -> int:
        if not isinstance(payload, dict):
            raise SimHTTPError(422, "body must be a JSON object")
        title = payload.get("title")
        content = payload.get("content")
        if not isinstance(title, str) or not title.strip():
            raise SimHTTPError(422, "title is required")
        if not isinstance(content, str) or not content.strip():
            raise SimHTTPError(422, "content is required")
        classification_id = _int(payload.get("classification_id"), "classification_id")
        if classification_id not in national.CLASSIFICATION_IDS:
            raise SimHTTPError(422, "classification_id tidak dikenal")
        disposition_id = _int(payload.get("disposition_id"), "disposition_id")
        if self.institution_name(disposition_id) is None:
            raise SimHTTPError(422, "disposition_id tidak dikenal")
        category_id = _int(payload.get("category_id"), "category_id")
        if category_id not in national.CATEGORY_IDS:
            raise SimHTTPError(422, "category_id tidak dikenal")
        attachments = _id_list(payload.get("attachments"), "attachments")
        copy_externals = _id_list(payload.get("copy_externals"), "copy_externals")
        is_anonymous = _flag(payload.get("is_anonymous", 0), "is_anonymous")
        is_secret = _flag(payload.get("is_secret", 0), "is_secret")
        tags_raw = payload.get("tags_raw") or ""
        if not isinstance(tags_raw, str):
            raise SimHTTPError(422, "tags_raw must be a string")
        async with self.lock:
            unknown = [doc for doc in attachments if doc not in self.store.docs]
            if unknown:
                raise SimHTTPError(422, f"attachments tidak dikenal: {unknown}")
            now = self.now()
            complaint_id = self.store.new_complaint_id()
            reporter_name = payload.get("reporter_name")
            complaint = {
                "id": complaint_id,
                "source": "instansi",
                "title": title.strip(),
                "content": content,
                "channel": _int(payload.get("channel"), "channel", required=False),
                "user_id": _int(payload.get("user_id"), "user_id", required=False),
                "classification_id": classification_id,
                "disposition_id": disposition_id,
                "category_id": category_id,
                "location_id": _int(payload.get("location_id"), "location_id", required=False),
                "date_of_incident": payload.get("date_of_incident"),
                "copy_externals": copy_externals,
                "info_disposition": payload.get("info_disposition"),
                "tags_raw": tags_raw,
                "is_anonymous": is_anonymous,
                "is_secret": is_secret,
                "attachments": attachments,
                "reporter": {"name": reporter_name} if reporter_name else None,
                "status_code": national.BELUM_TERVERIFIKASI,
                "created_at": now,
                "updated_at": now,
                "followups": [],
                "logs": [],
                "rating": None,
                "payload": payload,
            }
            self._log(
                complaint,
                institution_from="Pelapor",
                institution_to=self.institution_name(disposition_id),
                content="Laporan dibuat",
                status_old=None,
                status_new=national.BELUM_TERVERIFIKASI,
            )
            self.store.complaints[complaint_id] = complaint
            await self._persist()
        return complaint_id

    async def upload(self, files: list[UploadFile]) -> list[dict[str, Any]]:
        docs = []
        for upload in files:
            size = len(await upload.read())
            docs.append(
                {
                    "name": upload.filename or "lampiran",
                    "size": size,
                    "content_type": upload.content_type,
                }
            )
        async with self.lock:
            for doc in docs:
                doc["id"] = self.store.new_doc_id()
                self.store.docs[doc["id"]] = doc
            await self._persist()
        return docs

    async def add_followup(self, form: Any) -> dict[str, Any]:
        complaint_id = _int(form.get("complaint_id"), "complaint_id")
        content = form.get("content")
        if not isinstance(content, str) or not content.strip():
            raise SimHTTPError(422, "content is required")
        status_code = _int(form.get("status_code"), "status_code", required=False)
        if status_code is not None and status_code not in national.STATUS_NAMES:
            raise SimHTTPError(422, "status_code tidak dikenal")
        attachments = []
        for key, value in form.multi_items():
            if key.startswith("attachment[") and isinstance(value, UploadFile):
                attachments.append({"name": value.filename, "size": len(await value.read())})
        async with self.lock:
            complaint = self._get(complaint_id)
            now = self.now()
            followup = {
                "id": self.store.new_followup_id(),
                "complaint_id": complaint_id,
                "content": content,
                "from": "instansi",
                "user_id": _int(form.get("user_id"), "user_id", required=False),
                "institution_from_id": _int(
                    form.get("institution_from_id"), "institution_from_id", required=False
                ),
                "institution_to_id": _int(
                    form.get("institution_to_id"), "institution_to_id", required=False
                ),
                "template_code": form.get("template_code") or None,
                "info_disposition": form.get("info_disposition") or None,
                "rating": _int(form.get("rating"), "rating", required=False),
                "is_secret": _flag(form.get("is_secret") or 0, "is_secret"),
                "attachments": attachments,
                "created_at": now,
            }
            complaint["followups"].append(followup)
            old = complaint["status_code"]
            new = status_code
            if new is None and old in (
                national.BELUM_TERVERIFIKASI,
                national.DIPENDING,
                national.TERVERIFIKASI,
            ):
                new = national.DITINDAKLANJUTI  # a response moves the case on
            if new is not None and new != old:
                complaint["status_code"] = new
                self._log(
                    complaint,
                    institution_from=self.institution_name(followup["institution_from_id"]),
                    institution_to="Pelapor",
                    content="Tindak lanjut",
                    status_old=old,
                    status_new=new,
                )
            complaint["updated_at"] = now
            await self._persist()
        return followup

    async def reject(self, complaint_id: int, payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise SimHTTPError(422, "body must be a JSON object")
        target = _int(payload.get("reason"), "reason")
        if target == self.institution_id or self.institution_name(target) is None:
            raise SimHTTPError(422, "reason must be another known institution id")
        description = payload.get("reason_description") or ""
        async with self.lock:
            complaint = self._get(complaint_id)
            if complaint["disposition_id"] != self.institution_id:
                raise SimHTTPError(409, "Laporan tidak lagi didisposisikan ke instansi ini")
            complaint["disposition_id"] = target
            log = self._log(
                complaint,
                institution_from=self.institution_name(self.institution_id),
                institution_to=self.institution_name(target),
                content=description or "Bukan wewenang",
                status_old=complaint["status_code"],
                status_new=complaint["status_code"],
            )
            complaint["updated_at"] = self.now()
            await self._persist()
        return {"complaint": complaint, "log": log}

    async def update_privacy(self, complaint_id: int, payload: Any) -> dict[str, Any]:
        """[model] ``POST /complaints/{id}/privacy`` {``is_anonymous``, ``is_secret``}: the
        instansi changes anonim/rahasia after creating the case. Making a case anonymous
        drops the reporter's identity from the national store (as a real one would hide
        it from everyone)."""
        if not isinstance(payload, dict):
            raise SimHTTPError(422, "body must be a JSON object")
        is_anonymous = _flag(payload.get("is_anonymous", 0), "is_anonymous")
        is_secret = _flag(payload.get("is_secret", 0), "is_secret")
        async with self.lock:
            complaint = self._get(complaint_id)
            if complaint["disposition_id"] != self.institution_id:
                raise SimHTTPError(409, "Laporan tidak lagi didisposisikan ke instansi ini")
            complaint["is_anonymous"] = is_anonymous
            complaint["is_secret"] = is_secret
            if is_anonymous:
                complaint["reporter"] = None
            complaint["updated_at"] = self.now()
            await self._persist()
        return {"complaint_id": complaint_id, "is_anonymous": is_anonymous, "is_secret": is_secret}

    def list_complaints(
        self,
        *,
        disposition_id: int | None,
        updated_since: float | None,
        tags: str | None,
        page: int,
        page_size: int,
    ) -> dict[str, Any]:
        wanted = set()
        for tag in (tags or "").replace(",", " ").split():
            wanted.add((tag if tag.startswith("#") else "#" + tag).lower())
        items = [
            c
            for c in self.store.complaints.values()
            if (disposition_id is None or c["disposition_id"] == disposition_id)
            # Inclusive, at the API's one-second precision: re-reading is cheaper than a gap.
            and (updated_since is None or c["updated_at"] >= updated_since)
            and (not wanted or wanted & _tags(c["tags_raw"]))
        ]
        items.sort(key=lambda c: (c["updated_at"], c["id"]))
        start = (page - 1) * page_size
        return envelope(
            [self.complaint_data(c) for c in items[start : start + page_size]],
            pagination={
                "page": page,
                "page_size": page_size,
                "total": len(items),
                "total_pages": (len(items) + page_size - 1) // page_size,
            },
        )

    # -- national-side actions (each a callback when on) ------------------------------------
    async def forward_in(self, body: ForwardIn) -> int:
        if body.category_id not in national.CATEGORY_IDS:
            raise SimHTTPError(422, "category_id tidak dikenal")
        reporter = body.reporter
        if isinstance(reporter, str):
            reporter = {"name": reporter}
        async with self.lock:
            now = self.now()
            complaint_id = self.store.new_complaint_id()
            complaint = {
                "id": complaint_id,
                "source": "national",
                "title": body.title,
                "content": body.content,
                "channel": 1,
                "user_id": None,
                "classification_id": body.classification_id,
                "disposition_id": self.institution_id,
                "category_id": body.category_id,
                "location_id": None,
                "date_of_incident": None,
                "copy_externals": [],
                "info_disposition": "Diteruskan oleh Admin Nasional",
                "tags_raw": body.tags_raw,
                "is_anonymous": int(body.is_anonymous),
                "is_secret": int(body.is_secret),
                "attachments": [],
                "reporter": reporter,
                "status_code": national.TERVERIFIKASI,
                "created_at": now,
                "updated_at": now,
                "followups": [],
                "logs": [],
                "rating": None,
                "payload": None,
            }
            self._log(
                complaint,
                institution_from="Admin Nasional",
                institution_to=self.institution_name(self.institution_id),
                content="Diteruskan oleh Admin Nasional",
                status_old=None,
                status_new=national.TERVERIFIKASI,
            )
            self.store.complaints[complaint_id] = complaint
            await self._persist()
            event = self._event(EVENT_FORWARDED_IN, complaint)
        self.callbacks.emit(event)
        return complaint_id

    async def set_status(self, complaint_id: int, status_code: int) -> dict[str, Any]:
        async with self.lock:
            complaint = self._get(complaint_id)
            old = complaint["status_code"]
            complaint["status_code"] = status_code
            self._log(
                complaint,
                institution_from="Admin Nasional",
                institution_to=self.institution_name(complaint["disposition_id"]),
                content="Status diubah",
                status_old=old,
                status_new=status_code,
            )
            complaint["updated_at"] = self.now()
            await self._persist()
            event = self._event(EVENT_STATUS_CHANGED, complaint, status_old=old)
        self.callbacks.emit(event)
        return {
            "complaint_id": complaint_id,
            "status_code": status_code,
            "status_name": national.status_name(status_code),
        }

    async def reporter_followup(self, complaint_id: int, content: str) -> int:
        async with self.lock:
            complaint = self._get(complaint_id)
            now = self.now()
            followup = {
                "id": self.store.new_followup_id(),
                "complaint_id": complaint_id,
                "content": content,
                "from": "pelapor",
                "institution_from_id": None,
                "institution_to_id": complaint["disposition_id"],
                "is_secret": 0,
                "attachments": [],
                "created_at": now,
            }
            complaint["followups"].append(followup)
            complaint["updated_at"] = now
            await self._persist()
            event = self._event(EVENT_FOLLOWUP_ADDED, complaint, followup)
        self.callbacks.emit(event)
        return followup["id"]

    async def rate(self, complaint_id: int, score: int, comment: str) -> None:
        async with self.lock:
            complaint = self._get(complaint_id)
            now = self.now()
            complaint["rating"] = {"score": score, "comment": comment, "created_at": now}
            complaint["updated_at"] = now
            await self._persist()
            event = self._event(EVENT_RATED, complaint, rating={"score": score, "comment": comment})
        self.callbacks.emit(event)


# -- /_sim/ request bodies -------------------------------------------------------------------
class ForwardIn(BaseModel):
    title: str = Field(min_length=1)
    content: str = Field(min_length=1)
    category_id: int = 999
    reporter: dict[str, Any] | str | None = None
    classification_id: int = 1
    is_anonymous: bool = False
    is_secret: bool = False
    tags_raw: str = ""


class StatusIn(BaseModel):
    status_code: int


class ReporterFollowupIn(BaseModel):
    content: str = Field(min_length=1)


class RatingIn(BaseModel):
    score: int = Field(ge=1, le=5)
    comment: str = ""


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


async def require_loopback(request: Request) -> None:
    """``/_sim/`` is for tests and the demo on this machine only. ``request.client`` is
    the TCP peer even when the simulator is mounted inside another app."""
    if not _is_loopback(request.client.host if request.client else None):
        raise SimHTTPError(403, "/_sim/ only answers loopback clients")


def _api_router(sim: Simulator) -> APIRouter:
    router = APIRouter(dependencies=[Depends(sim.gate)], tags=["SP4N-LAPOR! API"])

    @router.post("/complaints/complaint")
    async def create_complaint(request: Request) -> dict[str, Any]:
        try:
            payload = await request.json()
        except ValueError:
            raise SimHTTPError(422, "body must be JSON") from None
        complaint_id = await sim.create_complaint(payload)
        await sim.after_commit(request)
        return sim.create_answer(complaint_id)

    @router.post("/complaints/complaint/file")
    async def upload_files(request: Request) -> dict[str, Any]:
        async with request.form(max_files=MAX_UPLOAD_FILES) as form:
            files = [f for f in form.getlist("attachments[]") if isinstance(f, UploadFile)]
            if not files:
                raise SimHTTPError(422, "attachments[] is required")
            docs = await sim.upload(files)
        return {"results": {"docs": docs, "data_logs": []}}

    @router.get("/complaints/{complaint_id}/complaint")
    async def get_complaint(complaint_id: int) -> dict[str, Any]:
        async with sim.lock:
            complaint = sim._get(complaint_id)
            return envelope(
                sim.complaint_data(complaint), [sim.log_data(log) for log in complaint["logs"]]
            )

    @router.get("/complaints/{complaint_id}/followups")
    async def get_followups(complaint_id: int) -> dict[str, Any]:
        async with sim.lock:
            complaint = sim._get(complaint_id)
            return envelope([sim.followup_data(f) for f in complaint["followups"]])

    @router.post("/complaints/followup/add")
    async def add_followup(request: Request) -> dict[str, Any]:
        async with request.form(max_files=MAX_UPLOAD_FILES) as form:
            followup = await sim.add_followup(form)
        await sim.after_commit(request)
        return envelope({"id": followup["id"], "complaint_id": followup["complaint_id"]})

    @router.post("/complaints/process/{complaint_id}/reject")
    async def reject(complaint_id: int, request: Request) -> dict[str, Any]:
        try:
            payload = await request.json()
        except ValueError:
            raise SimHTTPError(422, "body must be JSON") from None
        result = await sim.reject(complaint_id, payload)
        complaint = result["complaint"]
        return envelope(
            {"complaint_id": complaint["id"], "disposition_id": complaint["disposition_id"]},
            [sim.log_data(result["log"])],
        )

    @router.post("/complaints/{complaint_id}/privacy")
    async def update_privacy(complaint_id: int, request: Request) -> dict[str, Any]:
        try:
            payload = await request.json()
        except ValueError:
            raise SimHTTPError(422, "body must be JSON") from None
        return envelope(await sim.update_privacy(complaint_id, payload))

    @router.get("/complaints")
    async def list_complaints(
        disposition_id: int | None = None,
        updated_since: str | None = None,
        tags: str | None = None,
        page: int = 1,
        page_size: int = 50,
    ) -> dict[str, Any]:
        since = None
        if updated_since:
            try:
                since = parse_date(updated_since)
            except ValueError:
                raise SimHTTPError(422, "updated_since must be d-m-Y H:i:s") from None
        if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise SimHTTPError(422, f"page >= 1 and 1 <= page_size <= {MAX_PAGE_SIZE}")
        async with sim.lock:
            return sim.list_complaints(
                disposition_id=disposition_id,
                updated_since=since,
                tags=tags,
                page=page,
                page_size=page_size,
            )

    @router.get("/masters/institutions/external")
    async def institutions(page_size: int = 50) -> dict[str, Any]:
        return envelope(sim.institutions()[: max(page_size, 0)])

    @router.get("/masters/templates")
    async def templates(page_size: int = 50) -> dict[str, Any]:
        return envelope(national.TEMPLATES[: max(page_size, 0)])

    @router.get("/masters/categories")
    async def categories(page_size: int = 50) -> dict[str, Any]:
        return envelope(national.CATEGORIES[: max(page_size, 0)])

    return router


def _sim_router(sim: Simulator) -> APIRouter:
    router = APIRouter(prefix="/_sim", dependencies=[Depends(require_loopback)], tags=["simulator"])

    @router.get("/faults")
    async def get_faults() -> dict[str, Any]:
        return sim.faults.model_dump()

    @router.put("/faults")
    async def put_faults(changes: dict[str, Any] = Body(...)) -> dict[str, Any]:
        return sim.update_faults(changes).model_dump()

    @router.delete("/faults")
    async def delete_faults() -> dict[str, Any]:
        return sim.reset_faults().model_dump()

    @router.get("/complaints")
    async def all_complaints() -> dict[str, Any]:
        async with sim.lock:
            return {"complaints": [sim.sim_view(c) for c in sim.store.complaints.values()]}

    @router.get("/complaints/{complaint_id}")
    async def one_complaint(complaint_id: int) -> dict[str, Any]:
        async with sim.lock:
            return sim.sim_view(sim._get(complaint_id))

    @router.get("/stats")
    async def stats() -> dict[str, int]:
        return sim.stats()

    @router.post("/national/forward")
    async def forward(body: ForwardIn) -> dict[str, Any]:
        return {"complaint_id": await sim.forward_in(body)}

    @router.post("/complaints/{complaint_id}/status")
    async def status(complaint_id: int, body: StatusIn) -> dict[str, Any]:
        return await sim.set_status(complaint_id, body.status_code)

    @router.post("/complaints/{complaint_id}/followups")
    async def reporter_followup(complaint_id: int, body: ReporterFollowupIn) -> dict[str, Any]:
        return {"followup_id": await sim.reporter_followup(complaint_id, body.content)}

    @router.post("/complaints/{complaint_id}/rating")
    async def rating(complaint_id: int, body: RatingIn) -> dict[str, Any]:
        await sim.rate(complaint_id, body.score, body.comment)
        return {"complaint_id": complaint_id, "score": body.score}

    @router.post("/callbacks/drain")
    async def drain() -> dict[str, int]:
        """Wait for scheduled callbacks to be delivered (or given up); for tests."""
        await sim.callbacks.drain()
        return sim.stats()

    @router.post("/reset")
    async def reset() -> dict[str, Any]:
        await sim.reset()
        return {"reset": True}

    return router


def _error(status_code: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"results": {"message": message}}, status_code=status_code, headers=headers)


def create_simulator_app(
    *,
    auth_key: str = DEMO_AUTH_KEY,
    token: str = DEMO_TOKEN,
    institution_id: int = DEMO_INSTITUTION_ID,
    callback_url: str | None = None,
    callback_secret: str = DEMO_CALLBACK_SECRET,
    state_file: str | None = None,
) -> FastAPI:
    """The simulator app. ``app.state.simulator`` is its :class:`Simulator`."""
    sim = Simulator(
        auth_key=auth_key,
        token=token,
        institution_id=institution_id,
        callback_url=callback_url,
        callback_secret=callback_secret,
        state_file=state_file,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield  # standalone only: a mounted sub-app's lifespan is not run
        await sim.aclose()

    app = FastAPI(
        title="SP4N-LAPOR! simulator",
        description=__doc__,
        version="3.0.0-sim",
        lifespan=lifespan,
    )
    app.state.simulator = sim

    @app.exception_handler(SimHTTPError)
    async def sim_error(_: Request, exc: SimHTTPError) -> JSONResponse:
        return _error(exc.status_code, exc.message, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, f"invalid request: {exc.errors()}")

    app.include_router(_api_router(sim))
    app.include_router(_sim_router(sim))
    return app


def get_simulator(app: FastAPI) -> Simulator:
    return app.state.simulator


async def close_simulator(app: FastAPI) -> None:
    """Shutdown hook for a mounted simulator (its own lifespan does not run then)."""
    await get_simulator(app).aclose()
