"""E-mail out over SMTP against a local SMTP server (aiosmtpd in-process, never the
network): a web reporter who left only an address hears by e-mail, threaded by the
tracking ID; a server that refuses is retried, then dead-lettered where operators see it."""

from __future__ import annotations

from sqlalchemy import select, update

from services.intake.notify import sender
from services.intake.notify.tasks import send_outbound_messages
from shared.auth import SYSTEM
from shared.cases.service import NewCase, ReporterInput, create_case
from shared.models import OutboundMessage, utcnow
from tests.mailserver import use_smtp


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
