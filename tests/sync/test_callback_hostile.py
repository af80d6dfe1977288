"""``POST /webhooks/lapor`` with what an attacker or a broken sender puts in a callback:
every one a 401 or 422 naming the problem, never a 500, and nothing stored."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from services.sync.lapor import signing
from shared.guard import INVALID, MAX_STORED_INT, stored_int
from shared.models.sync import LaporCallback

SECRET = "demo-lapor-webhook-secret"


def _signed(body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    return {
        "Content-Type": "application/json",
        signing.TIMESTAMP_HEADER: ts,
        signing.SIGNATURE_HEADER: signing.sign(SECRET, ts, body),
    }


async def _stored(db) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(LaporCallback)))


@pytest.mark.parametrize(
    "complaint_id",
    [b"1e400", b"Infinity", b"-Infinity", b"NaN", b"1" + b"0" * 30, b"-5", b"0", b"1.5", b"true"],
)
async def test_a_complaint_id_out_of_range_is_422(client, db, complaint_id):
    body = b'{"event_id": "e-1", "type": "complaint.status_changed", "complaint_id": '
    body += complaint_id + b"}"
    response = await client.post("/webhooks/lapor", content=body, headers=_signed(body))
    assert response.status_code == 422, response.text
    assert await _stored(db) == 0


@pytest.mark.parametrize("signature", ["v1=é", "v1=\u00ff" * 40, "v1=😀".encode()])
async def test_a_non_ascii_signature_is_401_not_500(client, db, signature):
    body = json.dumps({"event_id": "e-2", "complaint_id": 1}).encode()
    headers = _signed(body)
    value = signature if isinstance(signature, bytes) else signature.encode("latin-1")
    headers[signing.SIGNATURE_HEADER] = value
    response = await client.post("/webhooks/lapor", content=body, headers=headers)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "invalid_signature"
    assert await _stored(db) == 0


async def test_nul_and_deep_nesting_in_a_signed_callback_are_422(client, db):
    for body in (
        b'{"event_id": "e-\\u0000", "complaint_id": 1}',
        b'{"event_id": "e-3", "x": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
    ):
        response = await client.post("/webhooks/lapor", content=body, headers=_signed(body))
        assert response.status_code == 422, response.text
    assert await _stored(db) == 0


def test_stored_int_takes_ids_as_senders_write_them_and_nothing_else():
    assert [stored_int(v) for v in (None, 7, 7.0, "7", " 12 ", MAX_STORED_INT)] == [
        None, 7, 7, 7, 12, MAX_STORED_INT,
    ]  # fmt: skip
    for bad in (True, 0, -1, 1.5, float("inf"), MAX_STORED_INT + 1, "١٢", "1e3", [], {}):
        assert stored_int(bad) is INVALID
