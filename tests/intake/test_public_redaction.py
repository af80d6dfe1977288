"""One redaction of the reporter's identity (shared/redaction.py) for every output beyond
the trusted circle: the public Open311 reads publish a verified description scrubbed exactly
as the LAPOR! copy is, and operators' quarantine list shows no identity."""

from __future__ import annotations

import pytest

from services.sync.lapor import mapping
from shared import redaction

NAME, NIK, PHONE, EMAIL = (
    "Ratna Dewi Anggraini",
    "5102014506780003",
    "081337654321",
    "ratna@contoh.id",
)
TEXT = (
    f"Saya {NAME}, NIK {NIK}, hubungi {PHONE} atau {EMAIL}. "
    "Jalan di depan SDN 2 Tabanan berlubang besar sejak bulan lalu."
)
LEAKS = (NAME, NIK, PHONE, EMAIL, "+6281337654321", "81337654321")


def _no_identity(text: str) -> None:
    for leak in LEAKS:
        assert leak not in text, f"{leak!r} published"


async def _verified_case(client, api_key, admin_headers, *, anonymous: bool) -> str:
    pushed = await client.post(
        "/api/v1/complaints",
        json={
            "description": TEXT,
            "anonymous": anonymous,
            "reporter": {"name": NAME, "phone": PHONE, "email": EMAIL, "nik": NIK},
        },
        headers={"X-API-Key": api_key},
    )
    assert pushed.status_code == 201, pushed.text
    tracking_id = pushed.json()["tracking_id"]
    verified = await client.post(
        f"/admin/cases/{tracking_id}/verify", json={}, headers=admin_headers
    )
    assert verified.status_code == 200, verified.text
    return tracking_id


@pytest.mark.parametrize("anonymous", [True, False])
async def test_open311_publishes_the_description_without_identity(
    client, api_key, admin_headers, anonymous
):
    tracking_id = await _verified_case(client, api_key, admin_headers, anonymous=anonymous)
    for url in (
        f"/open311/v2/requests/{tracking_id}.json",
        f"/open311/v2/requests.json?service_request_id={tracking_id}",
        f"/open311/v2/requests/{tracking_id}.xml",
    ):
        response = await client.get(url)
        assert response.status_code == 200, response.text
        _no_identity(response.text)
    [record] = (await client.get(f"/open311/v2/requests/{tracking_id}.json")).json()
    assert "Jalan di depan SDN 2 Tabanan berlubang" in record["description"]


async def test_open311_updates_scrub_an_opd_reply_that_repeats_the_reporter(
    client, api_key, admin_headers
):
    tracking_id = await _verified_case(client, api_key, admin_headers, anonymous=True)
    disposed = await client.post(
        f"/admin/cases/{tracking_id}/dispose",
        json={"opd": "PUPR", "sla_class": "non_lapangan"},
        headers=admin_headers,
    )
    assert disposed.status_code == 200, disposed.text
    replied = await client.post(
        f"/admin/cases/{tracking_id}/respond",
        json={"message": f"Bapak/Ibu {NAME} ({PHONE}), tim kami sudah ke lokasi."},
        headers=admin_headers,
    )
    assert replied.status_code == 200, replied.text
    updates = await client.get(
        "/open311/v2/servicerequestupdates.json", params={"service_request_id": tracking_id}
    )
    assert updates.status_code == 200
    assert "tim kami sudah ke lokasi" in updates.text
    _no_identity(updates.text)


def test_the_national_copy_and_the_public_reads_share_one_redaction():
    assert mapping.scrub_private is redaction.scrub_private
    terms = ["Siti Aminah", "081234567890"]
    assert redaction.scrub_private("Siti Aminah 0812-3456-7890", terms) == (
        f"{redaction.REDACTED} {redaction.REDACTED}"
    )


async def test_operators_see_no_identity_in_the_quarantine(webhooks, client, make_token):
    headers = {"Authorization": f"Bearer {await make_token('operator')}"}
    for channel in ("twilio", "sms_gateway", "whatsapp", "telegram", "facebook"):
        assert (await webhooks.post(channel, bad=True)).status_code == 401
    listed = await client.get("/admin/quarantine", headers=headers)
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert len(items) == 5
    for item in items:
        preview = item["body_preview"]
        assert redaction.REDACTED in preview
        for leak in ("6281234567890", "081234567890", "Siti Rahayu", "Dewi", "Lestari"):
            assert leak not in preview, (item["channel"], leak)
    assert any("Lampu jalan" in item["body_preview"] for item in items)  # the text stays
