"""E-mail in (issue 19, item 3): signed inbound-mail posts (Mailgun's scheme) become cases,
threaded by ``#<id>`` in the subject and by reply headers; auto-replies and bounces never
open one; an empty mail opens nothing; a redelivery (same Message-ID) is one case;
attachments are evidence; the reporter is answered by e-mail (a local SMTP server)."""

from __future__ import annotations

import hashlib
import hmac
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from services.intake.notify.tasks import send_outbound_messages
from shared.models import Attachment, Case, CaseMessage, Reporter
from shared.models.channels import InboundDelivery
from tests.factories import open_case
from tests.mailserver import use_smtp

KEY = "key-test-signing"
CITIZEN = "warga.tabanan@contoh.id"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def email_in(settings) -> None:
    settings.email_webhook_signing_key = SecretStr(KEY)


def mail(
    text: str | None = "Lampu jalan di depan pasar Kediri mati sejak minggu lalu.",
    *,
    subject: str = "Lampu jalan mati",
    sender: str = f"Made Wirawan <{CITIZEN}>",
    message_id: str | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
    **headers: str,
) -> tuple[bytes, str]:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "pengaduan@tabanan.example.go.id"
    message["Subject"] = subject
    message["Date"] = "Thu, 03 Dec 2026 09:00:00 +0800"
    message["Message-ID"] = message_id or make_msgid(domain="contoh.id")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    if text is not None:
        message.set_content(text)
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes(), str(message["Message-ID"])


def signed(raw: bytes, *, key: str = KEY, envelope: str = CITIZEN) -> tuple[dict, dict]:
    timestamp, token = "1764752400", hashlib.sha256(raw).hexdigest()[:50]
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256)
    data = {
        "timestamp": timestamp,
        "token": token,
        "signature": signature.hexdigest(),
        "sender": envelope,
        "recipient": "pengaduan@tabanan.example.go.id",
    }
    return data, {"body-mime": ("message.mime", raw, "message/rfc822")}


async def post(client, raw: bytes, **kw):
    data, files = signed(raw, **kw)
    return await client.post("/webhooks/email/mime", data=data, files=files)


async def count(db, model) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)))


async def only_case(db) -> Case:
    async with db.session() as session:
        return (await session.scalars(select(Case))).one()


async def test_a_mail_to_the_pemda_becomes_a_case_and_is_answered_by_email(
    app, client, db, drain, settings, smtp_server
):
    inbox, port = smtp_server
    use_smtp(settings, port)
    raw, message_id = mail()
    answer = await post(client, raw)
    assert answer.status_code == 200, answer.text
    case = await only_case(db)
    assert (case.channel, case.title) == ("email", "Lampu jalan mati")
    assert "Kediri" in case.description
    async with db.session() as session:
        reporter = await session.get(Reporter, case.id)
        delivery = (await session.scalars(select(InboundDelivery))).one()
    assert (reporter.channel, reporter.channel_address, reporter.email) == (
        "email",
        CITIZEN,
        CITIZEN,
    )
    assert (delivery.channel, delivery.provider_message_id, delivery.case_id) == (
        "email",
        message_id,
        case.id,
    )
    assert raw in delivery.body  # accepted means stored, as it came
    await drain("notify")
    await send_outbound_messages(app.state.ctx)
    [ack] = inbox.to(CITIZEN)
    assert f"[#{case.tracking_id}]" in ack["Subject"]
    assert ack["Message-ID"].startswith(f"<simpul.{case.tracking_id}.")
    assert ack["In-Reply-To"] == message_id  # one conversation in the reporter's mail program


async def test_the_same_message_posted_twice_is_one_case(client, db):
    raw, _ = mail()
    assert (await post(client, raw)).status_code == 200
    assert (await post(client, raw)).status_code == 200
    assert await count(db, Case) == 1 and await count(db, InboundDelivery) == 1


async def test_a_bad_signature_is_refused_and_an_unset_key_turns_the_channel_off(
    client, db, settings
):
    raw, _ = mail()
    refused = await post(client, raw, key="key-wrong")
    assert refused.status_code == 401
    assert await count(db, Case) == 0 and await count(db, InboundDelivery) == 0
    settings.email_webhook_signing_key = SecretStr("")
    assert (await post(client, raw)).status_code == 404


async def test_a_reply_to_our_message_joins_the_case(client, db):
    raw, _ = mail()
    await post(client, raw)
    case = await only_case(db)
    ours = f"<simpul.{case.tracking_id}.7@tabanan.example.go.id>"
    reply, _ = mail(
        "Ini fotonya, Pak.\n\nOn Thu, 3 Dec 2026, Pemkab wrote:\n> Laporan Anda diterima",
        subject=f"Re: [#{case.tracking_id}] Laporan {case.tracking_id}",
        In_Reply_To=ours,
        References=ours,
        attachments=[("lampu.png", "image/png", PNG)],
    )
    assert (await post(client, reply)).status_code == 200
    assert await count(db, Case) == 1
    async with db.session() as session:
        [joined] = (await session.scalars(select(CaseMessage))).all()
        [photo] = (await session.scalars(select(Attachment))).all()
    assert joined.case_id == case.id and joined.body == "Ini fotonya, Pak."  # no quoted history
    assert (photo.case_id, photo.content_type, photo.filename) == (
        case.id,
        "image/png",
        "lampu.png",
    )
    assert photo.storage_key and photo.sha256 == hashlib.sha256(PNG).hexdigest()


