"""Officer notifications reach people (issue 19, item 1): under a local SMTP server
(aiosmtpd) and a faked WhatsApp, a case forwarded to an OPD reaches its officer by e-mail,
a warning reaches the officer and a breach the penanggung jawab, a returned case Admin
Instansi; each links to the case's console page and never names an anonymous reporter."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import httpx
import respx
from pydantic import SecretStr
from sqlalchemy import select, update

from services.intake.notify.tasks import send_outbound_messages
from services.sla.clocks.tasks import sweep
from shared.cases.service import ReporterInput
from shared.identity import users
from shared.models import OutboundMessage, utcnow
from tests import factories
from tests.mailserver import use_smtp
from tests.sla.factories import end_of, open_case, step, wib

SECOND = dt.timedelta(seconds=1)
WARN_AT = end_of("2026-11-04") + SECOND
BREACH_AT = end_of("2026-11-09") + SECOND
REPORTER = "Siti Rahayu"
GRAPH = "https://graph.example.test/v21.0"


async def account(db, role: str, opd: str | None = None, **contact) -> int:
    async with db.session() as session:
        user, _ = await users.create_user(
            session,
            username=f"{role.replace('_', '.')}-{uuid.uuid4().hex[:6]}",
            full_name=role,
            role=role,
            opd_code=opd,
            **contact,
        )
        return user.id


async def messages(db) -> list[OutboundMessage]:
    async with db.session() as session:
        stmt = select(OutboundMessage).order_by(OutboundMessage.id)
        return list((await session.scalars(stmt)).all())


async def send_all(app, db) -> None:
    """Send what is due, then what the fallbacks queued (a few rounds, all due now)."""
    for _ in range(4):
        async with db.session() as session:
            await session.execute(update(OutboundMessage).values(next_attempt_at=utcnow()))
        await send_outbound_messages(app.state.ctx)


async def anonymous_case(db, client, admin_headers) -> str:
    """An anonymous complaint with the reporter's contacts on file, verified by Admin Instansi."""
    case = await factories.open_case(
        db,
        channel="api",
        description="Jalan berlubang di depan pasar",
        anonymous=True,
        reporter=ReporterInput(
            channel="api", name=REPORTER, phone="+6281234567890", email="siti@contoh.id"
        ),
    )
    verified = await client.post(
        f"/admin/cases/{case.tracking_id}/verify", json={}, headers=admin_headers
    )
    assert verified.status_code == 200, verified.text
    return case.tracking_id


def text_of(mail) -> str:
    return f"{mail['Subject']}\n{mail.get_content()}"


async def test_a_case_forwarded_to_an_opd_reaches_its_officer_by_email(
    app, db, drain, settings, smtp_server, client, admin_headers
):
    inbox, port = smtp_server
    use_smtp(settings, port)
    await account(db, "opd", "PUPR", email="pp.pupr@tabanan.example.go.id", notify_channel="email")
    await account(db, "opd", "DINKES", email="pp.dinkes@tabanan.example.go.id")
    tracking_id = await anonymous_case(db, client, admin_headers)
    disposed = await client.post(
        f"/admin/cases/{tracking_id}/dispose",
        json={"opd": "PUPR", "sla_class": "non_lapangan"},
        headers=admin_headers,
    )
    assert disposed.status_code == 200, disposed.text
    await drain("notify")
    await send_all(app, db)
    [mail] = inbox.to("pp.pupr@tabanan.example.go.id")
    text = text_of(mail)
    assert tracking_id in mail["Subject"] and "#" not in mail["Subject"]
    assert f"https://pengaduan.example.go.id/konsol/kasus/{tracking_id}" in text
    assert "didisposisikan" in text
    for secret in (REPORTER, "81234567890", "siti@contoh.id", "Jalan berlubang"):
        assert secret not in text  # the anonymous reporter, and the free text, stay out
    assert inbox.to("pp.dinkes@tabanan.example.go.id") == []  # another OPD hears nothing
    # a redelivered event queues nothing twice
    officer_rows = [m for m in await messages(db) if m.template == "officer_disposed"]
    assert len(officer_rows) == 1 and officer_rows[0].status == "sent"


