"""The simulated national side: its store, what the API's calls do to it (not idempotent on
create, like the real one), and what national admins and reporters do (``/_sim/``).

Every change holds ``lock`` and persists a snapshot when a ``state_file`` is set; national
actions become signed callbacks when callbacks are on, and are visible to polling either
way (:mod:`services.sync.simulator.actions`). How answers look is
:mod:`services.sync.simulator.rendering`'s.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from starlette.datastructures import UploadFile

from services.sync.simulator import national, rendering
from services.sync.simulator import validation as check
from services.sync.simulator.callbacks import CallbackSender, CallbackStats
from services.sync.simulator.faults import Faults
from services.sync.simulator.gate import Gate
from services.sync.simulator.repository import Store, write_atomically
from services.sync.simulator.validation import SimHTTPError
from shared.config import DEMO_LAPOR_ADMIN_USER_ID, DEMO_LAPOR_REPLY_TEMPLATE_CODE

DEMO_AUTH_KEY = "demo-auth-key"
DEMO_TOKEN = "demo-token"
DEMO_INSTITUTION_ID = 9001
DEMO_CALLBACK_SECRET = "demo-lapor-webhook-secret"
PELAPOR = {"id": None, "name": "Pelapor"}


class Simulator:
    """The national side: store, gate (faults, auth, limits), stats and callbacks."""

    def __init__(
        self,
        *,
        auth_key: str,
        token: str,
        institution_id: int,
        callback_url: str | None,
        callback_secret: str,
        state_file: str | None,
        admin_user_id: int = DEMO_LAPOR_ADMIN_USER_ID,
        reply_template_code: str = DEMO_LAPOR_REPLY_TEMPLATE_CODE,
    ) -> None:
        self.institution_id = int(institution_id)
        self.admin_user_id = int(admin_user_id)
        self.template_codes = {t["code"] for t in national.TEMPLATES} | {reply_template_code}
        self.state_file = state_file
        self.lock = asyncio.Lock()
        self.store = Store()
        if state_file:
            self.store.load(state_file)
        self.gate = Gate(auth_key=auth_key, token=token, faults=Faults(callback_url=callback_url))
        self._create_answers = 0
        self.callback_stats = CallbackStats()
        self.callbacks = CallbackSender(
            secret=callback_secret,
            faults=lambda: self.gate.faults,
            rng=lambda: self.gate.rng,
            stats=self.callback_stats,
        )

    @property
    def faults(self) -> Faults:
        return self.gate.faults

    # -- clock, stats, reset -----------------------------------------------------------
    def now(self) -> float:
        return time.time() + self.faults.clock_offset_s

    def stats(self) -> dict[str, int]:
        return {
            "complaints": len(self.store.complaints),
            "followups": self.store.followup_count,
            "requests": self.gate.requests,
            "errors_injected": self.gate.errors_injected,
            "rate_limited": self.gate.rate_limited,
            "callbacks_sent": self.callback_stats.sent,
            "callbacks_failed": self.callback_stats.failed,
            "callbacks_pending": self.callbacks.pending,
        }

    async def reset(self) -> None:
        await self.callbacks.cancel_pending()
        async with self.lock:
            self.store.clear()
            await self.persist()
        self.gate.reset()
        self.gate.clear_counters()
        self._create_answers = 0
        self.callback_stats.sent = self.callback_stats.failed = 0

    async def aclose(self) -> None:
        """Cancel pending callbacks and close the callback client (call on shutdown)."""
        await self.callbacks.aclose()

    async def persist(self) -> None:
        """Call with the lock held, so snapshots land in order."""
        if self.state_file:
            await asyncio.to_thread(write_atomically, self.state_file, self.store.snapshot())

    # -- reference data ----------------------------------------------------------------
    def institutions(self) -> list[dict[str, Any]]:
        own = {"id": self.institution_id, "name": national.OWN_INSTITUTION_NAME}
        return [own] + [i for i in national.EXTERNAL_INSTITUTIONS if i["id"] != own["id"]]

    def institution(self, institution_id: int | None) -> dict[str, Any] | None:
        for institution in self.institutions():
            if institution["id"] == institution_id:
                return dict(institution)
        return None

    def institution_name(self, institution_id: int | None) -> str | None:
        institution = self.institution(institution_id)
        return institution["name"] if institution else None

    # -- answers -------------------------------------------------------------------------
    def create_answer(self, complaint_id: int) -> dict[str, Any]:
        shape = rendering.rotated_shape(self.faults, self._create_answers)
        self._create_answers += 1
        return rendering.create_answer(shape, complaint_id)

    def detail(self, complaint_id: int) -> dict[str, Any]:
        complaint = self.get(complaint_id)
        return rendering.envelope(
            rendering.complaint_data(self.faults, complaint, self.institution_name),
            [rendering.log_data(self.faults, log) for log in complaint["logs"]],
        )

    def followups(self, complaint_id: int, page: int, url: str) -> dict[str, Any]:
        complaint = self.get(complaint_id)
        return rendering.followups_page(self.faults, complaint, page, url, self.institution_name)

    def event(
        self,
        event_type: str,
        complaint: dict[str, Any],
        followup: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        return rendering.callback_event(
            str(uuid.uuid4()), event_type, self.now(), complaint, followup, **extra
        )

    def log(
        self,
        complaint: dict[str, Any],
        *,
        source: dict[str, Any] | None,
        target: dict[str, Any] | None,
        template: str,
        status_old: int | None,
        status_new: int | None,
        note: str | None = None,
    ) -> dict[str, Any]:
        log = {
            "from": source,
            "to": target,
            "template": template,
            "status_old": status_old,
            "status_new": status_new,
            "note": note or "",
            "date": self.now(),
        }
        complaint["logs"].append(log)
        if status_new is not None and status_new != status_old:
            complaint.setdefault("status_logs", []).append(
                {"note": note or "", "timestamp": log["date"], "status_code": status_new}
            )
        return log

    def get(self, complaint_id: int) -> dict[str, Any]:
        complaint = self.store.complaints.get(complaint_id)
        if complaint is None:
            raise SimHTTPError(404, f"Laporan {complaint_id} tidak ditemukan")
        return complaint

    def new_complaint(self, **values: Any) -> dict[str, Any]:
        now = self.now()
        complaint = {
            "id": self.store.new_complaint_id(),
            "channel": None,
            "user_id": None,
            "location_id": None,
            "date_of_incident": None,
            "copy_externals": [],
            "attachments": [],
            "created_at": now,
            "updated_at": now,
            "followups": [],
            "logs": [],
            "status_logs": [],
            "rating": None,
            "payload": None,
            **values,
        }
        self.store.complaints[complaint["id"]] = complaint
        return complaint

    # -- the API's writes ----------------------------------------------------------------
    async def create_complaint(self, payload: Any) -> int:
        if not isinstance(payload, dict):
            raise SimHTTPError(422, "body must be a JSON object")
        title = check.text(payload.get("title"), "title")
        content = check.text(payload.get("content"), "content")
        classification_id = check.integer(payload.get("classification_id"), "classification_id")
        if classification_id not in national.CLASSIFICATION_IDS:
            raise SimHTTPError(422, "classification_id tidak dikenal")
        disposition_id = check.integer(payload.get("disposition_id"), "disposition_id")
        if self.institution(disposition_id) is None:
            raise SimHTTPError(422, "disposition_id tidak dikenal")
        category_id = check.integer(payload.get("category_id"), "category_id")
        if category_id not in national.CATEGORY_IDS:
            raise SimHTTPError(422, "category_id tidak dikenal")
        attachments = check.id_list(payload.get("attachments"), "attachments")
        copy_externals = check.id_list(payload.get("copy_externals"), "copy_externals")
        is_anonymous = check.flag(payload.get("is_anonymous", 0), "is_anonymous")
        is_secret = check.flag(payload.get("is_secret", 0), "is_secret")
        tags_raw = payload.get("tags_raw") or ""
        if not isinstance(tags_raw, str):
            raise SimHTTPError(422, "tags_raw must be a string")
        async with self.lock:
            unknown = [doc for doc in attachments if doc not in self.store.docs]
            if unknown:
                raise SimHTTPError(422, f"attachments tidak dikenal: {unknown}")
            reporter_name = payload.get("reporter_name")
            complaint = self.new_complaint(
                source="instansi",
                title=title.strip(),
                content=content,
                channel=check.integer(payload.get("channel"), "channel", required=False),
                user_id=check.integer(payload.get("user_id"), "user_id", required=False),
                classification_id=classification_id,
                disposition_id=disposition_id,
                category_id=category_id,
                location_id=check.integer(
                    payload.get("location_id"), "location_id", required=False
                ),
                date_of_incident=payload.get("date_of_incident"),
                copy_externals=copy_externals,
                info_disposition=payload.get("info_disposition"),
                tags_raw=tags_raw,
                is_anonymous=is_anonymous,
                is_secret=is_secret,
                attachments=attachments,
                reporter={"name": reporter_name} if reporter_name else None,
                status_code=national.BELUM_TERVERIFIKASI,
                payload=payload,
            )
            self.log(
                complaint,
                source=dict(PELAPOR),
                target=self.institution(disposition_id),
                template=national.LOG_CREATED,
                status_old=None,
                status_new=national.BELUM_TERVERIFIKASI,
                note="Laporan diterima",
            )
            await self.persist()
        return complaint["id"]

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
            await self.persist()
        return docs

    async def add_followup(self, form: Any) -> dict[str, Any]:
        """``followup/add`` as [seen]: posted by the instansi's **admin** user, from this
        instansi, to the instansi the case sits with, with a known template."""
        complaint_id = check.integer(form.get("complaint_id"), "complaint_id")
        content = check.text(form.get("content"), "content")
        user_id = check.integer(form.get("user_id"), "user_id")
        if user_id != self.admin_user_id:
            raise SimHTTPError(403, "user_id bukan admin instansi")
        institution_from_id = check.integer(form.get("institution_from_id"), "institution_from_id")
        if institution_from_id != self.institution_id:
            raise SimHTTPError(403, "institution_from_id bukan instansi ini")
        institution_to_id = check.integer(form.get("institution_to_id"), "institution_to_id")
        template_code = form.get("template_code") or None
        if template_code not in self.template_codes:
            raise SimHTTPError(422, "template_code tidak dikenal")
        status_code = check.integer(form.get("status_code"), "status_code", required=False)
        if status_code is not None and status_code not in national.STATUS_NAMES:
            raise SimHTTPError(422, "status_code tidak dikenal")
        attachments = []
        for key, value in form.multi_items():
            if key.startswith("attachment[") and isinstance(value, UploadFile):
                attachments.append({"name": value.filename, "size": len(await value.read())})
        async with self.lock:
            complaint = self.get(complaint_id)
            if institution_to_id != complaint["disposition_id"]:
                raise SimHTTPError(422, "institution_to_id bukan instansi tempat laporan berada")
            followup = {
                "id": self.store.new_followup_id(),
                "complaint_id": complaint_id,
                "content": content,
                "from": "instansi",
                "user_id": user_id,
                "institution_from_id": institution_from_id,
                "institution_to_id": institution_to_id,
                "template_code": template_code,
                "info_disposition": form.get("info_disposition") or None,
                "rating": check.integer(form.get("rating"), "rating", required=False),
                "is_secret": check.flag(form.get("is_secret") or 0, "is_secret"),
                "attachments": attachments,
                "created_at": self.now(),
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
                self.log(
                    complaint,
                    source=self.institution(institution_from_id),
                    target=dict(PELAPOR),
                    template=national.LOG_FOLLOWUP,
                    status_old=old,
                    status_new=new,
                    note="Tindak lanjut instansi",
                )
            complaint["updated_at"] = followup["created_at"]
            await self.persist()
        return followup

    async def reject(self, complaint_id: int, payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise SimHTTPError(422, "body must be a JSON object")
        target = check.integer(payload.get("reason"), "reason")
        if target == self.institution_id or self.institution(target) is None:
            raise SimHTTPError(422, "reason must be another known institution id")
        description = payload.get("reason_description") or ""
        async with self.lock:
            complaint = self.get(complaint_id)
            if complaint["disposition_id"] != self.institution_id:
                raise SimHTTPError(409, "Laporan tidak lagi didisposisikan ke instansi ini")
            complaint["disposition_id"] = target
            log = self.log(
                complaint,
                source=self.institution(self.institution_id),
                target=self.institution(target),
                template=national.LOG_REJECTED,
                status_old=complaint["status_code"],
                status_new=complaint["status_code"],
                note=description or "Bukan wewenang",
            )
            complaint["updated_at"] = self.now()
            await self.persist()
        return {"complaint": complaint, "log": log}

    async def update_privacy(self, complaint_id: int, payload: Any) -> dict[str, Any]:
        """[model] ``POST /complaints/{id}/privacy`` {``is_anonymous``, ``is_secret``}: the
        instansi changes anonim/rahasia after creating the case. Making a case anonymous
        drops the reporter's identity from the national store (as a real one would hide
        it from everyone)."""
        if not isinstance(payload, dict):
            raise SimHTTPError(422, "body must be a JSON object")
        is_anonymous = check.flag(payload.get("is_anonymous", 0), "is_anonymous")
        is_secret = check.flag(payload.get("is_secret", 0), "is_secret")
        async with self.lock:
            complaint = self.get(complaint_id)
            if complaint["disposition_id"] != self.institution_id:
                raise SimHTTPError(409, "Laporan tidak lagi didisposisikan ke instansi ini")
            complaint["is_anonymous"] = is_anonymous
            complaint["is_secret"] = is_secret
            if is_anonymous:
                complaint["reporter"] = None
            complaint["updated_at"] = self.now()
            await self.persist()
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
        """[model] ``GET /complaints`` (404 with ``search`` off, as where it does not exist)."""
        if not self.faults.search:
            raise SimHTTPError(404, "Not Found")
        wanted = set()
        for tag in (tags or "").replace(",", " ").split():
            wanted.add((tag if tag.startswith("#") else "#" + tag).lower())
        items = [
            c
            for c in self.store.complaints.values()
            if (disposition_id is None or c["disposition_id"] == disposition_id)
            # Inclusive, at the API's one-second precision: re-reading is cheaper than a gap.
            and (updated_since is None or c["updated_at"] >= updated_since)
            and (not wanted or wanted & check.tags(c["tags_raw"]))
        ]
        items.sort(key=lambda c: (c["updated_at"], c["id"]))
        start = (page - 1) * page_size
        return rendering.envelope(
            [
                rendering.complaint_data(self.faults, c, self.institution_name)
                for c in items[start : start + page_size]
            ],
            pagination={
                "page": page,
                "page_size": page_size,
                "total": len(items),
                "total_pages": (len(items) + page_size - 1) // page_size,
            },
        )
