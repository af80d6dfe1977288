"""Fixtures of the intake tests: channel secrets on the app, signed webhook posts, a live server.

``webhooks`` posts a fixture body to a channel's endpoint, signed the way its provider
signs (test secrets below), through the ``client`` of the embedded app.
``live_server`` serves the embedded app with uvicorn on a free 127.0.0.1 port in a thread
(for the browser test).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest
from pydantic import SecretStr

from services.intake.channels.sms_gateway import signed_headers
from services.intake.channels.twilio import compute_signature
from shared.config import Settings

FIXTURES = Path(__file__).parent / "fixtures"

TWILIO_TOKEN = "test_auth_token_0123456789abcdef"
SMS_GATEWAY_SECRET = "test_sms_gateway_secret_0123456789"
WHATSAPP_APP_SECRET = "test_app_secret_abcdef0123456789"
WHATSAPP_VERIFY_TOKEN = "test_verify_token_abc"
TELEGRAM_SECRET = "test_secret_Token-123"
FACEBOOK_APP_SECRET = "test_app_secret_abcdef0123456789"
FACEBOOK_VERIFY_TOKEN = "test_fb_verify_token"

CHANNEL_SECRETS = {
    "twilio_auth_token": TWILIO_TOKEN,
    "sms_gateway_secret": SMS_GATEWAY_SECRET,
    "whatsapp_app_secret": WHATSAPP_APP_SECRET,
    "whatsapp_verify_token": WHATSAPP_VERIFY_TOKEN,
    "telegram_secret_token": TELEGRAM_SECRET,
    "facebook_app_secret": FACEBOOK_APP_SECRET,
    "facebook_verify_token": FACEBOOK_VERIFY_TOKEN,
}
PATHS = {
    "twilio": "/webhooks/twilio/sms",
    "sms_gateway": "/webhooks/sms-gateway",
    "whatsapp": "/webhooks/whatsapp",
    "telegram": "/webhooks/telegram",
    "facebook": "/webhooks/facebook",
}
FIXTURE_BODIES = {
    "twilio": "twilio_sms.form",
    "sms_gateway": "sms_gateway_message.json",
    "whatsapp": "whatsapp_text.json",
    "telegram": "telegram_message.json",
    "facebook": "facebook_message.json",
}


def fixture_body(channel: str, name: str | None = None) -> bytes:
    return (FIXTURES / (name or FIXTURE_BODIES[channel])).read_bytes()


def with_channels(settings: Settings, **overrides: str) -> Settings:
    values = {**CHANNEL_SECRETS, **overrides}
    return settings.model_copy(update={k: SecretStr(v) for k, v in values.items()})


def signed_headers_for(
    channel: str, body: bytes, public_base_url: str, *, now: float | None = None
) -> dict[str, str]:
    """The headers a provider would send with ``body`` (valid signature)."""
    if channel == "twilio":
        url = public_base_url.rstrip("/") + PATHS["twilio"]
        params = parse_qsl(body.decode(), keep_blank_values=True)
        return {
            "content-type": "application/x-www-form-urlencoded",
            "x-twilio-signature": compute_signature(url, params, TWILIO_TOKEN),
        }
    if channel == "sms_gateway":
        return {
            "content-type": "application/json",
            **{k.lower(): v for k, v in signed_headers(SMS_GATEWAY_SECRET, body, now=now).items()},
        }
    if channel in ("whatsapp", "facebook"):
        secret = WHATSAPP_APP_SECRET if channel == "whatsapp" else FACEBOOK_APP_SECRET
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return {"content-type": "application/json", "x-hub-signature-256": f"sha256={digest}"}
    if channel == "telegram":
        return {
            "content-type": "application/json",
            "x-telegram-bot-api-secret-token": TELEGRAM_SECRET,
        }
    raise KeyError(channel)


def bad_headers_for(channel: str, body: bytes, public_base_url: str) -> dict[str, str]:
    """Headers with a wrong signature / secret."""
    headers = signed_headers_for(channel, body, public_base_url)
    for name in ("x-twilio-signature", "x-simpul-signature", "x-hub-signature-256"):
        if name in headers:
            value = headers[name]
            headers[name] = value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")
    if "x-telegram-bot-api-secret-token" in headers:
        headers["x-telegram-bot-api-secret-token"] = "wrong-secret-token"
    if channel == "twilio":
        headers["x-twilio-signature"] = base64.b64encode(b"0" * 20).decode()
    return headers


class Webhooks:
    """Posts signed provider deliveries to the app under test."""

    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings

    async def post(
        self,
        channel: str,
        body: bytes | None = None,
        *,
        headers: dict[str, str] | None = None,
        bad: bool = False,
    ) -> httpx.Response:
        body = fixture_body(channel) if body is None else body
        base = self.settings.public_base_url
        sent = (
            bad_headers_for(channel, body, base) if bad else signed_headers_for(channel, body, base)
        )
        sent.update(headers or {})
        return await self.client.post(PATHS[channel], content=body, headers=sent)


@pytest.fixture
def channels_on(app) -> Settings:
    """Every channel enabled with the test secrets on the running app."""
    app.state.settings = with_channels(app.state.settings)
    return app.state.settings


@pytest.fixture
def webhooks(client: httpx.AsyncClient, channels_on: Settings) -> Webhooks:
    return Webhooks(client, channels_on)


# -- a live server for browser tests --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _seed(settings: Settings) -> None:
    from shared.db import Database
    from shared.seed import seed_reference_data

    db = Database(settings.database_url, pool_size=1, max_overflow=0)
    try:
        async with db.session() as session:
            await seed_reference_data(session)
    finally:
        await db.dispose()


@pytest.fixture
def live_server(settings: Settings) -> Iterator[str]:
    """The embedded app served by uvicorn on 127.0.0.1 in a background thread; yields its URL."""
    import uvicorn

    from services.embedded import create_app

    asyncio.run(_seed(settings))
    port = _free_port()
    application = create_app(
        settings.model_copy(update={"public_base_url": f"http://127.0.0.1:{port}"}),
        run_workers=False,
    )
    config = uvicorn.Config(
        application,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        ws="none",
        http="h11",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
