"""The ``sla`` consumer: clocks start, pause, resume and stop on case events."""

from __future__ import annotations

from sqlalchemy import update

from shared.calendar import WorkingCalendar
from shared.models import EventDelivery
from tests.sla.factories import clocks, end_of, open_case, step, wib

JAKARTA = WorkingCalendar("Asia/Jakarta")


async def test_received_starts_verification_of_three_working_days(db, drain):
    case_id = await open_case(db, wib("2026-11-20 15:00"))  # a Friday afternoon
    assert await drain("sla") >= 1
    (clock,) = await clocks(db, case_id)
    assert (clock.kind, clock.state, clock.working_days, clock.generation) == (
        "verification",
        "running",
        3,
        1,
    )
    assert clock.deadline_at == end_of("2026-11-25")
    assert clock.warning_at == end_of("2026-11-24")  # one working day before


async def test_info_request_pauses_verification_and_paused_days_do_not_count(db, drain):
    case_id = await open_case(db, wib("2026-11-02 10:00"))  # Monday
    await step(
        db, case_id, "info_requested", wib("2026-11-03 09:00"), reason="Mohon foto lokasi"
    )  # used 1
    await drain("sla")
    verification, missing = await clocks(db, case_id)
    assert (verification.state, verification.used_working_days) == ("paused", 1)
    assert (missing.kind, missing.state) == ("missing_info", "running")
    assert missing.deadline_at == end_of("2026-11-17")  # 10 WD from Tuesday 3 Nov
    assert missing.warning_at is None

    await step(db, case_id, "info_provided", wib("2026-11-09 14:00"), actor=_reporter())
    await drain("sla")
    verification, missing = await clocks(db, case_id)
    assert missing.state == "met"
    assert verification.state == "running"
    # 2 WD left, counted from Monday 9 Nov (day 0): Tuesday, Wednesday.
    assert verification.deadline_at == end_of("2026-11-11")


async def test_a_second_round_of_missing_data_is_a_new_generation(db, drain):
    case_id = await open_case(db, wib("2026-11-02 10:00"))
    await step(db, case_id, "info_requested", wib("2026-11-03 09:00"), reason="a")
    await step(db, case_id, "info_provided", wib("2026-11-04 09:00"), actor=_reporter())
    await step(db, case_id, "info_requested", wib("2026-11-05 09:00"), reason="b")
    await drain("sla")
    missing = await clocks(db, case_id, "missing_info")
    assert [(c.generation, c.state) for c in missing] == [(1, "met"), (2, "running")]
    (verification,) = await clocks(db, case_id, "verification")
    assert (verification.state, verification.used_working_days) == ("paused", 2)


async def test_disposal_starts_the_resolution_clock_of_the_sla_class(db, drain):
    for sla_class, n, warn in (("informasi", 5, 3), ("non_lapangan", 14, 8), ("lapangan", 60, 35)):
        case_id = await open_case(db, wib("2026-11-02 10:00"))
        await step(db, case_id, "verified", wib("2026-11-02 11:00"))
        await step(
            db, case_id, "disposed", wib("2026-11-02 12:00"), opd="DUKCAPIL", sla_class=sla_class
        )
        await drain("sla")
        verification, resolution = await clocks(db, case_id)
        assert verification.state == "met"
        assert (resolution.kind, resolution.state, resolution.opd_code) == (
            "resolution",
            "running",
            "DUKCAPIL",
        )
        assert (resolution.sla_class, resolution.working_days, resolution.warning_days) == (
            sla_class,
            n,
            warn,
        )
        deadline = JAKARTA.working_days_after(wib("2026-11-02 12:00"), n)
        assert resolution.deadline_at == deadline
        assert resolution.warning_at == JAKARTA.warning_before(deadline, warn)
    informasi = JAKARTA.working_days_after(wib("2026-11-02 12:00"), 5)
    assert informasi == end_of("2026-11-09")
    assert JAKARTA.warning_before(informasi, 3) == end_of("2026-11-04")


async def test_warnings_in_calendar_days_when_configured(app, db, drain):
    app.state.ctx.settings.warning_in_working_days = False
    case_id = await open_case(db, wib("2026-11-02 10:00"))
    await step(
        db, case_id, "disposed", wib("2026-11-02 12:00"), opd="DUKCAPIL", sla_class="non_lapangan"
    )
    await drain("sla")
    (resolution,) = await clocks(db, case_id, "resolution")
    assert resolution.deadline_at == end_of("2026-11-20")  # 14 WD
    assert resolution.warning_at == end_of("2026-11-12")  # 8 calendar days before


async def test_returned_cancels_and_redisposal_starts_a_new_clock(db, drain):
    case_id = await open_case(db, wib("2026-11-02 10:00"))
    await step(
        db, case_id, "disposed", wib("2026-11-02 12:00"), opd="DUKCAPIL", sla_class="informasi"
    )
    await step(
        db,
        case_id,
        "returned",
        wib("2026-11-04 12:00"),
        actor=_opd("DUKCAPIL"),
        reason="bukan wewenang",
    )
    await step(db, case_id, "disposed", wib("2026-11-05 12:00"), opd="PUPR", sla_class="lapangan")
    await drain("sla")
    first, second = await clocks(db, case_id, "resolution")
    assert (first.generation, first.state, first.opd_code) == (1, "cancelled", "DUKCAPIL")
    assert (second.generation, second.state, second.opd_code) == (2, "running", "PUPR")
    assert second.deadline_at == JAKARTA.working_days_after(wib("2026-11-05 12:00"), 60)


