"""The SP4N-LAPOR! client: what each national call sends and how its answer is read
(``contracts/lapor-api.md``)::

    async with LaporClient.from_settings() as lapor:
        try:
            complaint_id = await lapor.create_complaint(case)
        except LaporUncertainOutcome:
            ...  # it may exist: never send again on a guess (see the mirror)

How a call goes out — the one ``httpx.AsyncClient``, the shared token bucket and circuit
breaker, retries of safe calls only — is :mod:`services.sync.lapor.transport`. Create is not
idempotent on LAPOR!, so after a timeout the caller (the outbox) looks before sending again
(a tag search where ``SIMPUL_LAPOR_SEARCH`` allows it, else an operator). What varies per
environment (header names, the create path, ids) comes from a :class:`LaporProfile`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from services.sync.lapor import answers, mapping
from services.sync.lapor.errors import LaporProtocolError, LaporUncertainOutcome
from services.sync.lapor.models import (
    CaseForLapor,
    LaporCategory,
    LaporComplaint,
    LaporFile,
    LaporFollowup,
    LaporInstitution,
    LaporPage,
    LaporTemplate,
)
from services.sync.lapor.profile import LaporProfile
from services.sync.lapor.transport import DEFAULT_MAX_CONNECTIONS, LaporTransport

DEFAULT_PAGE_SIZE = 100
MAX_TAG_SEARCH_PAGES = 20
#: Follow-ups are paged [seen]; a case with more pages than this is read in part (logged).
MAX_FOLLOWUP_PAGES = 50


def _secret(value: Any) -> str:
    return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)


class LaporClient(LaporTransport):
    """Async client of the SP4N-LAPOR! API. Create one per process; ``aclose()`` it."""

    def __init__(
        self,
        base_url: str,
        auth_key: Any,
        token: Any,
        *,
        profile: LaporProfile | None = None,
        institution_id: int | None = None,
        user_id: int | None = None,
        privacy_path: str | None = mapping.PATH_PRIVACY,
        **transport_options: Any,
    ) -> None:
        """``transport_options``: timeouts, rate, retries, breaker, clock — see
        :class:`~services.sync.lapor.transport.LaporTransport`."""
        if not _secret(auth_key) or not _secret(token):
            raise ValueError("SP4N-LAPOR! auth key and token must not be empty")
        profile = profile or LaporProfile()
        if institution_id is not None:
            profile = profile.with_(institution_id=int(institution_id))
        if user_id is not None:
            profile = profile.with_(user_id=int(user_id))
        self.profile = profile
        #: Empty: the national API has no call to change anonim/rahasia after the create.
        self.privacy_path = privacy_path or None
        super().__init__(
            base_url,
            mapping.auth_headers(_secret(auth_key), _secret(token), profile),
            **transport_options,
        )

    @classmethod
    def from_settings(cls, settings: Any = None, **overrides: Any) -> LaporClient:
        """A client from ``shared.config`` (``SIMPUL_LAPOR_*``)."""
        if settings is None:
            from shared.config import get_settings

            settings = get_settings()
        options: dict[str, Any] = {
            "profile": LaporProfile.from_settings(settings),
            "timeout_s": settings.lapor_timeout_s,
            "create_timeout_s": settings.lapor_create_timeout_s,
            "rate_limit_per_s": settings.lapor_rate_limit_per_s,
            "max_connections": max(DEFAULT_MAX_CONNECTIONS, 2 * settings.lapor_concurrency),
            "privacy_path": settings.lapor_privacy_path,
            "poll_share": settings.lapor_poll_share,
        }
        options.update(overrides)
        return cls(
            settings.effective_lapor_base_url,
            settings.lapor_auth_key,
            settings.lapor_token,
            **options,
        )

    async def __aenter__(self) -> LaporClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @property
    def institution_id(self) -> int:
        return self.profile.institution_id

    @property
    def user_id(self) -> int:
        return self.profile.user_id

    # -- the calls -------------------------------------------------------------------
    async def create_complaint(self, case: CaseForLapor | Mapping[str, Any]) -> int:
        """Create the national case; returns its ``complaint_id``.

        Not retried. :class:`LaporUncertainOutcome` means it may exist: never call again
        on a guess (:meth:`find_by_tag` only where search is trusted).
        """
        if isinstance(case, CaseForLapor):
            payload = mapping.build_create_payload(case, self.profile)
        else:
            payload = dict(case)
        body = await self._call(
            "create_complaint",
            "POST",
            self.profile.create_path,
            idempotent=False,
            json=payload,
            timeout=self.create_timeout,
        )
        try:
            return answers.parse_create_answer(body)
        except LaporProtocolError as exc:
            raise LaporUncertainOutcome(
                "create answered 2xx without a readable complaint id: "
                + answers.redacted_body(body),
                operation="create_complaint",
            ) from exc

    async def upload_files(self, files: Sequence[LaporFile]) -> list[int]:
        """Upload attachments; returns their ids (images and docs) for
        ``CaseForLapor.attachment_ids``.

        Not retried; an uncertain upload can simply be repeated (an orphan doc is harmless).
        """
        if not files:
            return []
        multipart = [(mapping.UPLOAD_FIELD, (f.filename, f.content, f.content_type)) for f in files]
        body = await self._call(
            "upload_files", "POST", mapping.PATH_UPLOAD, idempotent=False, files=multipart
        )
        return answers.parse_upload_answer(body)

    async def get_complaint(self, complaint_id: int) -> LaporComplaint:
        path = mapping.PATH_COMPLAINT.format(complaint_id=int(complaint_id))
        body = await self._call("get_complaint", "GET", path, idempotent=True)
        return answers.parse_complaint_answer(body, self.profile)

    async def get_followups(self, complaint_id: int) -> list[LaporFollowup]:
        """Every follow-up of a case, page after page to the last (``next_page_url``)."""
        path = mapping.PATH_FOLLOWUPS.format(complaint_id=int(complaint_id))
        followups: list[LaporFollowup] = []
        page: int | None = 1
        for _ in range(MAX_FOLLOWUP_PAGES):
            if page is None:
                return followups
            body = await self._call(
                "get_followups", "GET", path, idempotent=True, params={"page": page}
            )
            items, page = answers.parse_followups_page(
                body, int(complaint_id), page=page, profile=self.profile
            )
            followups.extend(items)
        if page is not None:
            raise LaporProtocolError(
                f"follow-ups of {complaint_id} go beyond {MAX_FOLLOWUP_PAGES} pages",
                operation="get_followups",
            )
        return followups

    async def add_followup(
        self,
        complaint_id: int,
        content: str,
        *,
        institution_to_id: int | None = None,
        is_secret: bool = False,
        rating: int | None = None,
        status_code: int | None = None,
        attachments: Sequence[LaporFile] = (),
        private_terms: Sequence[str] = (),
    ) -> int | None:
        """Post a response (tindak lanjut). Not idempotent, not retried: on
        :class:`LaporUncertainOutcome` compare :meth:`get_followups` before resending.
        Returns the follow-up id when the answer names one. ``institution_to_id``: where
        the case sits nationally (default: this instansi)."""
        form = mapping.build_followup_form(
            complaint_id=complaint_id,
            content=content,
            profile=self.profile,
            institution_to_id=institution_to_id,
            is_secret=is_secret,
            rating=rating,
            status_code=status_code,
            private_terms=private_terms,
        )
        # Every field as a multipart part (filename None), as the API expects multipart.
        parts: list[tuple[str, tuple[str | None, Any, str | None]]] = [
            (name, (None, value, None)) for name, value in form.items()
        ]
        for index, f in enumerate(attachments):
            field = mapping.FOLLOWUP_ATTACHMENT_FIELD.format(index=index)
            parts.append((field, (f.filename, f.content, f.content_type)))
        body = await self._call(
            "add_followup", "POST", mapping.PATH_FOLLOWUP_ADD, idempotent=False, files=parts
        )
        return answers.parse_followup_answer(body)

    async def reject_not_authority(
        self, complaint_id: int, target_institution_id: int, reason_description: str
    ) -> None:
        """ "Bukan wewenang": hand the case to another instansi. Not retried."""
        path = mapping.PATH_REJECT.format(complaint_id=int(complaint_id))
        payload = mapping.build_reject_payload(target_institution_id, reason_description)
        await self._call("reject_not_authority", "POST", path, idempotent=False, json=payload)

    @property
    def supports_privacy_update(self) -> bool:
        return self.privacy_path is not None

    async def update_privacy(
        self, complaint_id: int, *, is_anonymous: bool, is_secret: bool
    ) -> None:
        """[model] Set anonim/rahasia of a national case as they are now (a plain set: safe
        to send again after an uncertain answer). Not retried here."""
        if self.privacy_path is None:
            raise LaporProtocolError(
                "SP4N-LAPOR! has no privacy call here (SIMPUL_LAPOR_PRIVACY_PATH is empty)",
                operation="update_privacy",
            )
        path = self.privacy_path.format(complaint_id=int(complaint_id))
        payload = mapping.build_privacy_payload(is_anonymous=is_anonymous, is_secret=is_secret)
        await self._call("update_privacy", "POST", path, idempotent=False, json=payload)

    async def list_complaints(
        self,
        *,
        updated_since: datetime | None = None,
        tags: str | Sequence[str] | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
        disposition_id: int | None = None,
        all_institutions: bool = False,
    ) -> LaporPage:
        """One page of cases changed since ``updated_since`` (inclusive, second precision).

        Scoped to this instansi (``disposition_id`` defaults to ours) unless
        ``all_institutions``; ``tags`` searches ``tags_raw``.
        """
        if disposition_id is None and not all_institutions:
            disposition_id = self.institution_id
        params = mapping.build_list_params(
            disposition_id=disposition_id,
            updated_since=updated_since,
            tags=tags,
            page=page,
            page_size=page_size,
        )
        body = await self._call(
            "list_complaints", "GET", mapping.PATH_LIST, idempotent=True, params=params
        )
        return answers.parse_page(body, page=page, page_size=page_size, profile=self.profile)

    async def iter_complaints(
        self,
        *,
        updated_since: datetime | None = None,
        tags: str | Sequence[str] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        all_institutions: bool = False,
        max_pages: int | None = None,
    ) -> AsyncIterator[LaporComplaint]:
        """Every case of :meth:`list_complaints`, page after page."""
        page = 1
        while max_pages is None or page <= max_pages:
            result = await self.list_complaints(
                updated_since=updated_since,
                tags=tags,
                page=page,
                page_size=page_size,
                all_institutions=all_institutions,
            )
            for item in result.items:
                yield item
            if not result.has_more or not result.items:
                return
            page += 1

    async def find_all_by_tag(self, tracking_id: str) -> list[LaporComplaint]:
        """Every national case tagged ``#simpul-<tracking_id>``, oldest first (several
        exist only if a create was sent twice). Searches all dispositions, since national
        admins may have moved the case."""
        tag = mapping.tracking_tag(tracking_id)
        found = [
            item
            async for item in self.iter_complaints(
                tags=tag, all_institutions=True, max_pages=MAX_TAG_SEARCH_PAGES
            )
            if mapping.has_tag(item.tags_raw, tag)
        ]
        return sorted(found, key=lambda item: item.complaint_id)

    async def find_by_tag(self, tracking_id: str) -> LaporComplaint | None:
        """The national case made for a Simpul tracking ID, or ``None``: call this after
        :class:`LaporUncertainOutcome` on create, before creating again."""
        found = await self.find_all_by_tag(tracking_id)
        return found[0] if found else None

    async def list_institutions(self, page_size: int = 1000) -> list[LaporInstitution]:
        body = await self._call(
            "list_institutions",
            "GET",
            mapping.PATH_INSTITUTIONS,
            idempotent=True,
            params={"page_size": page_size},
        )
        return answers.parse_institutions(body)

    async def list_categories(self, page_size: int = 1000) -> list[LaporCategory]:
        body = await self._call(
            "list_categories",
            "GET",
            mapping.PATH_CATEGORIES,
            idempotent=True,
            params={"page_size": page_size},
        )
        return answers.parse_categories(body)

    async def list_templates(self, page_size: int = 100) -> list[LaporTemplate]:
        body = await self._call(
            "list_templates",
            "GET",
            mapping.PATH_TEMPLATES,
            idempotent=True,
            params={"page_size": page_size},
        )
        return answers.parse_templates(body)
