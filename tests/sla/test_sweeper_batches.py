"""The sweeper's batched paths: a claimed batch is announced with multi-row inserts and a
batch of expired reporter-side clocks is acted on with one UPDATE, yet every clock gives the
same event, deliveries and messages it gave one at a time, exactly once, with any number of
sweepers and batch sizes smaller than the work."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select, update
from structlog.testing import capture_logs

from services.sla.clocks import tasks
from services.sla.clocks.tasks import sweep
from services.sla.escalation.service import Escalation, queue_escalation, queue_escalations
from shared.models import Case, EventDelivery, Opd, OutboundMessage
from tests.sla.factories import WIB, clocks, end_of, events, open_case, step, wib

SECOND = dt.timedelta(seconds=1)
WARN_AT = end_of("2026-11-04") + SECOND  # resolution (informasi) and verification warnings
BREACH_AT = end_of("2026-11-09") + SECOND  # resolution deadline; verification's was the 5th
OPD_NAMES = {
    "DUKCAPIL": "Dinas Kependudukan dan Pencatatan Sipil",
    "DISDIK": "Dinas Pendidikan Kepemudaan dan Olahraga",
}
DUKCAPIL_CONTACT = "pp.dukcapil@example.go.id"
DUKCAPIL_CHIEF = "kadis.dukcapil@example.go.id"


async def disposed(db, opd: str) -> int:
    case_id = await open_case(db, wib("2026-11-02 10:00"))
    await step(db, case_id, "verified", wib("2026-11-02 11:00"))
    await step(db, case_id, "disposed", wib("2026-11-02 12:00"), opd=opd, sla_class="informasi")
    return case_id


async def mixed_cases(db, drain) -> dict[int, str | None]:
    """Cases with a due resolution clock at two OPDs (one with contacts on file, one
    without) and cases still waiting for verification (no OPD): case id -> OPD."""
    async with db.session() as session:
        await session.execute(
            update(Opd)
            .where(Opd.code == "DUKCAPIL")
            .values(contact=DUKCAPIL_CONTACT, penanggung_jawab=DUKCAPIL_CHIEF)
        )
    owners: dict[int, str | None] = {}
    for opd in ("DUKCAPIL", "DISDIK", "DUKCAPIL", "DISDIK", "DUKCAPIL"):
        owners[await disposed(db, opd)] = opd
    for _ in range(3):
        owners[await open_case(db, wib("2026-11-02 10:00"))] = None
    await drain("sla")
    return owners


def expected_recipients(opd: str | None, *, breached: bool) -> list[tuple[str, str, str]]:
    """(audience, recipient, template role) as the escalation rules name them."""
    people = [("staff", "admin_instansi", "admin_instansi")]
    if opd == "DUKCAPIL":
        people.append(("opd", DUKCAPIL_CONTACT, "pejabat_penghubung"))
        if breached:
            people.append(("opd", DUKCAPIL_CHIEF, "penanggung_jawab"))
    elif opd:
        people.append(("opd", f"opd:{opd}:pejabat_penghubung", "pejabat_penghubung"))
        if breached:
            people.append(("opd", f"opd:{opd}:penanggung_jawab", "penanggung_jawab"))
    return people


def expected_body(tracking_id: str, opd: str | None, *, breached: bool) -> str:
    """The Bahasa Indonesia text, spelled out (deadlines as the pemda reads them, WIB)."""
    owner = f" ({OPD_NAMES[opd]})" if opd else ""
    if opd:
        what, when = "tindak lanjut", "09-11-2026 23:59"
    else:
        what, when = "verifikasi", "05-11-2026 23:59"
    link = f"\nhttps://pengaduan.example.go.id/konsol/kasus/{tracking_id}"
    if breached:
        return (
            f"Pengaduan {tracking_id}{owner} melewati batas waktu {what} ({when}). "
            "Mohon segera ditindaklanjuti dan laporkan kendalanya." + link
        )
    return (
        f"Peringatan dini: batas waktu {what} pengaduan {tracking_id}{owner} jatuh pada {when}. "
        "Mohon diselesaikan sebelum batas waktu." + link
    )


async def all_messages(db) -> list[OutboundMessage]:
    async with db.session() as session:
        stmt = select(OutboundMessage).order_by(OutboundMessage.id)
        return list((await session.scalars(stmt)).all())


async def check_announced(db, owners: dict[int, str | None], *, breached: bool) -> None:
    """Each case has exactly one event of the kind, with its clock's data, one delivery to
    notify, and exactly its recipients' messages pointing at that event."""
    event_type = "sla.breached" if breached else "sla.warning"
    template = "sla_breached" if breached else "sla_warning"
    messages = await all_messages(db)
    async with db.session() as session:
        deliveries = list((await session.scalars(select(EventDelivery))).all())
        tracking = dict((await session.execute(select(Case.id, Case.tracking_id))).all())
    for case_id, opd in owners.items():
        (event,) = await events(db, case_id, event_type)
        kind = "resolution" if opd else "verification"
        (clock,) = await clocks(db, case_id, kind)
        assert (event.actor_type, event.actor_id, event.actor_name, event.actor_role) == (
            "system",
            "simpul",
            "Simpul",
            "system",
        )
        assert event.reason is None and event.subject_id == str(case_id)
        assert event.occurred_at == (BREACH_AT if breached else WARN_AT)
        assert event.data == {
            "clock": kind,
            "clock_id": clock.id,
            "tracking_id": tracking[case_id],
            "opd": opd,
            "sla_class": "informasi" if opd else None,
            "working_days": 5 if opd else 3,
            "deadline_at": clock.deadline_at.isoformat(),
            "warning_at": clock.warning_at.isoformat(),
        }
        assert [
            (d.consumer, d.case_id, d.status) for d in deliveries if d.event_id == event.id
        ] == [("notify", case_id, "pending")]
        body = expected_body(tracking[case_id], opd, breached=breached)
        mine = [m for m in messages if m.event_id == event.id]
        assert [
            (m.case_id, m.audience, m.channel, m.recipient, m.template, m.body, m.dedup_key)
            for m in mine
        ] == [
            (
                case_id,
                audience,
                "log",
                recipient,
                f"{template}_{role}",
                body,
                f"{event.id}:{recipient}",
            )
            for audience, recipient, role in expected_recipients(opd, breached=breached)
        ]
        assert all(m.status == "pending" and m.attempts == 0 for m in mine)