async def test_a_warning_reaches_the_officer_and_a_breach_the_penanggung_jawab(
    app, db, drain, settings, smtp_server
):
    inbox, port = smtp_server
    use_smtp(settings, port)
    officer = "pp.dukcapil@tabanan.example.go.id"
    chief = "kadis.dukcapil@tabanan.example.go.id"
    admin = "admin@tabanan.example.go.id"
    await account(db, "opd", "DUKCAPIL", email=officer, notify_channel="email")
    await account(db, "viewer", email=chief, penanggung_jawab_opd="DUKCAPIL")
    await account(db, "admin_instansi", email=admin)
    case_id = await open_case(db, wib("2026-11-02 10:00"))
    await step(db, case_id, "verified", wib("2026-11-02 11:00"))
    await step(db, case_id, "disposed", wib("2026-11-02 12:00"), opd="DUKCAPIL",
               sla_class="informasi")  # fmt: skip
    await drain("sla")
    await sweep(app.state.ctx, WARN_AT)
    await send_all(app, db)
    [warning] = inbox.to(officer)
    assert "Peringatan dini" in text_of(warning) and "/konsol/kasus/" in text_of(warning)
    assert inbox.to(chief) == []  # a warning is not yet the head's business
    assert len(inbox.to(admin)) == 1
    await sweep(app.state.ctx, BREACH_AT)
    await send_all(app, db)
    [breach] = inbox.to(chief)
    assert "melewati batas waktu" in text_of(breach)
    assert len(inbox.to(officer)) == 2 and len(inbox.to(admin)) == 2
    roles = {m.template for m in await messages(db) if m.recipient == chief}
    assert roles == {"sla_breached_penanggung_jawab"}


async def test_an_officer_on_whatsapp_gets_the_officer_template(app, db, drain, settings):
    settings.whatsapp_access_token = SecretStr("wa-token")
    settings.whatsapp_phone_number_id = "1234567890"
    settings.whatsapp_api_base_url = GRAPH
    await account(db, "opd", "DUKCAPIL", phone="081298765432", notify_channel="whatsapp")
    case_id = await open_case(db, wib("2026-11-02 10:00"))
    await step(db, case_id, "verified", wib("2026-11-02 11:00"))
    await step(db, case_id, "disposed", wib("2026-11-02 12:00"), opd="DUKCAPIL",
               sla_class="informasi")  # fmt: skip
    await drain("sla", "notify")
    await sweep(app.state.ctx, WARN_AT)
    with respx.mock(assert_all_called=True) as router:
        route = router.post(f"{GRAPH}/1234567890/messages").mock(
            return_value=httpx.Response(200, json={"messages": [{"id": "wamid.O1"}]})
        )
        await send_all(app, db)
    bodies = [json.loads(call.request.content) for call in route.calls]
    assert {b["to"] for b in bodies} == {"6281298765432"}
    templates = [b["template"] for b in bodies]
    assert {t["name"] for t in templates} == {"simpul_officer"}
    texts = [[p["text"] for p in t["components"][0]["parameters"]] for t in templates]
    assert any("Peringatan dini" in t[1] and "/konsol/kasus/" in t[1] for t in texts)


async def test_without_whatsapp_the_officer_hears_by_email_then_the_log_line(
    app, db, drain, settings, smtp_server
):
    inbox, port = smtp_server
    await account(db, "opd", "DUKCAPIL", phone="081298765432", email="pp@tabanan.example.go.id",
                  notify_channel="whatsapp")  # fmt: skip
    case_id = await open_case(db, wib("2026-11-02 10:00"))
    await step(db, case_id, "verified", wib("2026-11-02 11:00"))
    await step(db, case_id, "disposed", wib("2026-11-02 12:00"), opd="DUKCAPIL",
               sla_class="informasi")  # fmt: skip
    await drain("notify")
    await send_all(app, db)  # no WhatsApp, no SMTP: whatsapp dead, e-mail dead, log sent
    mine = [m for m in await messages(db) if m.template == "officer_disposed"]
    assert [(m.channel, m.status) for m in mine] == [
        ("whatsapp", "dead"),
        ("email", "dead"),
        ("log", "sent"),
    ]
    assert mine[2].recipient.startswith("user:")  # the operator sees whom it was for
    use_smtp(settings, port)
    case_id = await open_case(db, wib("2026-11-02 10:00"))
    await step(db, case_id, "disposed", wib("2026-11-02 12:00"), opd="DUKCAPIL",
               sla_class="informasi")  # fmt: skip
    await drain("notify")
    await send_all(app, db)
    [mail] = inbox.to("pp@tabanan.example.go.id")
    assert "Pengaduan baru" in mail["Subject"]


