"""A full run's logs hold no secret and no reporter's phone (shared/logfilter.py).

One flow through every channel at DEBUG level — the push API, Open311 (key in the body and
in the query), every provider webhook and WhatsApp's verify challenge, a staff search by
phone, the replies to reporters through every provider's send API (one failing), the
mirror to LAPOR! — with every log line captured (structlog's output and every stdlib
record, httpx's included), then grepped for every configured secret and every form of
every test reporter's phone. The access line of uvicorn (a stdlib record with the query
string) is checked through the same filter.
"""

from __future__ import annotations

import io
import logging
import re

import httpx
import pytest
import respx
import structlog
from pydantic import SecretStr

from services.intake.notify.tasks import send_outbound_messages
from services.sync.lapor import LaporClient
from services.sync.simulator import create_simulator_app
from shared.auth import create_client_app, create_ops_token
from shared.config import DEMO_LAPOR_AUTH_KEY, DEMO_LAPOR_TOKEN

from .conftest import CHANNEL_SECRETS, Webhooks, with_channels

TELEGRAM_BOT_TOKEN = "7123456789:AAH-bot-token-sangat-rahasia"
WHATSAPP_ACCESS_TOKEN = "EAAwhatsapp-access-token-rahasia"
FACEBOOK_PAGE_TOKEN = "EAAfacebook-page-token-rahasia"
TWILIO_SID = "AC99999999999999999999999999999999"
SMS_URL = "https://sms-box.example.test/send"
GRAPH = "https://graph.example.test/v21.0"
TELEGRAM_API = "https://telegram.example.test"
TWILIO_API = "https://twilio.example.test"
#: Every secret of the run but the issued key and token.
SECRETS = [
    *CHANNEL_SECRETS.values(),
    TELEGRAM_BOT_TOKEN,
    TELEGRAM_BOT_TOKEN.split(":")[1],
    WHATSAPP_ACCESS_TOKEN,
    FACEBOOK_PAGE_TOKEN,
    DEMO_LAPOR_AUTH_KEY,
    DEMO_LAPOR_TOKEN,
    "rating-token-rahasia",
]
#: Every test reporter's phone, in each form it may be written.
PHONES = ["081234567890", "+6281234567890", "6281234567890", "081337654321", "+6281337654321"]


@pytest.fixture
def loud_app_settings(settings):
    """The test settings at DEBUG level with every channel and provider send API on."""
    return with_channels(settings).model_copy(
        update={
            "log_level": "DEBUG",
            "telegram_bot_token": SecretStr(TELEGRAM_BOT_TOKEN),
            "telegram_api_base_url": TELEGRAM_API,
            "whatsapp_access_token": SecretStr(WHATSAPP_ACCESS_TOKEN),
            "whatsapp_phone_number_id": "1234567890",
            "whatsapp_api_base_url": GRAPH,
            "facebook_page_token": SecretStr(FACEBOOK_PAGE_TOKEN),
            "facebook_api_base_url": GRAPH,
            "sms_gateway_send_url": SMS_URL,
            "twilio_account_sid": TWILIO_SID,
            "twilio_from_number": "+6281100000001",
            "twilio_api_base_url": TWILIO_API,
        }
    )


@pytest.fixture
async def loud_app(loud_app_settings):
    from services.embedded import create_app
    from shared.seed import seed_reference_data

    application = create_app(loud_app_settings, run_workers=False)
    async with application.router.lifespan_context(application):
        async with application.state.db.session() as session:
            await seed_reference_data(session)
        yield application


def _provider_routes(router: respx.MockRouter) -> None:
    router.post(SMS_URL).mock(return_value=httpx.Response(200, json={"message_id": "box-1"}))
    router.post(re.compile(rf"{re.escape(TELEGRAM_API)}/bot.*/sendMessage")).mock(
        return_value=httpx.Response(500, json={"ok": False})  # a failure logs its URL too
    )
    router.post(f"{GRAPH}/1234567890/messages").mock(
        return_value=httpx.Response(200, json={"messages": [{"id": "wamid.X"}]})
    )
    router.post(re.compile(rf"{re.escape(GRAPH)}/me/messages.*")).mock(
        return_value=httpx.Response(200, json={"message_id": "m_1"})
    )
    router.post(re.compile(rf"{re.escape(TWILIO_API)}/.*")).mock(
        return_value=httpx.Response(201, json={"sid": "SM1"})
    )


