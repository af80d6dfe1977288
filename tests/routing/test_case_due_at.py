"""``cases.due_at`` (migration 0019's triggers) against its plain reading: the earliest
deadline of the case's open clocks (``repository.current_deadline()``), over a lifecycle
that starts, pauses, stops, breaches and reschedules clocks — on both databases."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from services.routing.cases.repository import current_deadline
from shared.models import Case
from shared.models.sla import SlaClock


async def _mismatches(db) -> list[tuple]:
    async with db.session() as s:
        rows = (await s.execute(select(Case.tracking_id, Case.due_at, current_deadline()))).all()
    assert rows
    return [r for r in rows if r[1] != r[2]]


async def _due(db, tid: str):
    async with db.session() as s:
        return await s.scalar(select(Case.due_at).where(Case.tracking_id == tid))


async def test_due_at_follows_the_open_clocks_through_the_lifecycle(
    open_case, disposed, act, auth, admin_headers, db, drain
):
    queued, waiting, answered, returned = (
        await open_case(), await open_case(), await disposed("PUPR"), await disposed("PUPR")
    )  # fmt: skip
    await drain()  # the SLA service starts the clocks from the events
    assert await _due(db, queued) is not None  # the verification clock runs
    assert await _mismatches(db) == []
    assert (await act(admin_headers, waiting, "request-info", {"message": "Foto?"})).is_success
    opd = await auth("opd", "PUPR")
    assert (await act(opd, answered, "respond", {"message": "Ditinjau."})).is_success
    r = await act(opd, answered, "respond", {"message": "Selesai.", "final": True})
    assert r.is_success
    assert (await act(opd, returned, "return", {"reason": "Bukan kewenangan kami"})).is_success
    await drain()
    assert await _mismatches(db) == []
    r = await act(admin_headers, answered, "reopen", {"reason": "Pelapor belum puas"})
    assert r.is_success, r.text
    await drain()
    assert await _mismatches(db) == []

    # A holiday moving deadlines, the sweep's breach, a stop: the same statement as in SQL.
    later = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=9)
    async with db.session() as s:
        queued_id = await s.scalar(select(Case.id).where(Case.tracking_id == queued))
        await s.execute(
            update(SlaClock).where(SlaClock.case_id == queued_id).values(deadline_at=later)
        )
    assert await _due(db, queued) == later and await _mismatches(db) == []
    async with db.session() as s:
        await s.execute(
            update(SlaClock).where(SlaClock.case_id == queued_id).values(state="breached")
        )
    assert await _due(db, queued) == later
    async with db.session() as s:
        await s.execute(
            update(SlaClock)
            .where(SlaClock.case_id == queued_id)
            .values(stopped_at=later, state="met")
        )
    assert await _due(db, queued) is None and await _mismatches(db) == []
