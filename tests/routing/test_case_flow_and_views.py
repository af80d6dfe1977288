"""The whole lifecycle of DESIGN.md end to end, and the list view's filters and paging."""

from __future__ import annotations

import base64
from datetime import timedelta

from sqlalchemy import select

from shared.auth import Actor
from shared.events import emit
from shared.lifecycle import Action, Role, next_status
from shared.models import Attachment, Case, Reporter, utcnow
from shared.models.sla import SlaClock
from tests.routing.conftest import assert_no_identity

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


async def _provide_info(db, tid: str) -> None:
    """What intake does when the reporter answers a request for data (its conversation module)."""
    async with db.session() as s:
        case = await s.scalar(select(Case).where(Case.tracking_id == tid))
        case.status = str(next_status(case.status, Action.PROVIDE_INFO, Role.REPORTER))
        await emit(
            s, "case.info_provided", Actor(type="reporter", role=Role.REPORTER), case_id=case.id
        )


async def test_whole_lifecycle_end_to_end(open_case, act, admin_headers, auth, client, db):
    tid = await open_case(category_code="JALAN", anonymous=True)
    admin, pupr = admin_headers, await auth("opd", "PUPR")
    steps = [
        (admin, "request-info", {"message": "Mohon sebutkan lokasi persisnya."}, "awaiting_info"),
        None,  # the reporter answers
        (admin, "verify", {"note": "lengkap"}, "verified"),
        (admin, "dispose", {"opd": "DISHUB", "copies": ["DLH"]}, "disposed"),
        (await auth("opd", "DISHUB"), "return", {"reason": "Jalan kabupaten: PUPR"}, "returned"),
        (admin, "dispose", {"opd": "PUPR", "copies": ["DLH"]}, "disposed"),
        (pupr, "respond", {"message": "Akan ditinjau minggu ini."}, "in_progress"),
        (pupr, "respond", {"message": "Sudah diaspal.", "final": True}, "resolved"),
        (admin, "reopen", {"reason": "Pelapor: masih berlubang"}, "in_progress"),
        (pupr, "respond", {"message": "Sudah ditambal ulang.", "final": True}, "resolved"),
    ]
    for step in steps:
        if step is None:
            await _provide_info(db, tid)
            continue
        headers, action, body, expected = step
        r = await act(headers, tid, action, body)
        assert r.status_code == 200, (action, r.text)
        assert r.json()["status"] == expected, action
    audit = (await client.get(f"/admin/cases/{tid}/audit", headers=pupr)).json()["events"]
    assert [e["type"] for e in audit if e["type"] != "case.identity_viewed"] == [
        "case.received",
        "case.info_requested",
        "case.info_provided",
        "case.verified",
        "case.disposed",
        "case.returned",
        "case.disposed",
        "case.responded",
        "case.resolved",
        "case.reopened",
        "case.resolved",
    ]
    assert all(e["actor"]["name"] for e in audit if e["actor"]["type"] == "ops")
    assert audit[2]["actor"]["name"] == "pelapor"

    # the other endings: forwarded to Admin Nasional, archived with a reason, APIP
    national, archived = await open_case(), await open_case()
    assert (await act(admin, national, "forward-national", {"reason": "BPJS pusat"})).json()[
        "status"
    ] == "forwarded_national"
    assert (await act(admin, archived, "archive", {"reason": ""})).status_code == 422
    assert (await act(admin, archived, "archive", {"reason": "Duplikat"})).json()[
        "status"
    ] == "archived"
    assert (await act(admin, archived, "verify")).status_code == 409


