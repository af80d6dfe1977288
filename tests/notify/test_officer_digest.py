"""The daily digest: once per working day, each OPD's officers hear what falls due in the
next 3 working days; a second run that day, or another process, queues nothing more."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from sqlalchemy import select

from services.sla.notify.digest import send_digest
from shared.identity import users
from shared.models import Case, OutboundMessage
from tests.sla.factories import open_case, step, wib


async def officer(db, opd: str, email: str) -> None:
    async with db.session() as session:
        await users.create_user(
            session, username=f"pp-{uuid.uuid4().hex[:6]}", full_name="PP", role="opd",
            opd_code=opd, email=email, notify_channel="email",
        )  # fmt: skip


async def disposed(db, opd: str, at: dt.datetime) -> str:
    case_id = await open_case(db, at)
    await step(db, case_id, "verified", at)
    await step(db, case_id, "disposed", at, opd=opd, sla_class="informasi")
    async with db.session() as session:
        return (await session.get(Case, case_id)).tracking_id


async def digests(db) -> list[OutboundMessage]:
    async with db.session() as session:
        stmt = select(OutboundMessage).where(OutboundMessage.template.like("officer_digest%"))
        return list((await session.scalars(stmt.order_by(OutboundMessage.id))).all())


async def test_digest_lists_what_is_due_within_three_working_days_once_a_day(app, db, drain):
    await officer(db, "DUKCAPIL", "pp.dukcapil@tabanan.example.go.id")
    # 5 WD from Mon 2 Nov: due Mon 9 Nov; from Wed 4 Nov: due Wed 11 Nov
    soon = await disposed(db, "DUKCAPIL", wib("2026-11-02 10:00"))
    later = await disposed(db, "DUKCAPIL", wib("2026-11-04 10:00"))
    await drain("sla")
    ctx = app.state.ctx
    assert await send_digest(ctx, wib("2026-11-05 06:30")) == 0  # before the digest hour
    assert await send_digest(ctx, wib("2026-11-07 09:00")) == 0  # Saturday
    results = await asyncio.gather(*(send_digest(ctx, wib("2026-11-05 07:10")) for _ in range(3)))
    assert sum(results) == 1
    assert await send_digest(ctx, wib("2026-11-05 15:00")) == 0  # once per working day
    marker, message = sorted(await digests(db), key=lambda m: m.template, reverse=True)
    assert marker.dedup_key == "digest:2026-11-05" and marker.channel == "log"
    assert (message.channel, message.recipient) == ("email", "pp.dukcapil@tabanan.example.go.id")
    assert soon in message.body and later not in message.body
    assert f"https://pengaduan.example.go.id/konsol/kasus/{soon}" in message.body
    assert "jatuh tempo dalam 3 hari kerja" in message.body
    # the next working day: both fall within 3 working days of Fri 6 Nov (9, 10, 11 Nov)
    assert await send_digest(ctx, wib("2026-11-06 08:00")) == 1
    latest = (await digests(db))[-2]
    assert soon in latest.body and later in latest.body