async def _drain(app, *names: str) -> None:
    consumers = [c for s in app.state.specs for c in s.consumers if c.name in names]
    for _ in range(20):
        if not sum([await consumer.run_once(app.state.ctx) for consumer in consumers]):
            return


async def test_a_full_run_logs_no_secret_and_no_reporter_phone(loud_app, caplog):
    caplog.set_level(logging.DEBUG)
    structlog_output = io.StringIO()  # the app's own processors, this test's stream
    saved = structlog.get_config()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=structlog_output))
    try:
        await _full_run(loud_app)
    finally:
        structlog.configure(**saved)
    logs = structlog_output.getvalue() + caplog.text
    assert "request" in logs and "HTTP Request" in logs  # structlog and httpx were captured
    assert "lapor_created" in logs and "webhook_rejected" in logs  # the mirror ran, refusals too
    for secret in [*SECRETS, *loud_app.state.issued]:
        assert secret not in logs, f"secret {secret[:6]}… logged"
    for phone in PHONES:
        assert phone not in logs, f"reporter phone {phone} logged"


async def _full_run(loud_app) -> None:
    settings = loud_app.state.settings
    transport = httpx.ASGITransport(app=loud_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        async with loud_app.state.db.session() as session:
            _row, api_key = await create_client_app(session, "aplikasi-rsud")
            _row, token = await create_ops_token(session, role="admin_instansi", name="admin")
        loud_app.state.issued = [api_key, token]
        admin = {"Authorization": f"Bearer {token}"}

        pushed = await client.post(
            "/api/v1/complaints",
            json={
                "description": "Air PDAM mati tiga hari, hubungi 081337654321",
                "reporter": {"name": "Ratna", "phone": "081337654321"},
            },
            headers={"X-API-Key": api_key},
        )
        assert pushed.status_code == 201, pushed.text
        posted = await client.post(
            "/open311/v2/requests.json",
            data={
                "api_key": api_key,
                "service_code": "ADMINDUK",
                "address_string": "Jl. A. Yani",
                "description": "KTP-el belum jadi",
                "phone": "081337654321",
            },
        )
        assert posted.status_code == 201, posted.text
        await client.get(f"/open311/v2/requests.json?api_key={api_key}&service_code=ADMINDUK")
        webhooks = Webhooks(client, settings)
        for channel in ("twilio", "sms_gateway", "whatsapp", "telegram", "facebook"):
            assert (await webhooks.post(channel)).status_code == 200
            assert (await webhooks.post(channel, bad=True)).status_code == 401
        challenge = await client.get(
            "/webhooks/whatsapp",
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": CHANNEL_SECRETS["whatsapp_verify_token"],
                "hub.challenge": "42",
            },
        )
        assert challenge.status_code == 200
        await client.get("/admin/cases", params={"q": "081234567890"}, headers=admin)

        await _drain(loud_app, "notify", "routing", "sla")
        with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
            _provider_routes(router)
            assert await send_outbound_messages(loud_app.state.ctx) >= 4

        lapor = LaporClient(
            "http://lapor.test",
            DEMO_LAPOR_AUTH_KEY,
            DEMO_LAPOR_TOKEN,
            transport=httpx.ASGITransport(app=create_simulator_app()),
            rate_limit_per_s=0,
        )
        old = loud_app.state.ctx.resources.get("lapor")
        loud_app.state.ctx.resources["lapor"] = lapor
        if old is not None:
            await old.aclose()
        await _drain(loud_app, "sync")

    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d',
        "127.0.0.1:50000",
        "GET",
        f"/lacak/ABCD2345/nilai?t=rating-token-rahasia&x=1&api_key={api_key}",
        "1.1",
        200,
    )