async def test_responses_change_nothing_resolution_meets_and_starts_closure(db, drain):
    case_id = await open_case(db, wib("2026-11-02 10:00"))
    await step(
        db, case_id, "disposed", wib("2026-11-02 12:00"), opd="DUKCAPIL", sla_class="informasi"
    )
    await step(db, case_id, "responded", wib("2026-11-03 12:00"), actor=_opd("DUKCAPIL"))
    await drain("sla")
    (resolution,) = await clocks(db, case_id, "resolution")
    assert resolution.state == "running"
    await step(db, case_id, "resolved", wib("2026-11-04 12:00"), actor=_opd("DUKCAPIL"))
    await drain("sla")
    (resolution,) = await clocks(db, case_id, "resolution")
    assert resolution.state == "met"
    (closure,) = await clocks(db, case_id, "closure")
    assert (closure.state, closure.deadline_at) == ("running", end_of("2026-11-18"))


async def test_reopen_cancels_closure_and_starts_a_fresh_resolution(db, drain):
    case_id = await open_case(db, wib("2026-11-02 10:00"))
    await step(
        db, case_id, "disposed", wib("2026-11-02 12:00"), opd="DUKCAPIL", sla_class="informasi"
    )
    await step(db, case_id, "resolved", wib("2026-11-04 12:00"), actor=_opd("DUKCAPIL"))
    await step(
        db, case_id, "reopened", wib("2026-11-06 12:00"), actor=_reporter(), reason="belum beres"
    )
    await drain("sla")
    (closure,) = await clocks(db, case_id, "closure")
    assert closure.state == "cancelled"
    first, second = await clocks(db, case_id, "resolution")
    assert (first.state, second.state, second.generation, second.opd_code) == (
        "met",
        "running",
        2,
        "DUKCAPIL",
    )
    assert second.deadline_at == end_of("2026-11-13")  # 5 WD from Friday 6 Nov


async def test_a_reporter_message_restarts_the_closure_clock(db, drain):
    case_id = await open_case(db, wib("2026-11-02 10:00"))
    await step(db, case_id, "resolved", wib("2026-11-04 12:00"))
    await step(db, case_id, "message_received", wib("2026-11-10 12:00"), actor=_reporter())
    await drain("sla")
    first, second = await clocks(db, case_id, "closure")
    assert (first.state, second.state) == ("cancelled", "running")
    assert second.deadline_at == JAKARTA.working_days_after(wib("2026-11-10 12:00"), 10)


async def test_terminal_states_stop_every_clock(db, drain):
    for terminal in ("archived", "forwarded_national", "closed"):
        case_id = await open_case(db, wib("2026-11-02 10:00"))
        await step(db, case_id, "info_requested", wib("2026-11-03 09:00"), reason="x")
        await step(db, case_id, terminal, wib("2026-11-04 09:00"), reason="selesai")
        await drain("sla")
        assert all(c.stopped_at is not None for c in await clocks(db, case_id)), terminal
        assert {c.state for c in await clocks(db, case_id)} <= {"met", "cancelled"}


async def test_referral_to_apip_starts_the_inspektorat_clock(db, drain):
    case_id = await open_case(db, wib("2026-11-02 10:00"))
    await step(
        db, case_id, "disposed", wib("2026-11-02 12:00"), opd="DUKCAPIL", sla_class="informasi"
    )
    await step(db, case_id, "referred_apip", wib("2026-11-03 12:00"), opd="INSPEKTORAT")
    await drain("sla")
    first, second = await clocks(db, case_id, "resolution")
    assert (first.state, first.opd_code) == ("cancelled", "DUKCAPIL")
    assert (second.state, second.opd_code, second.sla_class) == (
        "running",
        "INSPEKTORAT",
        "informasi",
    )


async def test_met_after_the_deadline_is_recorded_as_breached(db, drain):
    case_id = await open_case(db, wib("2026-11-02 10:00"))
    await step(db, case_id, "verified", wib("2026-11-10 10:00"))  # deadline was Thursday 5 Nov
    await drain("sla")
    (verification,) = await clocks(db, case_id)
    assert (verification.state, verification.breached_at) == ("breached", end_of("2026-11-05"))
    assert verification.stopped_at is not None


async def test_redelivered_events_change_nothing(db, drain):
    case_id = await open_case(db, wib("2026-11-02 10:00"))
    await step(db, case_id, "info_requested", wib("2026-11-03 09:00"), reason="x")
    await step(db, case_id, "info_provided", wib("2026-11-09 14:00"), actor=_reporter())
    await step(
        db, case_id, "disposed", wib("2026-11-10 12:00"), opd="DUKCAPIL", sla_class="informasi"
    )
    await drain("sla")
    before = [_snapshot(c) for c in await clocks(db, case_id)]
    async with db.session() as session:  # every delivery comes again
        await session.execute(
            update(EventDelivery)
            .where(EventDelivery.consumer == "sla")
            .values(status="pending", locked_until=None)
        )
    assert await drain("sla") == 4
    assert [_snapshot(c) for c in await clocks(db, case_id)] == before


def _snapshot(clock) -> tuple:
    return (
        clock.id,
        clock.kind,
        clock.generation,
        clock.state,
        clock.used_working_days,
        clock.deadline_at,
        clock.warning_at,
        clock.paused_at,
        clock.stopped_at,
    )


def _reporter():
    from shared.auth import Actor
    from shared.lifecycle import Role

    return Actor(type="reporter", role=Role.REPORTER)


def _opd(code: str):
    from shared.auth import Actor
    from shared.lifecycle import Role

    return Actor(type="ops", id="token:9", name=code, role=Role.OPD, opd_code=code)