async def test_a_returned_case_reaches_admin_instansi(app, db, drain, settings, smtp_server):
    inbox, port = smtp_server
    use_smtp(settings, port)
    await account(db, "admin_instansi", email="admin@tabanan.example.go.id",
                  notify_channel="email")  # fmt: skip
    case_id = await open_case(db, wib("2026-11-02 10:00"))
    await step(db, case_id, "verified", wib("2026-11-02 11:00"))
    await step(db, case_id, "disposed", wib("2026-11-02 12:00"), opd="DUKCAPIL")
    await step(db, case_id, "returned", wib("2026-11-03 09:00"), opd="DUKCAPIL",
               reason="Bukan kewenangan kami")  # fmt: skip
    await drain("notify")
    await send_all(app, db)
    [mail] = inbox.to("admin@tabanan.example.go.id")
    text = text_of(mail)
    assert "dikembalikan" in text and "Bukan kewenangan kami" in text
    assert "/konsol/kasus/" in text


async def test_an_opd_without_accounts_is_on_record_by_its_role_name(app, db, drain):
    case_id = await open_case(db, wib("2026-11-02 10:00"))
    await step(db, case_id, "disposed", wib("2026-11-02 12:00"), opd="DISDIK")
    await drain("notify")
    [row] = [m for m in await messages(db) if m.template == "officer_disposed"]
    assert (row.channel, row.recipient) == ("log", "opd:DISDIK:pejabat_penghubung")


async def test_an_officer_on_telegram_gets_the_notice_in_their_chat(app, db, drain, settings):
    settings.telegram_bot_token = SecretStr("123:bot-token")
    settings.telegram_api_base_url = "https://telegram.example.test"
    await account(db, "opd", "DUKCAPIL", telegram_chat_id="987654", notify_channel="telegram")
    case_id = await open_case(db, wib("2026-11-02 10:00"))
    await step(db, case_id, "disposed", wib("2026-11-02 12:00"), opd="DUKCAPIL")
    await drain("notify")
    with respx.mock(assert_all_called=True) as router:
        route = router.post("https://telegram.example.test/bot123:bot-token/sendMessage").mock(
            return_value=httpx.Response(200, json={"ok": True, "result": {"message_id": 5}})
        )
        await send_all(app, db)
    [call] = route.calls
    sent = json.loads(call.request.content)
    assert sent["chat_id"] == 987654
    assert "Pengaduan baru" in sent["text"] and "/konsol/kasus/" in sent["text"]


async def test_a_case_referred_to_apip_reaches_the_inspektorat(
    app, db, drain, settings, smtp_server
):
    inbox, port = smtp_server
    use_smtp(settings, port)
    auditor = "auditor@inspektorat.example.go.id"
    await account(db, "apip", email=auditor, notify_channel="email")
    case_id = await open_case(db, wib("2026-11-02 10:00"))
    await step(db, case_id, "referred_apip", wib("2026-11-02 12:00"), opd="INSPEKTORAT",
               opd_name="Inspektorat Daerah")  # fmt: skip
    await drain("notify")
    await send_all(app, db)
    [mail] = inbox.to(auditor)
    assert "APIP" in text_of(mail) and "/konsol/kasus/" in text_of(mail)


async def test_admin_instansi_names_an_opds_penanggung_jawab_through_the_users_api(client, db):
    from shared.identity import tokens

    async with db.session() as session:
        admin, _ = await users.create_user(
            session, username="rina.pj", full_name="Rina", role="admin_instansi"
        )
        _row, token = await tokens.create_ops_token(
            session, role="admin_instansi", name="skrip", owner=admin
        )
    headers = {"Authorization": f"Bearer {token}"}
    body = {"username": "kadis.pupr", "full_name": "Kadis PUPR", "role": "viewer",
            "email": "kadis@pupr.example.go.id", "penanggung_jawab_opd": "PUPR"}  # fmt: skip
    created = await client.post("/admin/users", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["penanggung_jawab_opd"] == "PUPR"
    wrong = await client.patch(
        f"/admin/users/{created.json()['id']}",
        json={"penanggung_jawab_opd": "TIDAKADA"},
        headers=headers,
    )
    assert wrong.status_code == 422 and "unknown_opd" in wrong.text