async def test_batches_smaller_than_the_work_announce_each_clock_as_one_at_a_time(app, db, drain):
    owners = await mixed_cases(db, drain)
    ctx = app.state.ctx

    counts = await sweep(ctx, WARN_AT, batch_size=3)
    assert counts["warned"] == len(owners)
    await check_announced(db, owners, breached=False)
    warning_messages = len(await all_messages(db))
    assert warning_messages == 3 * 2 + 2 * 2 + 3 * 1

    counts = await sweep(ctx, BREACH_AT, batch_size=3)
    assert (counts["warned"], counts["breached"]) == (0, len(owners))
    await check_announced(db, owners, breached=True)
    assert len(await all_messages(db)) == warning_messages + 3 * 3 + 2 * 3 + 3 * 1

    assert await sweep(ctx, BREACH_AT + SECOND, batch_size=3) == {
        "warned": 0,
        "breached": 0,
        "archived": 0,
        "closed": 0,
        "expired": 0,
    }
    assert len(await events(db, prefix="sla.")) == 2 * len(owners)


async def test_several_sweepers_with_small_batches_fire_each_clock_once(app, db, drain):
    owners = await mixed_cases(db, drain)
    ctx = app.state.ctx
    for moment, key in ((WARN_AT, "warned"), (BREACH_AT, "breached")):
        results = await asyncio.gather(*(sweep(ctx, moment, batch_size=2) for _ in range(3)))
        assert sum(r[key] for r in results) == len(owners)
    await check_announced(db, owners, breached=False)
    await check_announced(db, owners, breached=True)
    keys = [m.dedup_key for m in await all_messages(db)]
    assert len(keys) == len(set(keys))


async def test_a_repeated_escalation_queues_nothing(app, db, drain):
    owners = await mixed_cases(db, drain)
    case_id = next(c for c, opd in owners.items() if opd == "DUKCAPIL")
    await sweep(app.state.ctx, WARN_AT)
    (event,) = await events(db, case_id, "sla.warning")
    async with db.session() as session:
        escalation = Escalation(
            event_id=event.id,
            case_id=case_id,
            breached=False,
            tracking_id=event.data["tracking_id"],
            clock_kind="resolution",
            deadline_local=dt.datetime(2026, 11, 9, 23, 59, 59, tzinfo=WIB),
            opd_code="DUKCAPIL",
        )
        settings = app.state.settings
        assert await queue_escalations(session, [escalation, escalation], settings) == 0
        fields = {k: getattr(escalation, k) for k in Escalation.__slots__}
        assert await queue_escalation(session, settings, **fields) == 0
    assert len([m for m in await all_messages(db) if m.event_id == event.id]) == 2


# -- expiry: archive and close in batches ---------------------------------------------------------

CLOSE_AT = end_of("2026-11-18") + SECOND  # closure after resolved on 4 Nov (10 WD)
ARCHIVE_REASON = "Data tidak dilengkapi dalam 10 hari kerja"
CLOSE_REASON = (
    "Ditutup otomatis: tidak ada tanggapan pelapor dalam 10 hari kerja setelah jawaban akhir"
)


