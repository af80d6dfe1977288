"""Case actions through the API: every transition, every role, every refusal (CONTRACT.md, Ops)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from services.routing.cases import service as case_service
from services.routing.cases.schemas import DisposeBody
from shared.auth import Actor
from shared.lifecycle import Role
from shared.models import Case, CaseCopy, CaseMessage, Event, utcnow


async def _events(db, tid: str) -> list[Event]:
    async with db.session() as s:
        case = await s.scalar(select(Case).where(Case.tracking_id == tid))
        return list(
            (
                await s.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.id))
            ).all()
        )


async def _case(db, tid: str) -> Case:
    async with db.session() as s:
        return await s.scalar(select(Case).where(Case.tracking_id == tid))


# -- each transition, happy path -------------------------------------------------------------------


async def test_verify_sets_category_defaults_and_writes_one_event(
    open_case, act, admin_headers, db
):
    tid = await open_case()
    r = await act(
        admin_headers, tid, "verify", {"category": "JALAN", "anonymous": True, "note": "cek lokasi"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "verified"
    assert r.json()["sla_class"] == "lapangan" and r.json()["anonymous"] is True
    assert "dispose" in r.json()["allowed_actions"]
    events = [e for e in await _events(db, tid) if e.type != "case.received"]
    assert [e.type for e in events] == ["case.verified"]
    assert events[0].reason == "cek lokasi" and events[0].data["changes"]["category"] == [
        None,
        "JALAN",
    ]
    case = await _case(db, tid)
    assert case.verified_at is not None


async def test_dispose_with_copies_sets_owner_and_tembusan(disposed, db):
    tid = await disposed("PUPR", copies=["DLH", "PUPR", "DLH"])
    case = await _case(db, tid)
    assert (case.status, case.opd_code) == ("disposed", "PUPR") and case.disposed_at is not None
    async with db.session() as s:
        copies = (
            await s.scalars(select(CaseCopy.opd_code).where(CaseCopy.case_id == case.id))
        ).all()
    assert copies == ["DLH"]
    disposed_event = (await _events(db, tid))[-1]
    assert disposed_event.type == "case.disposed"
    assert disposed_event.data["opd_name"] == "Dinas Pekerjaan Umum dan Penataan Ruang"
    assert disposed_event.data["copies"] == ["DLH"]


async def test_opd_responds_then_resolves(disposed, act, auth, db):
    tid = await disposed("PUPR")
    opd = await auth("opd", "PUPR")
    r = await act(opd, tid, "respond", {"message": "Tim kami akan meninjau lokasi."})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    first = (await _case(db, tid)).first_response_at
    r = await act(opd, tid, "respond", {"message": "Jalan sudah diperbaiki.", "final": True})
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    case = await _case(db, tid)
    assert case.first_response_at == first and case.resolved_at is not None
    types = [e.type for e in await _events(db, tid)]
    assert types[-2:] == ["case.responded", "case.resolved"]
    last = (await _events(db, tid))[-1]
    assert last.data["message"] == "Jalan sudah diperbaiki." and last.data["final"] is True
    assert last.data["opd_name"].startswith("Dinas Pekerjaan Umum")
    async with db.session() as s:
        replies = (
            await s.scalars(
                select(CaseMessage).where(
                    CaseMessage.case_id == case.id, CaseMessage.kind == "reply"
                )
            )
        ).all()
    assert [m.final for m in replies] == [False, True]


async def test_request_info_writes_a_reply_and_waits(open_case, act, admin_headers, db):
    tid = await open_case()
    r = await act(admin_headers, tid, "request-info", {"message": "Mohon kirim foto lokasi."})
    assert r.status_code == 200 and r.json()["status"] == "awaiting_info"
    event = (await _events(db, tid))[-1]
    assert (
        event.type == "case.info_requested" and event.data["message"] == "Mohon kirim foto lokasi."
    )


async def test_return_goes_back_to_admin_queue_and_can_be_redisposed(
    disposed, act, auth, admin_headers, client
):
    tid = await disposed("PUPR")
    opd = await auth("opd", "PUPR")
    r = await act(opd, tid, "return", {"reason": "Bukan kewenangan kami, jalan provinsi"})
    assert r.status_code == 200 and r.json()["status"] == "returned" and r.json()["opd"] is None
    assert (await client.get(f"/admin/cases/{tid}", headers=opd)).status_code == 404
    r = await act(admin_headers, tid, "dispose", {"opd": "DISHUB"})
    assert r.status_code == 200 and r.json()["opd"] == "DISHUB"


async def test_archive_forward_national_and_refer_apip(open_case, act, admin_headers, db):
    a, b, c = await open_case(), await open_case(), await open_case()
    r = await act(admin_headers, a, "archive", {"reason": "Data tidak lengkap"})
    assert r.json()["status"] == "archived"
    assert (await _case(db, a)).archive_reason == "Data tidak lengkap"
    r = await act(admin_headers, b, "forward-national", {"reason": "Kewenangan kementerian"})
    assert r.json()["status"] == "forwarded_national"
    r = await act(admin_headers, c, "refer-apip", {"note": "Dugaan pungli"})
    assert r.json()["status"] == "referred_apip" and r.json()["opd"] == "INSPEKTORAT"


async def test_reopen_within_window_then_resolve_again(disposed, act, auth, admin_headers):
    tid = await disposed("PUPR")
    opd = await auth("opd", "PUPR")
    await act(opd, tid, "respond", {"message": "Selesai.", "final": True})
    r = await act(admin_headers, tid, "reopen", {"reason": "Pelapor: belum diperbaiki"})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    r = await act(opd, tid, "respond", {"message": "Sudah diperbaiki ulang.", "final": True})
    assert r.json()["status"] == "resolved"


async def test_reopen_after_window_is_409(disposed, act, auth, admin_headers, db):
    tid = await disposed("PUPR")
    await act(await auth("opd", "PUPR"), tid, "respond", {"message": "Selesai.", "final": True})
    async with db.session() as s:
        case = await s.scalar(select(Case).where(Case.tracking_id == tid))
        case.resolved_at = utcnow() - timedelta(days=40)
    r = await act(admin_headers, tid, "reopen", {"reason": "terlambat"})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "reopen_window_passed"
    assert "reopen" not in r.json()["error"]["allowed_actions"]


# -- roles -----------------------------------------------------------------------------------------


async def test_read_only_roles_cannot_act(open_case, act, auth):
    tid = await open_case()
    for role in ("viewer", "operator"):
        r = await act(await auth(role), tid, "verify")
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "role_not_allowed"
        assert r.json()["error"]["allowed_actions"] == []


async def test_opd_cannot_verify_or_dispose(disposed, act, auth):
    tid = await disposed("PUPR")
    opd = await auth("opd", "PUPR")
    r = await act(opd, tid, "dispose", {"opd": "DLH"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "role_not_allowed"
    assert set(r.json()["error"]["allowed_actions"]) == {"return", "respond", "note"}


async def test_copy_holder_reads_and_notes_but_cannot_respond(disposed, act, auth, client):
    tid = await disposed("PUPR", copies=["DLH"])
    copy = await auth("opd", "DLH")
    assert (await client.get(f"/admin/cases/{tid}", headers=copy)).status_code == 200
    r = await act(copy, tid, "respond", {"message": "Kami bantu."})
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_case_owner"
    assert r.json()["error"]["allowed_actions"] == ["note"]
    r = await act(copy, tid, "note", {"note": "DLH siap koordinasi."})
    assert r.status_code == 200


async def test_apip_responds_to_a_referred_case(open_case, act, admin_headers, auth, client):
    tid = await open_case()
    await act(admin_headers, tid, "refer-apip", {"note": "Dugaan penyalahgunaan wewenang"})
    apip = await auth("apip")
    detail = (await client.get(f"/admin/cases/{tid}", headers=apip)).json()
    assert set(detail["allowed_actions"]) >= {"respond"}
    r = await act(apip, tid, "respond", {"message": "Sedang diaudit."})
    assert r.status_code == 200 and r.json()["status"] == "referred_apip"
    r = await act(
        apip, tid, "respond", {"message": "Audit selesai, sanksi dijatuhkan.", "final": True}
    )
    assert r.json()["status"] == "resolved"


# -- refusals --------------------------------------------------------------------------------------


async def test_wrong_state_is_409_with_allowed_actions(open_case, act, admin_headers):
    tid = await open_case()
    r = await act(admin_headers, tid, "dispose", {"opd": "PUPR"})
    assert r.status_code == 409
    error = r.json()["error"]
    assert error["code"] == "invalid_state"
    assert set(error["allowed_actions"]) >= {
        "verify",
        "request-info",
        "archive",
        "forward-national",
        "refer-apip",
    }


async def test_other_opds_case_is_404_like_a_missing_one(disposed, act, auth):
    tid = await disposed("PUPR")
    other = await auth("opd", "DINKES")
    r = await act(other, tid, "respond", {"message": "x"})
    missing = await act(other, "ACDEFGHJ", "respond", {"message": "x"})
    assert r.status_code == missing.status_code == 404
    assert r.json()["error"]["code"] == missing.json()["error"]["code"] == "case_not_found"


BAD_BODIES = [
    ("dispose", {"opd": "NOPE"}, "unknown_opd"),
    ("dispose", {"opd": "PUPR", "copies": ["NOPE"]}, "unknown_opd"),
    ("verify", {"category": "NOPE"}, "unknown_category"),
    ("verify", {"sla_class": "besok"}, "invalid"),
    ("verify", {"colour": "red"}, "invalid"),
]


async def test_unknown_reference_or_bad_body_is_422_and_changes_nothing(
    open_case, act, admin_headers, db
):
    received, verified = (
        await open_case(category_code="JALAN"),
        await open_case(category_code="JALAN"),
    )
    await act(admin_headers, verified, "verify")
    for action, body, code in BAD_BODIES:
        r = await act(admin_headers, verified if action == "dispose" else received, action, body)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == code
    assert (await _case(db, received)).status == "received"
    assert (await _case(db, verified)).status == "verified"


async def test_reason_is_required_for_return(disposed, act, auth):
    tid = await disposed("PUPR")
    r = await act(await auth("opd", "PUPR"), tid, "return", {"reason": "  "})
    assert r.status_code == 422


# -- concurrency -----------------------------------------------------------------------------------


async def test_two_admins_disposing_at_once_one_wins(open_case, act, admin_headers, make_token, db):
    tid = await open_case(category_code="JALAN")
    await act(admin_headers, tid, "verify")
    other = {"Authorization": f"Bearer {await make_token('admin_instansi', name='admin-2')}"}
    r1, r2 = await asyncio.gather(
        act(admin_headers, tid, "dispose", {"opd": "PUPR"}),
        act(other, tid, "dispose", {"opd": "DLH"}),
    )
    assert sorted([r1.status_code, r2.status_code]) == [200, 409]
    loser = r1 if r1.status_code == 409 else r2
    assert loser.json()["error"]["code"] in ("concurrent_update", "invalid_state")
    async with db.session() as s:
        case = await s.scalar(select(Case).where(Case.tracking_id == tid))
        n = await s.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.case_id == case.id, Event.type == "case.disposed")
        )
    assert n == 1


async def test_stale_version_is_refused(open_case, act, admin_headers, app, db):
    """The optimistic lock itself: both load version N, the second writer loses."""
    tid = await open_case(category_code="JALAN")
    await act(admin_headers, tid, "verify")
    admin = Actor(type="ops", id="t", name="a", role=Role.ADMIN_INSTANSI)
    settings = app.state.settings
    first, second = db.sessionmaker(), db.sessionmaker()
    try:
        c1 = await first.scalar(select(Case).where(Case.tracking_id == tid))
        c2 = await second.scalar(select(Case).where(Case.tracking_id == tid))
        await case_service.dispose(first, c1, admin, DisposeBody(opd="PUPR"), settings)
        await first.commit()
        with pytest.raises(StaleDataError):
            await case_service.dispose(second, c2, admin, DisposeBody(opd="DLH"), settings)
    finally:
        await second.rollback()
        await second.close()
        await first.close()
    assert (await _case(db, tid)).opd_code == "PUPR"


# -- one name per kind of text ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "body", "expected", "given"),
    [
        ("return", {"note": "Bukan kewenangan kami"}, "reason", "note"),
        ("archive", {"message": "Ganda"}, "reason", "message"),
        ("request-info", {"reason": "Mohon foto lokasi"}, "message", "reason"),
        ("verify", {"message": "lengkap"}, "note", "message"),
        ("note", {"message": "Koordinasi"}, "note", "message"),
    ],
)
async def test_text_under_another_actions_name_is_422_naming_the_expected_field(
    open_case, act, admin_headers, db, action, body, expected, given
):
    tid = await open_case()
    r = await act(admin_headers, tid, action, body)
    assert r.status_code == 422, r.text
    message = r.json()["error"]["message"]
    assert f"'{expected}'" in message and f"'{given}'" in message, message
    assert (await _case(db, tid)).status == "received"
    assert [e.type for e in await _events(db, tid)] == ["case.received"]