async def test_list_filters_search_period_and_paging(
    open_case, disposed, client, admin_headers, db
):
    a = await disposed("PUPR", description="Jalan rusak di Banjar Anyar", kecamatan_code="KEDIRI")
    b = await open_case(
        description="Sampah menumpuk 100% di pasar", category_code="LINGKUNGAN", channel="whatsapp"
    )
    c = await open_case(description="Lampu jalan mati", received_at=utcnow() - timedelta(days=40))

    async def ids(**params) -> list[str]:
        r = await client.get("/admin/cases", params=params, headers=admin_headers)
        assert r.status_code == 200, r.text
        return [i["tracking_id"] for i in r.json()["items"]]

    assert await ids() == [b, a, c]  # newest first
    assert await ids(status="disposed") == [a]
    assert await ids(opd="PUPR") == [a]
    assert await ids(category="LINGKUNGAN", channel="whatsapp") == [b]
    assert await ids(kecamatan="KEDIRI") == [a]
    assert await ids(q="SAMPAH") == [b]
    assert await ids(q="100%") == [b]  # LIKE wildcards are literal
    assert await ids(q="_") == []
    since = (utcnow() - timedelta(days=5)).date().isoformat()
    assert set(await ids(**{"from": since})) == {a, b}
    assert await ids(to=(utcnow() - timedelta(days=30)).date().isoformat()) == [c]
    assert await ids(overdue="true") == []
    async with db.session() as s:
        case_a = await s.scalar(select(Case).where(Case.tracking_id == a))
        s.add(
            SlaClock(
                case_id=case_a.id,
                kind="resolution",
                opd_code="PUPR",
                sla_class="lapangan",
                working_days=60,
                started_at=utcnow() - timedelta(days=100),
                deadline_at=utcnow() - timedelta(days=1),
                state="running",
            )
        )
    assert await ids(overdue="true") == [a]
    assert await ids(overdue="false") == [b, c]
    clocks = (await client.get(f"/admin/cases/{a}", headers=admin_headers)).json()["clocks"]
    assert [(k["kind"], k["state"], k["working_days"]) for k in clocks] == [
        ("resolution", "running", 60)
    ]
    page = (
        await client.get("/admin/cases", params={"page": 2, "page_size": 2}, headers=admin_headers)
    ).json()
    assert page["total"] == 3 and [i["tracking_id"] for i in page["items"]] == [c]
    assert (
        await client.get("/admin/cases", params={"page_size": 101}, headers=admin_headers)
    ).status_code == 422
    assert (
        await client.get("/admin/cases", params={"from": "kemarin"}, headers=admin_headers)
    ).status_code == 422
    assert (await client.get("/admin/cases")).status_code == 401


async def test_admin_intake_letter_with_scan_and_phone_contact(client, admin_headers, db):
    body = {
        "channel": "letter",
        "title": "Surat keluhan jalan",
        "description": "Jalan rusak di Desa Buahan sejak tiga bulan.",
        "category": "JALAN",
        "reporter": {
            "name": "Made Wirawan",
            "phone": "0812-3456-7000",
            "postal_address": "Br. Buahan, Tabanan",
        },
        "location": {"kecamatan": "TABANAN", "desa": "Buahan"},
        "attachments": [
            {"filename": "../../surat.pdf", "content_base64": base64.b64encode(PDF).decode()}
        ],
    }
    r = await client.post("/admin/cases", json=body, headers=admin_headers)
    assert r.status_code == 201, r.text
    assert r.json()["channel"] == "letter" and r.json()["status"] == "received"
    assert_no_identity(r.text)
    async with db.session() as s:
        case = await s.scalar(select(Case).where(Case.tracking_id == r.json()["tracking_id"]))
        reporter = await s.get(Reporter, case.id)
        attachment = await s.scalar(select(Attachment).where(Attachment.case_id == case.id))
    assert (reporter.channel, reporter.channel_address, reporter.phone) == (
        "sms",
        "+6281234567000",
        "+6281234567000",
    )
    assert (attachment.filename, attachment.content_type) == ("surat.pdf", "application/pdf")


async def test_admin_intake_refusals_and_admin_upp(client, admin_headers, auth, db):
    base = {"channel": "visit", "description": "Antrian puskesmas terlalu lama."}
    bad = [
        ({**base, "channel": "sms"}, 422),
        ({**base, "reporter": {"phone": "12"}}, 422),
        (
            {
                **base,
                "attachments": [
                    {"filename": "a.exe", "content_base64": base64.b64encode(b"MZ\x90").decode()}
                ],
            },
            422,
        ),
        ({**base, "attachments": [{"filename": "a.pdf", "content_base64": "%%%"}]}, 422),
        ({**base, "category": "NOPE"}, 422),
    ]
    for body, status in bad:
        assert (
            await client.post("/admin/cases", json=body, headers=admin_headers)
        ).status_code == status, body
    assert (
        await client.post("/admin/cases", json=base, headers=await auth("viewer"))
    ).status_code == 403
    upp = await auth("opd", "DINKES")
    r = await client.post(
        "/admin/cases",
        json={**base, "reporter": {"postal_address": "Jl. Gatot Subroto 1"}},
        headers=upp,
    )
    assert r.status_code == 201
    view = (await client.get(f"/admin/cases/{r.json()['tracking_id']}", headers=upp)).json()
    assert view["copies"] == ["DINKES"] and view["suggestion"]["opd"] == "DINKES"
    assert view["reporter"]["reply_channel"] == "letter"
