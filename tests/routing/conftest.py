"""Factories for routing tests: cases with a known reporter, tokens per role, action calls."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from shared.cases.service import ReporterInput
from tests import factories

#: A reporter whose identity must never reach a caller who may not see it.
NAME, PHONE, NIK, EMAIL = "Siti Rahmawati", "+6281234567890", "5102011234567890", "siti@example.id"
IDENTITY = (NAME, PHONE, NIK, EMAIL, "81234567890")


def identity_reporter() -> ReporterInput:
    return ReporterInput(
        channel="sms",
        channel_address=PHONE,
        name=NAME,
        phone=PHONE,
        phone_raw="081234567890",
        email=EMAIL,
        nik=NIK,
        postal_address="Jl. Melati 7, Tabanan",
    )


def assert_no_identity(text: str) -> None:
    for secret in IDENTITY:
        assert secret not in text, f"identity {secret!r} leaked"


@pytest.fixture
def open_case(app) -> Callable[..., Awaitable[str]]:
    """``await open_case(anonymous=True, category_code="JALAN")`` → tracking id (received)."""

    async def _open(**fields: Any) -> str:
        fields.setdefault("channel", "sms")
        fields.setdefault("description", "Jalan rusak berlubang di depan pasar Kediri")
        fields.setdefault("reporter", identity_reporter())
        return (await factories.open_case(app.state.db, **fields)).tracking_id

    return _open


@pytest.fixture
def auth(make_token) -> Callable[..., Awaitable[dict[str, str]]]:
    """``await auth("opd", "PUPR")`` → headers with a fresh bearer token."""

    async def _auth(role: str, opd: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {await make_token(role, opd)}"}

    return _auth


@pytest.fixture
def act(client: httpx.AsyncClient) -> Callable[..., Awaitable[httpx.Response]]:
    async def _act(
        headers: dict[str, str], tracking_id: str, action: str, body: dict | None = None
    ) -> httpx.Response:
        return await client.post(
            f"/admin/cases/{tracking_id}/{action}", json=body or {}, headers=headers
        )

    return _act


@pytest.fixture
def disposed(open_case, act, admin_headers) -> Callable[..., Awaitable[str]]:
    """A case verified and disposed to ``opd`` (with ``copies``)."""

    async def _disposed(opd: str = "PUPR", copies: list[str] | None = None, **fields: Any) -> str:
        fields.setdefault("category_code", "JALAN")
        tid = await open_case(**fields)
        assert (await act(admin_headers, tid, "verify")).status_code == 200
        r = await act(admin_headers, tid, "dispose", {"opd": opd, "copies": copies or []})
        assert r.status_code == 200, r.text
        return tid

    return _disposed
