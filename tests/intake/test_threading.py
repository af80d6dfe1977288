"""Conversation threading: a reporter's follow-ups join their case, never someone else's.

Rules (services/intake/webhooks/conversation.py): ``CEK <id>`` answers a status; a digit
1–5 rates a resolved case; ``#ID`` joins that case if it is the sender's; an answer while
``awaiting_info`` resumes verification; a burst within the conversation window is one
case; anything else opens a new case.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import func, select

from shared.models import Case, CaseMessage, Event, OutboundMessage, utcnow

PHONE = "081234567890"
OTHER_PHONE = "081298765432"


def sms(message_id: str, text: str, sender: str = PHONE) -> bytes:
    return json.dumps(
        {"message_id": message_id, "from": sender, "to": "+6281100000003", "text": text}
    ).encode()


def twilio_sms(sid: str, text: str, sender: str = "+6281234567890") -> bytes:
    return urlencode(
        {
            "MessageSid": sid,
            "SmsStatus": "received",
            "From": sender,
            "To": "+6281100000001",
            "Body": text,
            "NumMedia": "0",
        }
    ).encode()


async def only_case(db) -> Case:
    async with db.session() as session:
        return (await session.scalars(select(Case))).one()


async def age_case(db, case_id: int, *, status: str | None = None) -> None:
    """Move the case out of the conversation window (and optionally into ``status``)."""
    async with db.session() as session:
        case = await session.get(Case, case_id)
        case.received_at = utcnow() - timedelta(hours=2)
        if status:
            case.status = status


async def count(db, model, *where) -> int:
    async with db.session() as session:
        stmt = select(func.count()).select_from(model)
        for clause in where:
            stmt = stmt.where(clause)
        return int(await session.scalar(stmt))


async def event_types(db, case_id: int) -> list[str]:
    async with db.session() as session:
        return list(
            (
                await session.scalars(
                    select(Event.type).where(Event.case_id == case_id).order_by(Event.id)
                )
            ).all()
        )


async def queued_bodies(db, template: str) -> list[str]:
    async with db.session() as session:
        return list(
            (
                await session.scalars(
                    select(OutboundMessage.body).where(OutboundMessage.template == template)
                )
            ).all()
        )


async def test_follow_up_naming_the_tracking_id_joins_that_case(webhooks, db):
    assert (
        await webhooks.post("sms_gateway", sms("m1", "Jalan rusak di Desa Sukamaju"))
    ).status_code == 200
    case = await only_case(db)
    await age_case(db, case.id)

    follow_up = await webhooks.post(
        "sms_gateway", sms("m2", f"#{case.tracking_id.lower()} foto terlampir")
    )
    assert follow_up.status_code == 200
    assert await count(db, Case) == 1
    async with db.session() as session:
        message = (await session.scalars(select(CaseMessage))).one()
    assert message.case_id == case.id and message.kind == "reporter"
    assert message.body == f"#{case.tracking_id.lower()} foto terlampir"
    assert message.author_name is None  # no identity in the thread
    assert await event_types(db, case.id) == ["case.received", "case.message_received"]
    # An SMS reply: one GSM-7 segment, the tracking ID first.
    assert await queued_bodies(db, "intake_joined") == [
        f"{case.tracking_id}: Pesan Anda ditambahkan ke laporan ini. Terima kasih."
    ]

    # Outside the conversation window, without naming the case: a new complaint.
    assert (
        await webhooks.post("sms_gateway", sms("m3", "Lampu jalan mati di pasar"))
    ).status_code == 200
    assert await count(db, Case) == 2


async def test_another_number_naming_the_id_does_not_join(webhooks, db):
    await webhooks.post("sms_gateway", sms("m1", "Jalan rusak di Desa Sukamaju"))
    case = await only_case(db)
    await age_case(db, case.id)

    answer = await webhooks.post(
        "sms_gateway", sms("x1", f"#{case.tracking_id} ini juga", sender=OTHER_PHONE)
    )
    assert answer.status_code == 200
    assert await count(db, Case) == 2
    assert await count(db, CaseMessage) == 0
    assert await event_types(db, case.id) == ["case.received"]
    (note,) = await queued_bodies(db, "intake_new_case")
    assert f"Nomor {case.tracking_id} tidak terdaftar" in note


async def test_twilio_reply_says_when_the_named_case_is_not_the_senders(webhooks, db):
    await webhooks.post("twilio")
    case = await only_case(db)
    answer = await webhooks.post(
        "twilio", twilio_sms("SMother1", f"#{case.tracking_id} saya juga", sender="+6281298765432")
    )
    assert answer.status_code == 200
    assert f"Nomor {case.tracking_id} bukan atas nama Anda" in answer.text
    new = (await session_cases(db))[-1]
    assert f"<Message>{new.tracking_id}: " in answer.text  # one SMS, the new ID first
    assert await count(db, Case) == 2


async def test_answer_while_awaiting_info_resumes_verification(webhooks, db, drain):
    await webhooks.post("sms_gateway", sms("m1", "Jalan rusak"))
    case = await only_case(db)
    await age_case(db, case.id, status="awaiting_info")

    answer = await webhooks.post("sms_gateway", sms("m2", "Lokasinya di depan SDN 3, RT 04"))
    assert answer.status_code == 200
    updated = await only_case(db)
    assert updated.status == "received"
    assert await event_types(db, case.id) == [
        "case.received",
        "case.message_received",
        "case.info_provided",
    ]
    async with db.session() as session:
        info = await session.scalar(select(Event).where(Event.type == "case.info_provided"))
    assert (
        info.actor_type == "reporter"
        and info.actor_role == "reporter"
        and info.actor_id == "channel:sms_gateway"
    )
    assert (await queued_bodies(db, "intake_info_provided"))[0] == (
        f"{case.tracking_id}: Terima kasih, data tambahan diterima dan akan diverifikasi."
    )


async def test_cek_answers_the_status_without_opening_a_case(webhooks, db):
    await webhooks.post("twilio")
    case = await only_case(db)
    answer = await webhooks.post("twilio", twilio_sms("SMcek1", f"cek {case.tracking_id}"))
    assert answer.status_code == 200
    assert f"{case.tracking_id}: Status: Diterima, menunggu verifikasi" in answer.text
    unknown = await webhooks.post("twilio", twilio_sms("SMcek2", "CEK XXXXXXXX"))
    assert "tidak ditemukan" in unknown.text
    assert await count(db, Case) == 1
    assert await count(db, CaseMessage) == 0

    by_gateway = await webhooks.post(
        "sms_gateway", sms("cek-3", f"CEK {case.tracking_id}", sender=OTHER_PHONE)
    )
    assert by_gateway.status_code == 200
    assert await count(db, Case) == 1
    (queued,) = await queued_bodies(db, "intake_status_query")
    assert queued.startswith(f"{case.tracking_id}: Status:")


async def test_a_digit_rates_the_senders_resolved_case(webhooks, db):
    await webhooks.post("sms_gateway", sms("m1", "Jalan rusak"))
    case = await only_case(db)
    await age_case(db, case.id, status="resolved")

    assert (await webhooks.post("sms_gateway", sms("m2", "5"))).status_code == 200
    rated = await only_case(db)
    assert rated.rating == 5
    assert (await event_types(db, case.id))[-1] == "case.rated"
    assert await count(db, Case) == 1


async def test_a_burst_from_one_sender_lands_in_one_case(webhooks, db):
    """Several workers handle one reporter's burst at once: still one case (lock per reporter)."""
    texts = [
        "Jembatan retak",
        "di Desa Sukamaju",
        "dekat balai desa",
        "sudah seminggu",
        "mohon dicek",
        "terima kasih",
    ]
    answers = await asyncio.gather(
        *(webhooks.post("sms_gateway", sms(f"burst-{i}", text)) for i, text in enumerate(texts))
    )
    assert [a.status_code for a in answers] == [200] * len(texts)
    assert await count(db, Case) == 1
    assert await count(db, CaseMessage) == len(texts) - 1
    other = await webhooks.post("sms_gateway", sms("o1", "Sampah menumpuk", sender=OTHER_PHONE))
    assert other.status_code == 200
    assert await count(db, Case) == 2


async def session_cases(db) -> list[Case]:
    async with db.session() as session:
        return list((await session.scalars(select(Case).order_by(Case.id))).all())
