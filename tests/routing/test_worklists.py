"""Worklists (the console's and ``/admin/worklists``): Admin Instansi's queue by oldest
deadline, an OPD's inbox by urgency with its copies, APIP's referrals; no reporter field in
any row; each list is its role's; working days left in words."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from services.routing.worklists.due import due_label, due_view
from shared.calendar import WorkingCalendar
from shared.models import Case
from shared.models.sla import SlaClock
from tests.routing.conftest import assert_no_identity


async def _worklist(client, headers, name, **params):
    r = await client.get(f"/admin/worklists/{name}", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def _set_deadline(db, tid: str, kind: str, deadline: dt.datetime, **values) -> None:
    async with db.session() as s:
        case_id = await s.scalar(select(Case.id).where(Case.tracking_id == tid))
        await s.execute(
            update(SlaClock)
            .where(SlaClock.case_id == case_id, SlaClock.kind == kind)
            .values(deadline_at=deadline, **values)
        )


async def test_queue_lists_new_cases_oldest_deadline_first_without_identity(
    open_case, client, admin_headers, drain, db
):
    first = await open_case(anonymous=True, kecamatan_code=None)
    second = await open_case(description="Lampu jalan mati di Jalan Gajah Mada")
    await drain()
    now = dt.datetime.now(dt.UTC)
    await _set_deadline(db, first, "verification", now + dt.timedelta(days=5))
    await _set_deadline(db, second, "verification", now + dt.timedelta(days=1))
    page = await _worklist(client, admin_headers, "queue")
    ids = [i["tracking_id"] for i in page["items"]]
    assert ids == [second, first] and page["total"] == 2
    row = page["items"][0]
    assert row["due"]["kind"] == "verification" and row["due"]["label"].startswith(
        ("sisa", "batas", "lewat")
    )
    assert "suggestion" in row and "reason" in row["suggestion"]
    assert_no_identity(str(page))
    assert "reporter" not in row


async def test_queue_filters_and_search_narrow_it(open_case, client, admin_headers, drain):
    await open_case(channel="sms")
    web = await open_case(channel="web", description="Sampah menumpuk di pasar")
    await drain()
    page = await _worklist(client, admin_headers, "queue", channel="web")
    assert [i["tracking_id"] for i in page["items"]] == [web]
    page = await _worklist(client, admin_headers, "queue", q="sampah")
    assert [i["tracking_id"] for i in page["items"]] == [web]
    page = await _worklist(client, admin_headers, "queue", status="disposed")
    assert page["items"] == []


async def test_worklists_belong_to_their_roles(client, auth):
    opd = await auth("opd", "PUPR")
    r = await client.get("/admin/worklists/queue", headers=opd)
    assert r.status_code == 403
    viewer = await auth("viewer")
    assert (await client.get("/admin/worklists/inbox", headers=viewer)).status_code == 403
    assert (await client.get("/admin/worklists/nothing", headers=viewer)).status_code == 422


async def test_inbox_puts_breaches_then_warnings_first_and_holds_copies(
    disposed, client, auth, drain, db
):
    calm = await disposed("PUPR")
    late = await disposed("PUPR")
    warned = await disposed("PUPR")
    copy = await disposed("DLH", copies=["PUPR"])
    elsewhere = await disposed("DLH")
    await drain()
    now = dt.datetime.now(dt.UTC)
    await _set_deadline(db, calm, "resolution", now + dt.timedelta(days=3))
    await _set_deadline(
        db,
        warned,
        "resolution",
        now + dt.timedelta(days=20),
        warning_at=now - dt.timedelta(hours=1),
    )
    await _set_deadline(db, late, "resolution", now - dt.timedelta(days=2))
    opd = await auth("opd", "PUPR")
    page = await _worklist(client, opd, "inbox")
    ids = [i["tracking_id"] for i in page["items"]]
    assert ids[:2] == [late, warned]
    assert set(ids) == {calm, late, warned, copy} and elsewhere not in ids
    levels = {i["tracking_id"]: i["due"]["level"] for i in page["items"]}
    assert levels[late] == "breached" and levels[warned] == "warning"
    assert_no_identity(str(page))


async def test_referrals_list_apip_cases(open_case, act, admin_headers, client, auth):
    tid = await open_case(category_code="JALAN")
    await act(admin_headers, tid, "verify")
    assert (await act(admin_headers, tid, "refer-apip", {})).status_code == 200
    page = await _worklist(client, await auth("apip"), "referrals")
    assert [i["tracking_id"] for i in page["items"]] == [tid]


def test_due_labels_in_working_days():
    cal = WorkingCalendar("Asia/Jakarta")
    monday = dt.datetime(2026, 11, 30, 3, tzinfo=dt.UTC)  # 10:00 WIB
    clock = SlaClock(
        kind="resolution",
        state="running",
        deadline_at=cal.working_days_after(monday, 2),
        warning_at=cal.working_days_after(monday, 3),
    )
    view = due_view(clock, cal, monday)
    assert (view.working_days_left, view.level, view.label) == (2, "ok", "sisa 2 hari kerja")
    late = due_view(clock, cal, monday + dt.timedelta(days=7))
    assert late.level == "breached" and late.label == "lewat 3 hari kerja"
    assert due_label(0, "ok") == "batas hari ini"
    assert due_label(None, "paused") == "dijeda (menunggu pelapor)"
