"""Every stored attachment name goes through the one sanitiser (``display_filename``):
a provider's media file name is the sender's text, never a path."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from shared.models import Attachment

from .conftest import fixture_body

HOSTILE = ["../../../../etc/passwd", "..\\..\\windows\\win.ini", "C:\\x\\lap\x07oran.pdf", "..", ""]


def _telegram_document(name: str) -> bytes:
    payload = json.loads(fixture_body("telegram", "telegram_document.json"))
    payload["message"]["document"]["file_name"] = name
    return json.dumps(payload).encode()


def _whatsapp_document(name: str) -> bytes:
    payload = json.loads(fixture_body("whatsapp", "whatsapp_media.json"))
    value = payload["entry"][0]["changes"][0]["value"]
    value["messages"] = [m for m in value["messages"] if m["type"] == "document"]
    value["messages"][0]["document"]["filename"] = name
    payload["entry"][0]["changes"] = payload["entry"][0]["changes"][:1]
    return json.dumps(payload).encode()


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("channel", ["telegram", "whatsapp"])
async def test_a_media_file_name_is_stored_as_a_base_name_only(channel, name, webhooks, db):
    body = _telegram_document(name) if channel == "telegram" else _whatsapp_document(name)
    response = await webhooks.post(channel, body)
    assert response.status_code == 200, response.text
    async with db.session() as session:
        stored = (await session.scalars(select(Attachment.filename))).all()
    assert len(stored) == 1
    [filename] = stored
    assert filename and "/" not in filename and "\\" not in filename
    assert not filename.startswith(".") and filename.isprintable()
    assert filename in ("passwd", "win.ini", "laporan.pdf", "lampiran.pdf", "document-1")
