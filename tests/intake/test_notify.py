"""Acknowledgements and notifications to reporters: the notify consumer and the outbox sender."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import respx
from pydantic import SecretStr
from sqlalchemy import select, update

from services.intake.notify import queue_message
from services.intake.notify.service import notify_reporter, reporter_destination
from services.intake.notify.tasks import send_outbound_messages
from services.intake.notify.templates import TEMPLATE_FOR_EVENT, MessageContext, render
from shared.auth import SYSTEM
from shared.cases.service import NewCase, ReporterInput, create_case
from shared.config import Settings
from shared.events import emit
from shared.models import Case, Event, EventDelivery, OutboundMessage, Reporter, utcnow
from shared.sms import segments
from tests import factories

SMS_URL = "https://sms-box.example.test/send"
GRAPH = "https://graph.example.test/v21.0"


def enable_sms_gateway(settings) -> None:
    settings.sms_gateway_secret = SecretStr("gateway-secret")
    settings.sms_gateway_send_url = SMS_URL


def enable_whatsapp(settings) -> None:
    settings.whatsapp_access_token = SecretStr("wa-token")
    settings.whatsapp_phone_number_id = "1234567890"
    settings.whatsapp_api_base_url = GRAPH


async def open_case(db, *, channel="whatsapp", adapter="whatsapp", address="+6281234567890", **kw):
    reporter = factories.reporter(
        adapter, channel_address=address, phone=kw.pop("phone", None), name="Siti"
    )
    return await factories.open_case(
        db, channel=channel, description="Lampu jalan mati", reporter=reporter, **kw
    )


async def messages(db) -> list[OutboundMessage]:
    async with db.session() as session:
        return list(
            (await session.scalars(select(OutboundMessage).order_by(OutboundMessage.id))).all()
        )


async def make_due(db) -> None:
    """Time travel: every pending message is due now."""
    async with db.session() as session:
        await session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.status == "pending")
            .values(next_attempt_at=utcnow() - timedelta(seconds=1), locked_until=None)
        )


# -- the happy path, end to end --------------------------------------------------------------------


async def test_api_complaint_is_acknowledged_by_sms(app, client, db, drain, api_key, settings):
    enable_sms_gateway(settings)
    created = await client.post(
        "/api/v1/complaints",
        json={"description": "Air PDAM mati tiga hari", "reporter": {"phone": "081234567890"}},
        headers={"X-API-Key": api_key},
    )
    assert created.status_code == 201
    tracking_id = created.json()["tracking_id"]
    await drain("notify")
    [queued] = await messages(db)
    assert (queued.channel, queued.recipient, queued.template, queued.audience) == (
        "sms_gateway",
        "+6281234567890",
        "received",
        "reporter",
    )
    with respx.mock(assert_all_called=True) as router:
        route = router.post(SMS_URL).mock(
            return_value=httpx.Response(200, json={"message_id": "box-1"})
        )
        assert await send_outbound_messages(app.state.ctx) == 1
    sent = json.loads(route.calls.last.request.content)
    assert sent["to"] == "+6281234567890"
    assert tracking_id in sent["text"] and f"CEK {tracking_id}" in sent["text"]
    assert sent["text"].startswith(f"{tracking_id}: ") and "3 hari kerja" in sent["text"]
    assert segments(sent["text"]) == 1  # one GSM-7 SMS, the tracking ID first
    [done] = await messages(db)
    assert done.status == "sent" and done.provider_message_id == "box-1" and done.attempts == 1


async def test_whatsapp_reporter_is_answered_through_the_graph_api(app, db, drain, settings):
    enable_whatsapp(settings)
    case = await open_case(db)
    await drain("notify")
    with respx.mock(assert_all_called=True) as router:
        route = router.post(f"{GRAPH}/1234567890/messages").mock(
            return_value=httpx.Response(200, json={"messages": [{"id": "wamid.XYZ"}]})
        )
        await send_outbound_messages(app.state.ctx)
    payload = json.loads(route.calls.last.request.content)
    assert payload["to"] == "6281234567890"
    assert case.tracking_id in payload["text"]["body"]
    assert route.calls.last.request.headers["Authorization"] == "Bearer wa-token"
    [done] = await messages(db)
    assert done.status == "sent" and done.provider_message_id == "wamid.XYZ"


async def test_api_case_without_sms_configured_goes_to_the_log_without_identity(app, db, drain):
    import logging

    import structlog
    from structlog.testing import capture_logs

    case = await open_case(db, channel="api", adapter="api", address=None, phone="+6281234567890")
    await drain("notify")
    [queued] = await messages(db)
    assert queued.channel == "log"
    saved = structlog.get_config()["wrapper_class"]
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    try:
        with capture_logs() as logs:
            await send_outbound_messages(app.state.ctx)
    finally:
        structlog.configure(wrapper_class=saved)
    [done] = await messages(db)
    assert done.status == "sent"
    [line] = [entry for entry in logs if entry["event"] == "outbound_message_logged"]
    assert line["message_id"] == done.id and line["template"] == "received"
    assert "6281234567890" not in repr(logs) and case.tracking_id not in repr(logs)


async def test_case_without_any_address_queues_nothing(db, drain):
    await open_case(db, channel="letter", adapter="letter", address=None)
    await drain("notify")
    assert await messages(db) == []


async def test_twilio_inline_reply_is_not_repeated(db, drain):
    async with db.session() as session:
        await create_case(
            session,
            NewCase(
                channel="sms",
                description="x",
                reporter=ReporterInput(channel="twilio", channel_address="+6281234567890"),
                event_data={"inline_reply": True},
            ),
            SYSTEM,
        )
    await drain("notify")
    assert await messages(db) == []


# -- dedup -----------------------------------------------------------------------------------------


async def test_redelivered_event_never_queues_twice(app, db, drain):
    await open_case(db)
    await drain("notify")
    async with db.session() as session:  # replay: the outbox hands the same event again
        await session.execute(
            update(EventDelivery)
            .where(EventDelivery.consumer == "notify")
            .values(status="pending", done_at=None)
        )
    await drain("notify")
    async with db.session() as session:
        event = await session.scalar(select(Event).where(Event.type == "case.received"))
        assert await notify_reporter(session, event, app.state.settings) is False
    [only] = await messages(db)
    assert only.dedup_key == f"{event.id}:reporter"


async def test_queue_message_is_idempotent_on_its_dedup_key(db):
    case = await open_case(db)
    for _ in range(2):
        async with db.session() as session:
            await queue_message(
                session,
                case_id=case.id,
                event_id=None,
                audience="staff",
                channel="log",
                recipient="ops",
                template="sla_warning",
                body="x",
                dedup_key=f"sla:{case.id}:warning",
            )
    assert len(await messages(db)) == 1


# -- the sender's retries and dead letters ---------------------------------------------------------


async def test_sender_retries_transient_failures_then_succeeds(app, db, drain, settings):
    enable_whatsapp(settings)
    case = await open_case(db)
    await drain("notify")
    with respx.mock() as router:
        router.post(f"{GRAPH}/1234567890/messages").mock(
            side_effect=[
                httpx.Response(503, json={"error": {"message": "busy"}}),
                httpx.ConnectError("boom"),
                httpx.Response(200, json={"messages": [{"id": "wamid.OK"}]}),
            ]
        )
        await send_outbound_messages(app.state.ctx)
        [first] = await messages(db)
        assert (
            first.status == "pending" and first.attempts == 1 and first.next_attempt_at > utcnow()
        )
        assert "503" in first.last_error
        assert await send_outbound_messages(app.state.ctx) == 0  # backing off: not due yet
        await make_due(db)
        await send_outbound_messages(app.state.ctx)
        await make_due(db)
        await send_outbound_messages(app.state.ctx)
    [done] = await messages(db)
    assert done.status == "sent" and done.attempts == 3 and done.provider_message_id == "wamid.OK"
    async with db.session() as session:
        assert (await session.get(Case, case.id)).version == case.version


async def test_sender_dead_letters_terminal_failures_and_leaves_the_case_alone(
    app, db, drain, settings
):
    enable_whatsapp(settings)
    case = await open_case(db)
    await drain("notify")
    with respx.mock() as router:
        route = router.post(f"{GRAPH}/1234567890/messages").mock(
            return_value=httpx.Response(
                400, json={"error": {"message": "invalid recipient", "code": 131030}}
            )
        )
        await send_outbound_messages(app.state.ctx)
        await make_due(db)
        await send_outbound_messages(app.state.ctx)
    assert route.call_count == 1
    [dead] = await messages(db)
    assert dead.status == "dead" and "400" in dead.last_error and "wa-token" not in dead.last_error
    async with db.session() as session:
        again = await session.get(Case, case.id)
    assert (again.status, again.version) == ("received", case.version)


async def test_sender_dead_letters_after_max_attempts(app, db, drain, settings, monkeypatch):
    from services.intake.notify import sender

    monkeypatch.setattr(sender, "MAX_SEND_ATTEMPTS", 2)
    enable_whatsapp(settings)
    await open_case(db)
    await drain("notify")
    with respx.mock() as router:
        router.post(f"{GRAPH}/1234567890/messages").mock(return_value=httpx.Response(500))
        await send_outbound_messages(app.state.ctx)
        await make_due(db)
        await send_outbound_messages(app.state.ctx)
    [dead] = await messages(db)
    assert (dead.status, dead.attempts) == ("dead", 2)


async def test_channel_not_configured_is_dead_not_silently_logged(app, db, drain):
    await open_case(db)  # a WhatsApp reporter, but WhatsApp sending is not configured
    await drain("notify")
    with respx.mock(assert_all_mocked=True) as router:
        await send_outbound_messages(app.state.ctx)
    assert router.calls.call_count == 0
    [dead] = await messages(db)
    assert dead.status == "dead" and dead.last_error == "channel not configured: whatsapp"


# -- which events, which words ---------------------------------------------------------------------


#: (event type, event data, event reason, words the reporter must read)
LIFECYCLE_MESSAGES = [
    ("case.verified", {}, None, "diverifikasi"),
    (
        "case.disposed",
        {"opd": "DINKES", "opd_name": "Dinas Kesehatan"},
        None,
        "diteruskan ke Dinas Kesehatan",
    ),
    (
        "case.info_requested",
        {"message": "Mohon kirim foto lokasi"},
        "Mohon kirim foto lokasi",
        "Mohon kirim foto",
    ),
    ("case.responded", {"message": "Petugas akan datang besok"}, None, "Petugas akan datang besok"),
    ("case.resolved", {"message": "Lampu sudah diganti"}, None, "balas dengan angka 1-5"),
    ("case.archived", {"reason": "data tidak lengkap"}, "data tidak lengkap", "data tidak lengkap"),
    ("case.closed", {}, None, "ditutup"),
    (
        "case.forwarded_national",
        {"reason": "kewenangan pusat"},
        "kewenangan pusat",
        "Admin Nasional",
    ),
    ("sla.breached", {}, None, "keterlambatan"),
]


async def test_lifecycle_events_reach_the_anonymous_reporter_without_identity(app, db):
    case = await open_case(db, anonymous=True)
    for event_type, data, reason, expected in LIFECYCLE_MESSAGES:
        async with db.session() as session:
            event = await emit(
                session, event_type, SYSTEM, case_id=case.id, reason=reason, data=data
            )
            assert await notify_reporter(session, event, app.state.settings) is True, event_type
        [message] = [m for m in await messages(db) if m.event_id == event.id]
        assert expected in message.body and case.tracking_id in message.body, (
            event_type,
            message.body,
        )
        assert "Siti" not in message.body and "6281234567890" not in message.body


async def test_disposed_message_names_the_opd_from_reference_data(app, db):
    case = await open_case(db)
    async with db.session() as session:
        event = await emit(
            session, "case.disposed", SYSTEM, case_id=case.id, data={"opd": "DINKES"}
        )
        await notify_reporter(session, event, app.state.settings)
    [message] = [m for m in await messages(db) if m.event_id == event.id]
    assert "Dinas Kesehatan" in message.body


async def test_response_text_is_read_from_the_thread_when_the_event_has_none(app, db):
    from shared.models import CaseMessage

    case = await open_case(db)
    async with db.session() as session:
        session.add(
            CaseMessage(case_id=case.id, kind="reply", body="Sudah diperbaiki", author_type="ops")
        )
        session.add(
            CaseMessage(
                case_id=case.id, kind="internal_note", body="rahasia internal", author_type="ops"
            )
        )
        await session.flush()
        event = await emit(session, "case.responded", SYSTEM, case_id=case.id)
        await notify_reporter(session, event, app.state.settings)
    [message] = [m for m in await messages(db) if m.event_id == event.id]
    assert "Sudah diperbaiki" in message.body and "rahasia" not in message.body


async def test_internal_events_do_not_reach_the_reporter(app, db):
    case = await open_case(db)
    async with db.session() as session:
        for event_type in ("case.returned", "case.referred_apip", "sla.warning", "case.note_added"):
            event = await emit(session, event_type, SYSTEM, case_id=case.id, reason="x")
            assert await notify_reporter(session, event, app.state.settings) is False


def test_every_template_renders_without_identity_placeholders():
    ctx = MessageContext("ACDEFGHJ", "https://x/lacak/ACDEFGHJ", opd_name="Dinas PUPR", text="teks")
    for template in set(TEMPLATE_FOR_EVENT.values()):
        body = render(template, ctx)
        assert "ACDEFGHJ" in body and "{" not in body


def test_destination_by_reporter_channel():
    settings = Settings(_env_file=None, env="test")

    def reporter(channel, address=None, phone=None):
        return Reporter(case_id=1, channel=channel, channel_address=address, phone=phone)

    assert reporter_destination(reporter("telegram", "12345"), settings).channel == "telegram"
    assert reporter_destination(reporter("web", phone="+6281234567890"), settings).channel == "log"
    assert reporter_destination(reporter("web"), settings) is None
    assert reporter_destination(reporter("lapor", phone="+6281234567890"), settings) is None
    enable_sms_gateway(settings)
    assert (
        reporter_destination(reporter("open311", phone="+6281234567890"), settings).channel
        == "sms_gateway"
    )
    assert (
        reporter_destination(reporter("sms", "+6281234567890"), settings).channel == "sms_gateway"
    )


async def test_resolved_message_carries_a_rating_link_only_the_reporter_gets(app, db):
    from services.intake.web.rating import rating_url

    case = await open_case(db)
    async with db.session() as session:
        event = await emit(
            session, "case.resolved", SYSTEM, case_id=case.id, data={"message": "Selesai"}
        )
        await notify_reporter(session, event, app.state.settings)
    [message] = [m for m in await messages(db) if m.event_id == event.id]
    link = rating_url(app.state.settings, case.tracking_id)
    assert f"/lacak/{case.tracking_id}/nilai?t=" in link and link in message.body