async def test_a_reply_to_the_reporters_own_earlier_mail_joins_its_case(client, db):
    raw, first_id = mail()
    await post(client, raw)
    later, _ = mail("Sudah dua minggu belum diperbaiki.", subject="Susulan", References=first_id)
    await post(client, later)
    case = await only_case(db)
    async with db.session() as session:
        [joined] = (await session.scalars(select(CaseMessage))).all()
    assert joined.case_id == case.id


async def test_hash_id_in_the_subject_joins_only_the_senders_own_case(client, db):
    raw, _ = mail()
    await post(client, raw)
    case = await only_case(db)
    own, _ = mail("Tambahan: tiangnya juga miring.", subject=f"Laporan #{case.tracking_id}")
    await post(client, own)
    assert await count(db, Case) == 1 and await count(db, CaseMessage) == 1
    stranger, _ = mail(
        "Saya juga melihat lampu mati di sana.",
        subject=f"Laporan #{case.tracking_id}",
        sender="orang.lain@contoh.id",
    )
    await post(client, stranger, envelope="orang.lain@contoh.id")
    assert await count(db, Case) == 2  # not theirs: a case of its own


async def test_a_web_reporter_who_gave_only_an_address_replies_by_email(client, db):
    from shared.cases.service import ReporterInput

    case = await open_case(db, reporter=ReporterInput(channel="web", email=CITIZEN))
    ours = f"<simpul.{case.tracking_id}.3@tabanan.example.go.id>"
    reply, _ = mail("Alamat lengkapnya Jl. Raya Kediri no. 5.", subject="Re: laporan",
                    In_Reply_To=ours)  # fmt: skip
    await post(client, reply)
    assert await count(db, Case) == 1
    async with db.session() as session:
        [joined] = (await session.scalars(select(CaseMessage))).all()
    assert joined.case_id == case.id


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Auto_Submitted": "auto-generated"},
        {"Precedence": "bulk"},
        {"Precedence": "auto_reply"},
        {"X_Autoreply": "yes"},
    ],
)
async def test_auto_replies_never_open_cases(client, db, headers):
    raw, _ = mail("Saya sedang cuti sampai 10 Desember.", subject="Out of office", **headers)
    answer = await post(client, raw)
    assert answer.status_code == 200
    assert await count(db, Case) == 0


async def test_auto_submitted_no_is_a_person(client, db):
    raw, _ = mail(Auto_Submitted="no")
    await post(client, raw)
    assert await count(db, Case) == 1


def bounce() -> bytes:
    """A delivery status notification (RFC 3464), as an MTA writes one."""
    return (
        b"From: Mail Delivery System <mailer@mx.contoh.id>\r\n"
        b"To: pengaduan@tabanan.example.go.id\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <dsn.1@mx.contoh.id>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n'
        b"\r\n--b1\r\nContent-Type: text/plain\r\n\r\nThe mail system could not deliver.\r\n"
        b"--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.contoh.id\r\n\r\nFinal-Recipient: rfc822; x@contoh.id\r\n"
        b"Action: failed\r\nStatus: 5.1.1\r\n--b1--\r\n"
    )


async def test_bounces_never_open_cases(client, db):
    assert (await post(client, bounce(), envelope="mailer@mx.contoh.id")).status_code == 200
    raw, _ = mail(sender="MAILER-DAEMON@mx.contoh.id")
    await post(client, raw)
    raw, _ = mail(sender="warga@contoh.id")
    await post(client, raw, envelope="<>")  # an empty envelope sender is a bounce
    assert await count(db, Case) == 0


async def test_an_empty_mail_is_stored_and_opens_no_case(client, db):
    raw, message_id = mail(None, subject="Re: ")
    assert (await post(client, raw)).status_code == 200
    assert await count(db, Case) == 0
    async with db.session() as session:
        delivery = (await session.scalars(select(InboundDelivery))).one()
    assert (delivery.provider_message_id, delivery.outcome, delivery.case_id) == (
        message_id,
        "ignored",
        None,
    )


async def test_an_attachment_of_another_type_is_not_kept_but_the_mail_is_a_case(client, db):
    raw, _ = mail(attachments=[("virus.exe", "application/octet-stream", b"MZ\x90\x00")])
    await post(client, raw)
    await only_case(db)
    assert await count(db, Attachment) == 0


async def test_a_mail_with_only_a_photo_is_a_case(client, db):
    raw, _ = mail(None, subject="", attachments=[("jalan.png", "image/png", PNG)])
    await post(client, raw)
    case = await only_case(db)
    assert case.description == "(lampiran tanpa keterangan)"
    assert await count(db, Attachment) == 1


async def test_a_form_encoded_post_without_the_message_is_quarantined_not_a_case(client, db):
    data, _ = signed(b"x")
    answer = await client.post("/webhooks/email/mime", data=data)
    assert answer.status_code == 200  # acked: the provider would redeliver the same post
    assert await count(db, Case) == 0
