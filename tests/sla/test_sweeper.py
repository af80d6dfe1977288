"""The sweeper, with a fake clock: warnings and breaches fire exactly once, a case whose
data never came is archived, a silent resolved case is closed."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select, update

from services.sla.clocks.tasks import sweep
from shared.models import Case, Opd, OutboundMessage
from tests.sla.factories import clocks, end_of, events, open_case, step, wib

SECOND = dt.timedelta(seconds=1)


async def disposed_case(db, drain, opd: str = "DUKCAPIL") -> int:
    case_id = await open_case(db, wib("2026-11-02 10:00"))
    await step(db, case_id, "verified", wib("2026-11-02 11:00"))
    await step(db, case_id, "disposed", wib("2026-11-02 12:00"), opd=opd, sla_class="informasi")
    await drain("sla")
    return case_id  # resolution: warning end of Wed 4 Nov, deadline end of Mon 9 Nov (WIB)


async def messages(db) -> list[OutboundMessage]:
    async with db.session() as session:
        return list(
            (await session.scalars(select(OutboundMessage).order_by(OutboundMessage.id))).all()
        )


async def test_warning_then_breach_each_fire_exactly_once_and_escalate(app, db, drain):
    async with db.session() as session:
        await session.execute(
            update(Opd)
            .where(Opd.code == "DUKCAPIL")
            .values(
                contact="pp.dukcapil@example.go.id", penanggung_jawab="kadis.dukcapil@example.go.id"
            )
        )
    case_id = await disposed_case(db, drain)
    ctx = app.state.ctx

    assert (await sweep(ctx, end_of("2026-11-04") - SECOND))["warned"] == 0
    assert (await sweep(ctx, end_of("2026-11-04") + SECOND))["warned"] == 1
    assert (await sweep(ctx, end_of("2026-11-05")))["warned"] == 0
    (warning,) = await events(db, case_id, "sla.warning")
    assert warning.data["clock"] == "resolution"
    assert warning.data["opd"] == "DUKCAPIL"
    assert warning.data["deadline_at"].startswith("2026-11-09T16:59:59")
    assert {(m.audience, m.recipient) for m in await messages(db)} == {
        ("staff", "admin_instansi"),
        ("opd", "pp.dukcapil@example.go.id"),
    }

    assert (await sweep(ctx, end_of("2026-11-09")))[
        "breached"
    ] == 0  # 23:59:59 itself is still in time
    assert (await sweep(ctx, end_of("2026-11-09") + SECOND))["breached"] == 1
    assert (await sweep(ctx, end_of("2026-11-20")))["breached"] == 0
    (breach,) = await events(db, case_id, "sla.breached")
    assert breach.data["clock"] == "resolution"
    breach_messages = [m for m in await messages(db) if m.event_id == breach.id]
    assert {m.recipient for m in breach_messages} == {
        "admin_instansi",
        "pp.dukcapil@example.go.id",
        "kadis.dukcapil@example.go.id",
    }
    assert all(m.channel == "log" and "Pengaduan" in m.body for m in breach_messages)
    (resolution,) = await clocks(db, case_id, "resolution")
    assert (resolution.state, resolution.breached_at) == ("breached", end_of("2026-11-09") + SECOND)
    assert resolution.stopped_at is None  # still open: the OPD still owes an answer

    await step(db, case_id, "resolved", wib("2026-11-12 10:00"))
    await drain("sla")
    (resolution,) = await clocks(db, case_id, "resolution")
    assert resolution.state == "breached" and resolution.stopped_at is not None


async def test_a_clock_found_past_its_deadline_breaches_without_a_late_warning(app, db, drain):
    case_id = await disposed_case(db, drain)
    counts = await sweep(app.state.ctx, end_of("2026-11-10"))
    assert (counts["warned"], counts["breached"]) == (0, 1)
    assert await events(db, case_id, "sla.warning") == []


async def test_verification_breach_escalates_to_admin_instansi(app, db, drain):
    case_id = await open_case(db, wib("2026-11-02 10:00"))
    await drain("sla")
    counts = await sweep(app.state.ctx, end_of("2026-11-05") + SECOND)
    assert counts["breached"] == 1
    (breach,) = await events(db, case_id, "sla.breached")
    assert breach.data["clock"] == "verification" and breach.data["opd"] is None
    assert [m.recipient for m in await messages(db)] == ["admin_instansi"]


async def test_concurrent_sweeps_fire_each_event_once(app, db, drain):
    case_ids = [await disposed_case(db, drain) for _ in range(12)]
    ctx = app.state.ctx
    now = end_of("2026-11-04") + SECOND
    first, second = await asyncio.gather(
        sweep(ctx, now, batch_size=5), sweep(ctx, now, batch_size=5)
    )
    assert first["warned"] + second["warned"] == 12
    later = end_of("2026-11-09") + SECOND
    first, second = await asyncio.gather(
        sweep(ctx, later, batch_size=5), sweep(ctx, later, batch_size=5)
    )
    assert first["breached"] + second["breached"] == 12
    for case_id in case_ids:
        assert len(await events(db, case_id, "sla.warning")) == 1
        assert len(await events(db, case_id, "sla.breached")) == 1
    keys = [m.dedup_key for m in await messages(db)]
    assert len(keys) == len(set(keys)) == 12 * 2 + 12 * 3


async def test_missing_data_for_ten_working_days_archives_the_case(app, db, drain):
    case_id = await open_case(db, wib("2026-11-02 10:00"))
    await step(
        db, case_id, "info_requested", wib("2026-11-03 09:00"), reason="Mohon lengkapi alamat"
    )
    await drain("sla")
    ctx = app.state.ctx
    assert (await sweep(ctx, end_of("2026-11-17")))["archived"] == 0
    assert (await sweep(ctx, end_of("2026-11-17") + SECOND))["archived"] == 1
    assert (await sweep(ctx, end_of("2026-11-18")))["archived"] == 0
    async with db.session() as session:
        case = await session.get(Case, case_id)
        assert case.status == "archived"
        assert case.archive_reason == "Data tidak dilengkapi dalam 10 hari kerja"
    (archived,) = await events(db, case_id, "case.archived")
    assert archived.actor_type == "system"
    assert archived.reason == "Data tidak dilengkapi dalam 10 hari kerja"
    assert archived.data["reason_code"] == "incomplete"
    assert await events(db, case_id, "sla.") == []  # the reporter's clock is not a staff breach
    await drain("sla")
    verification, missing = await clocks(db, case_id)
    assert (missing.state, verification.state) == ("breached", "cancelled")
    assert verification.stopped_at is not None


async def test_an_answer_in_time_prevents_the_archive(app, db, drain):
    case_id = await open_case(db, wib("2026-11-02 10:00"))
    await step(db, case_id, "info_requested", wib("2026-11-03 09:00"), reason="x")
    await step(db, case_id, "info_provided", wib("2026-11-16 09:00"))
    await drain("sla")
    counts = await sweep(app.state.ctx, end_of("2026-11-17") + SECOND)
    assert counts["archived"] == 0
    async with db.session() as session:
        assert (await session.get(Case, case_id)).status == "received"


async def test_silence_after_a_final_answer_closes_the_case(app, db, drain):
    case_id = await disposed_case(db, drain)
    await step(db, case_id, "resolved", wib("2026-11-04 12:00"))
    await drain("sla")
    ctx = app.state.ctx
    assert (await sweep(ctx, end_of("2026-11-18")))["closed"] == 0
    assert (await sweep(ctx, end_of("2026-11-18") + SECOND))["closed"] == 1
    assert (await sweep(ctx, end_of("2026-11-19")))["closed"] == 0
    async with db.session() as session:
        case = await session.get(Case, case_id)
        assert case.status == "closed" and case.closed_at is not None
    (closed,) = await events(db, case_id, "case.closed")
    assert closed.actor_type == "system"
    await drain("sla")
    (closure,) = await clocks(db, case_id, "closure")
    assert closure.state == "met"
