"""Citizen messages that obey each provider's window: WhatsApp templates, Messenger tags,
SMS in one segment, refusals on the timeline and the fallback to SMS or e-mail."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import respx
from pydantic import SecretStr
from sqlalchemy import select, update

from services.intake.notify.tasks import send_outbound_messages
from shared import sms
from shared.auth import SYSTEM
from shared.cases.service import NewCase, ReporterInput, create_case
from shared.events import emit
from shared.models import Event, OutboundMessage, utcnow

GRAPH = "https://graph.example.test/v21.0"
SMS_URL = "https://sms-box.example.test/send"
WA_SEND = f"{GRAPH}/1234567890/messages"
FB_SEND = f"{GRAPH}/me/messages"


def enable_meta(settings) -> None:
    settings.whatsapp_access_token = SecretStr("wa-token")
    settings.whatsapp_phone_number_id = "1234567890"
    settings.whatsapp_api_base_url = GRAPH
    settings.facebook_page_token = SecretStr("fb-token")
    settings.facebook_api_base_url = GRAPH


def enable_sms(settings) -> None:
    settings.sms_gateway_secret = SecretStr("gateway-secret")
    settings.sms_gateway_send_url = SMS_URL


async def open_case(db, adapter: str, address: str, *, phone=None, days_ago: float = 0):
    async with db.session() as session:
        case = await create_case(
            session,
            NewCase(
                channel=adapter,
                description="Lampu jalan mati",
                received_at=utcnow() - timedelta(days=days_ago),
                reporter=ReporterInput(channel=adapter, channel_address=address, phone=phone),
            ),
            SYSTEM,
        )
    return case


async def respond(
    db, case, text: str = "Petugas sudah memperbaiki lampu", *, event="case.responded"
):
    async with db.session() as session:
        await emit(session, event, SYSTEM, case_id=case.id, data={"message": text})


async def only_pending_after_ack(db, drain) -> None:
    """Drain notify and mark the acknowledgement as already sent (only later messages matter)."""
    await drain("notify")
    async with db.session() as session:
        await session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.template == "received")
            .values(status="sent")
        )


async def rows(db) -> list[OutboundMessage]:
    async with db.session() as session:
        return list(await session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


async def refusals(db, case_id: int) -> list[Event]:
    async with db.session() as session:
        return list(
            await session.scalars(
                select(Event).where(Event.case_id == case_id, Event.type == "case.message_refused")
            )
        )


async def test_whatsapp_answer_three_days_later_leaves_as_a_template(app, db, drain, settings):
    enable_meta(settings)
    case = await open_case(db, "whatsapp", "+6281234567890", phone="+6281234567890", days_ago=3)
    await only_pending_after_ack(db, drain)
    await respond(db, case)
    await drain("notify")
    with respx.mock(assert_all_called=True) as router:
        route = router.post(WA_SEND).mock(
            return_value=httpx.Response(200, json={"messages": [{"id": "wamid.T1"}]})
        )
        await send_outbound_messages(app.state.ctx)
    payload = json.loads(route.calls.last.request.content)
    assert payload["type"] == "template" and "text" not in payload
    template = payload["template"]
    assert template["name"] == "simpul_responded" and template["language"] == {"code": "id"}
    parameters = [p["text"] for p in template["components"][0]["parameters"]]
    assert parameters == [case.tracking_id, "Petugas sudah memperbaiki lampu"]
    [*_, sent] = await rows(db)
    assert sent.status == "sent" and sent.provider_message_id == "wamid.T1"


async def test_whatsapp_inside_the_window_is_free_text(app, db, drain, settings):
    enable_meta(settings)
    case = await open_case(db, "whatsapp", "+6281234567890", days_ago=0.2)
    await only_pending_after_ack(db, drain)
    await respond(db, case)
    await drain("notify")
    with respx.mock(assert_all_called=True) as router:
        route = router.post(WA_SEND).mock(
            return_value=httpx.Response(200, json={"messages": [{"id": "wamid.F1"}]})
        )
        await send_outbound_messages(app.state.ctx)
    payload = json.loads(route.calls.last.request.content)
    assert payload["type"] == "text" and case.tracking_id in payload["text"]["body"]
    assert settings.pemda_name in payload["text"]["body"]  # signed with the pemda's name


async def test_no_template_outside_the_window_falls_back_to_sms_and_is_on_the_timeline(
    app, db, drain, settings, client, admin_headers
):
    enable_meta(settings)
    enable_sms(settings)
    settings.whatsapp_templates = {}  # the pemda registered none
    case = await open_case(db, "whatsapp", "+6281234567890", phone="+6281234567890", days_ago=3)
    await only_pending_after_ack(db, drain)
    await respond(db, case)
    await drain("notify")
    with respx.mock(assert_all_called=True) as router:
        box = router.post(SMS_URL).mock(return_value=httpx.Response(200, json={}))
        await send_outbound_messages(app.state.ctx)  # WhatsApp: cannot carry → SMS queued
        await send_outbound_messages(app.state.ctx)  # the SMS leaves
    whatsapp, fallback = (await rows(db))[-2:]
    assert whatsapp.status == "dead" and "jendela 24 jam" in whatsapp.last_error
    assert (fallback.channel, fallback.recipient, fallback.status) == (
        "sms_gateway",
        "+6281234567890",
        "sent",
    )
    text = json.loads(box.calls.last.request.content)["text"]
    assert text.startswith(f"{case.tracking_id}") and "Petugas sudah memperbaiki" in text
    [refused] = await refusals(db, case.id)
    assert refused.data == {
        "channel": "whatsapp",
        "template": "responded",
        "fallback": "sms_gateway",
    }
    assert "6281234567890" not in (refused.reason or "")
    detail = await client.get(f"/admin/cases/{case.tracking_id}", headers=admin_headers)
    assert "case.message_refused" in [e["type"] for e in detail.json()["timeline"]]


async def test_provider_refusal_is_recorded_and_falls_back(app, db, drain, settings):
    enable_meta(settings)
    enable_sms(settings)
    case = await open_case(db, "whatsapp", "+6281234567890", phone="+6281234567890")
    await only_pending_after_ack(db, drain)
    await respond(db, case)
    await drain("notify")
    refusal = {"error": {"message": "Re-engagement message", "code": 131047}}
    with respx.mock(assert_all_called=True) as router:
        router.post(WA_SEND).mock(return_value=httpx.Response(400, json=refusal))
        router.post(SMS_URL).mock(return_value=httpx.Response(200, json={}))
        await send_outbound_messages(app.state.ctx)
        await send_outbound_messages(app.state.ctx)
    [refused] = await refusals(db, case.id)
    assert "Re-engagement" in refused.reason and refused.data["fallback"] == "sms_gateway"
    assert [m.status for m in (await rows(db))[-2:]] == ["dead", "sent"]


async def test_messenger_uses_human_agent_tag_within_seven_days_then_gives_up(
    app, db, drain, settings
):
    enable_meta(settings)
    recent = await open_case(db, "facebook", "7012345678901234", days_ago=3)
    old = await open_case(db, "facebook", "7012345678901299", days_ago=9)
    await only_pending_after_ack(db, drain)
    await respond(db, recent)
    await respond(db, old)
    await drain("notify")
    with respx.mock(assert_all_called=True) as router:
        route = router.post(FB_SEND).mock(
            return_value=httpx.Response(200, json={"message_id": "m_1"})
        )
        await send_outbound_messages(app.state.ctx)
    assert route.call_count == 1  # the 9-day-old thread cannot be reached on Messenger
    payload = json.loads(route.calls.last.request.content)
    assert (payload["messaging_type"], payload["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    [refused] = await refusals(db, old.id)
    assert refused.data["fallback"] is None and "HUMAN_AGENT" in refused.reason


def test_sms_texts_fit_one_gsm7_segment_or_say_how_many():
    assert sms.segments("a" * 160) == 1 and sms.segments("a" * 161) == 2
    assert sms.segments("é" * 10) == 1  # é is in the GSM-7 basic set
    assert sms.segments("ü" + "€" * 80) == 2  # € counts two septets
    assert sms.segments("ç" + "a" * 70) == 2  # ç (lower case) is not GSM-7: UCS-2, 70 a segment
    assert sms.gsm7("“Siap” – segera…") == '"Siap" - segera...'
    short = sms.fit("ACDEFGHJ", "Tanggapan: lampu sudah diganti.")
    assert short == "ACDEFGHJ: Tanggapan: lampu sudah diganti." and sms.segments(short) == 1
    long = sms.fit("ACDEFGHJ", "Tanggapan: " + "jalan sudah diaspal ulang " * 10)
    assert long.startswith("ACDEFGHJ (2 SMS): ") and sms.segments(long) == 2
