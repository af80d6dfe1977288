"""Authentic provider deliveries that used to be 500s (so providers redelivered them for ever
and the message never became a case): a sender ``phonenumbers`` cannot parse, NUL and lone
surrogates in the text, JSON nested past any real payload. Each is answered 2xx; a message
is kept (with U+FFFD for what cannot be stored and the raw sender as its address), a
payload with no message in it is quarantined."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from shared.models import Case, Reporter
from shared.models.channels import QuarantinedDelivery

from .conftest import fixture_body


def _json(channel: str) -> dict:
    return json.loads(fixture_body(channel))


def _with_sender(channel: str, sender: str) -> bytes:
    if channel == "twilio":
        return fixture_body(channel).replace(b"From=%2B6281234567890", f"From={sender}".encode())
    payload = _json(channel)
    if channel == "sms_gateway":
        payload["from"] = sender
    elif channel == "whatsapp":
        value = payload["entry"][0]["changes"][0]["value"]
        value["contacts"][0]["wa_id"] = sender
        value["messages"][0]["from"] = sender
    return json.dumps(payload).encode()


def _with_text(channel: str, escaped: str) -> bytes:
    """The fixture with its message text set to ``escaped`` (JSON text, escapes kept)."""
    payload = _json(channel)
    marker = "@@TEXT@@"
    if channel == "sms_gateway":
        payload["text"] = marker
    elif channel == "telegram":
        payload["message"]["text"] = marker
    elif channel == "whatsapp":
        payload["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = marker
    elif channel == "facebook":
        payload["entry"][0]["messaging"][0]["message"]["text"] = marker
    return json.dumps(payload).replace(marker, escaped).encode()


async def _only_case(db) -> tuple[Case, Reporter]:
    async with db.session() as session:
        case = (await session.scalars(select(Case))).one()
        return case, await session.get(Reporter, case.id)


@pytest.mark.parametrize("channel", ["twilio", "sms_gateway", "whatsapp"])
@pytest.mark.parametrize("sender", ["999123", "%2B1", "0"])
async def test_a_sender_phonenumbers_rejects_is_accepted_with_the_raw_sender(
    channel, sender, webhooks, db
):
    if channel != "twilio":
        sender = sender.replace("%2B", "+")
    response = await webhooks.post(channel, _with_sender(channel, sender))
    assert response.status_code == 200, response.text
    case, reporter = await _only_case(db)
    assert reporter.phone is None  # not a number we can reach by SMS
    assert reporter.channel_address  # the provider's address is kept, as sent
    assert case.description


@pytest.mark.parametrize("channel", ["sms_gateway", "telegram", "whatsapp", "facebook"])
@pytest.mark.parametrize("escaped", [r"Lampu \ud800 mati", r"Lampu \u0000 mati", r"Lampu \udfff"])
async def test_text_that_cannot_be_stored_is_kept_with_a_replacement_character(
    channel, escaped, webhooks, db
):
    response = await webhooks.post(channel, _with_text(channel, escaped))
    assert response.status_code == 200, response.text
    case, _reporter = await _only_case(db)
    assert case.description.startswith("Lampu \ufffd")
    assert "\x00" not in case.description


async def test_nul_in_a_twilio_form_is_kept_with_a_replacement_character(webhooks, db):
    body = fixture_body("twilio").replace(b"Body=Lampu+jalan", b"Body=Lampu%00jalan")
    response = await webhooks.post("twilio", body)
    assert response.status_code == 200, response.text
    case, _reporter = await _only_case(db)
    assert case.description.startswith("Lampu\ufffdjalan")


@pytest.mark.parametrize("channel", ["telegram", "whatsapp", "sms_gateway"])
async def test_deeply_nested_json_from_a_provider_is_quarantined_not_a_500(channel, webhooks, db):
    body = b'{"update_id": 1, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = await webhooks.post(channel, body)
    # Telegram and Meta get 200 (they would retry a refusal for days); the SMS box a 422.
    assert response.status_code == (422 if channel == "sms_gateway" else 200), response.text
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Case)) == 0
        assert await session.scalar(select(func.count()).select_from(QuarantinedDelivery)) == 1
