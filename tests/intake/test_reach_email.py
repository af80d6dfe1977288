"""E-mail out over SMTP against a local SMTP server (aiosmtpd in-process, never the
network): a web reporter who left only an address hears by e-mail, threaded by the
tracking ID; a server that refuses is retried, then dead-lettered where operators see it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from services.intake.notify import sender
from services.intake.notify.tasks import send_outbound_messages
from shared.auth import SYSTEM
from shared.cases.service import NewCase, ReporterInput, create_case
from shared.models import OutboundMessage, utcnow


class Inbox:
    """An SMTP handler that keeps what it receives, or refuses every message with ``refuse``."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse: str | None = None

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refuse:
            return self.refuse
        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def use_smtp(settings, port: int) -> None:
    settings.smtp_host = "127.0.0.1"
    settings.smtp_port = port
    settings.smtp_security = "none"  # the local test server speaks no TLS
    settings.smtp_from = "pengaduan@tabanan.example.go.id"


async def email_only_case(db):
    async with db.session() as session:
        return await create_case(
            session,
            NewCase(
                channel="web",
                description="Sampah menumpuk di pasar",
                reporter=ReporterInput(channel="web", email="warga@contoh.id"),
            ),
            SYSTEM,
        )


async def test_web_reporter_with_only_an_address_is_answered_by_email(
    app, db, drain, settings, smtp_server
):
    inbox, port = smtp_server
    use_smtp(settings, port)
    case = await email_only_case(db)
    await drain("notify")
    await send_outbound_messages(app.state.ctx)
    [mail] = inbox.messages
    assert mail["To"] == "warga@contoh.id"
    assert f"[#{case.tracking_id}]" in mail["Subject"]
    assert mail["Message-ID"].startswith(f"<simpul.{case.tracking_id}.")
    assert mail["Auto-Submitted"] == "auto-generated"  # RFC 3834: no auto-reply loops
    assert settings.pemda_name in mail["From"]
    assert case.tracking_id in mail.get_content()
    async with db.session() as session:
        row = (await session.scalars(select(OutboundMessage))).one()
    assert (row.channel, row.status) == ("email", "sent")


async def test_refusing_smtp_server_is_retried_then_dead_lettered_for_operators(
    app, db, drain, settings, smtp_server, client, make_token, monkeypatch
):
    inbox, port = smtp_server
    use_smtp(settings, port)
    inbox.refuse = "451 4.3.0 mailbox temporarily unavailable"
    monkeypatch.setattr(sender, "MAX_SEND_ATTEMPTS", 2)
    await email_only_case(db)
    await drain("notify")
    for _ in range(2):
        await send_outbound_messages(app.state.ctx)
        async with db.session() as session:
            await session.execute(update(OutboundMessage).values(next_attempt_at=utcnow()))
    async with db.session() as session:
        row = (await session.scalars(select(OutboundMessage))).one()
    assert (row.status, row.attempts) == ("dead", 2) and "451" in row.last_error
    assert inbox.messages == []
    operator = {"Authorization": f"Bearer {await make_token('operator')}"}
    listed = await client.get("/admin/outbound-messages?status=dead", headers=operator)
    [item] = listed.json()["items"]
    assert item["channel"] == "email" and "451" in item["last_error"]
    assert "warga@contoh.id" not in listed.text  # no recipient on the operators' desk
    inbox.refuse = None
    retried = await client.post(f"/admin/outbound-messages/{row.id}/retry", headers=operator)
    assert retried.status_code == 200
    await send_outbound_messages(app.state.ctx)
    assert len(inbox.messages) == 1
