"""The API docs work with no network: ``/docs`` (Swagger UI) and ``/redoc`` name no other
host, and every script, stylesheet and icon they load is served by Simpul itself."""

from __future__ import annotations

import re

import pytest

from shared.app import DOCS_ASSETS_URL

#: Any absolute URL or protocol-relative reference in the page.
EXTERNAL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}""", re.IGNORECASE)
ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']|(?:url)\s*:\s*['"]([^'"]+)['"]""")


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_docs_page_names_no_external_host_and_its_assets_are_served(client, path):
    page = await client.get(path)
    assert page.status_code == 200
    assert EXTERNAL.findall(page.text) == []
    assets = [a or b for a, b in ASSET.findall(page.text)]
    local = [a for a in assets if a.startswith(DOCS_ASSETS_URL)]
    assert local, f"{path} loads nothing from {DOCS_ASSETS_URL}: {assets}"
    for asset in local:
        answer = await client.get(asset)
        assert answer.status_code == 200, asset
        assert len(answer.content) > 100, asset
