"""Helpers of the console's daily-work tests: the hidden fields of one action's form on a
case page, a form submitted as an officer would, an SMS case opened through the factory."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests import factories
from tests.routing.conftest import identity_reporter

HIDDEN = re.compile(r'type="hidden" name="([^"]+)" value="([^"]*)"')


def form_of(html: str, action: str) -> dict[str, str]:
    """The hidden fields (csrf, version, seen_event) of one action's form on a case page."""
    start = html.index(f'id="aksi-{action}"')
    chunk = html[start : html.index("</form>", start)]
    return dict(HIDDEN.findall(chunk))


def form_url(tracking_id: str, action: str) -> str:
    if action == "assign":
        return f"/konsol/kasus/{tracking_id}/distribusi"
    return f"/konsol/kasus/{tracking_id}/aksi/{action}"


async def submit(
    client: httpx.AsyncClient,
    tracking_id: str,
    action: str,
    fields: dict[str, Any] | None = None,
    files: Any = None,
) -> httpx.Response:
    """Open the case page, fill ``action``'s form with ``fields``, send it (no redirect followed)."""
    page = await client.get(f"/konsol/kasus/{tracking_id}")
    assert page.status_code == 200, page.text
    data = {**form_of(page.text, action), **(fields or {})}
    return await client.post(form_url(tracking_id, action), data=data, files=files)


async def open_sms_case(app: Any, **fields: Any) -> str:
    """A case as it comes in by SMS, from a reporter with a name, phone, NIK and e-mail."""
    fields.setdefault("reporter", identity_reporter())
    case = await factories.open_case(app.state.db, channel="sms", **fields)
    return case.tracking_id