async def expiring_cases(db, drain, closing: int = 5, archiving: int = 4):
    """Resolved cases whose reporter stays silent, and cases whose data never comes."""
    closed = []
    for i in range(closing):
        case_id = await disposed(db, ("DUKCAPIL", "DISDIK")[i % 2])
        await step(db, case_id, "resolved", wib("2026-11-04 12:00"))
        closed.append(case_id)
    archived = []
    for _ in range(archiving):
        case_id = await open_case(db, wib("2026-11-02 10:00"))
        await step(db, case_id, "info_requested", wib("2026-11-03 09:00"), reason="Lengkapi")
        archived.append(case_id)
    await drain("sla")
    return closed, archived


async def case_row(db, case_id: int) -> Case:
    async with db.session() as session:
        return await session.get(Case, case_id)


async def check_expired(db, closed: list[int], archived: list[int]) -> None:
    """One event per case, as SYSTEM with the reason; the case moved and its version bumped."""
    for case_id, kind, event_type, reason, code in [
        *((c, "closure", "case.closed", CLOSE_REASON, "no_reporter_reply") for c in closed),
        *((c, "missing_info", "case.archived", ARCHIVE_REASON, "incomplete") for c in archived),
    ]:
        (event,) = await events(db, case_id, event_type)
        (clock,) = await clocks(db, case_id, kind)
        assert (event.actor_type, event.reason, event.occurred_at) == ("system", reason, CLOSE_AT)
        assert event.data == {
            "clock": kind,
            "clock_id": clock.id,
            "deadline_at": clock.deadline_at.isoformat(),
            "by": "sla",
            "reason_code": code,
        }
        assert clock.stopped_at == CLOSE_AT
        assert clock.state == ("met" if kind == "closure" else "breached")
        case = await case_row(db, case_id)
        assert case.status_changed_at == CLOSE_AT
        if kind == "closure":
            assert (case.status, case.closed_at) == ("closed", CLOSE_AT)
        else:
            assert (case.status, case.archived_at, case.archive_reason) == (
                "archived",
                CLOSE_AT,
                ARCHIVE_REASON,
            )


async def test_expired_clocks_archive_and_close_their_cases_in_batches(app, db, drain):
    closed, archived = await expiring_cases(db, drain)
    moved_on = closed.pop()  # reopened behind the clock's back: the consumer has not run yet
    async with db.session() as session:
        await session.execute(update(Case).where(Case.id == moved_on).values(status="in_progress"))
    versions = {c: (await case_row(db, c)).version for c in closed + archived + [moved_on]}

    counts = await sweep(app.state.ctx, CLOSE_AT, batch_size=2)
    assert (counts["closed"], counts["archived"], counts["expired"]) == (
        len(closed),
        len(archived),
        1,
    )
    await check_expired(db, closed, archived)
    for case_id in closed + archived:
        assert (await case_row(db, case_id)).version == versions[case_id] + 1
    assert (await case_row(db, moved_on)).status == "in_progress"
    assert await events(db, moved_on, "case.closed") == []
    (closure,) = await clocks(db, moved_on, "closure")
    assert closure.state == "met"  # its time ran out; the case simply is no longer silent
    assert (await sweep(app.state.ctx, CLOSE_AT + SECOND, batch_size=2))["closed"] == 0


async def test_one_failing_case_does_not_stop_the_batch(app, db, drain, monkeypatch):
    closed, archived = await expiring_cases(db, drain)
    bad = closed[1]
    real = tasks.apply_to_many

    async def failing_for_bad(session, case_ids, *args, **kwargs):
        if bad in case_ids:
            raise RuntimeError("this case cannot move")
        return await real(session, case_ids, *args, **kwargs)

    monkeypatch.setattr(tasks, "apply_to_many", failing_for_bad)
    with capture_logs() as logs:
        counts = await sweep(app.state.ctx, CLOSE_AT, batch_size=2)
    assert (counts["closed"], counts["archived"]) == (len(closed) - 1, len(archived))
    (bad_clock,) = await clocks(db, bad, "closure")
    failures = [entry for entry in logs if entry["event"] == "sla_expiry_failed"]
    assert [(f["clock_id"], f["error_type"]) for f in failures] == [(bad_clock.id, "RuntimeError")]
    assert any(entry["event"] == "sla_expiry_batch_failed" for entry in logs)
    assert bad_clock.state == "running" and (await case_row(db, bad)).status == "resolved"
    await check_expired(db, [c for c in closed if c != bad], archived)

    monkeypatch.setattr(tasks, "apply_to_many", real)
    assert (await sweep(app.state.ctx, CLOSE_AT, batch_size=2))["closed"] == 1
    await check_expired(db, closed, archived)


async def test_several_sweepers_archive_and_close_each_case_once(app, db, drain):
    closed, archived = await expiring_cases(db, drain, closing=6, archiving=5)
    results = await asyncio.gather(
        *(sweep(app.state.ctx, CLOSE_AT, batch_size=2) for _ in range(3))
    )
    assert sum(r["closed"] for r in results) == len(closed)
    assert sum(r["archived"] for r in results) == len(archived)
    assert sum(r["expired"] for r in results) == 0
    await check_expired(db, closed, archived)
