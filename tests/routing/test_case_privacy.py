"""Privacy by construction: who reads which case, and whose identity.

CONTRACT.md (Ops) and DESIGN.md (anonim).

Assertions are on the raw response text, so a leak anywhere in a body fails the test.
"""

from __future__ import annotations

from sqlalchemy import select

from shared.models import Case, Event
from tests.routing.conftest import NAME, NIK, PHONE, assert_no_identity


async def _identity_reads(db, tid: str) -> list[Event]:
    async with db.session() as s:
        case = await s.scalar(select(Case).where(Case.tracking_id == tid))
        return list(
            (
                await s.scalars(
                    select(Event).where(
                        Event.case_id == case.id, Event.type == "case.identity_viewed"
                    )
                )
            ).all()
        )


async def test_opd_never_sees_an_anonymous_reporter_on_any_endpoint(
    disposed, act, auth, client, db
):
    tid = await disposed("PUPR", anonymous=True, copies=["DLH"])
    opd = await auth("opd", "PUPR")
    await act(opd, tid, "respond", {"message": "Ditinjau."})
    for headers in (opd, await auth("opd", "DLH"), await auth("viewer"), await auth("operator")):
        responses = [
            await client.get("/admin/cases", headers=headers),
            await client.get("/admin/cases", params={"q": "jalan"}, headers=headers),
            await client.get(f"/admin/cases/{tid}", headers=headers),
            await client.get(f"/admin/cases/{tid}/audit", headers=headers),
            await act(headers, tid, "verify"),  # an error body
        ]
        assert [r.status_code for r in responses[:4]] == [200, 200, 200, 200]
        for r in responses:
            assert_no_identity(r.text)
        assert responses[2].json()["reporter"]["identity_hidden"] is True
    assert await _identity_reads(db, tid) == []


async def test_admin_sees_the_anonymous_identity_and_the_read_is_audited(
    open_case, client, admin_headers, db
):
    tid = await open_case(anonymous=True)
    listing = await client.get("/admin/cases", headers=admin_headers)
    assert_no_identity(listing.text)  # lists never carry identity
    r = await client.get(f"/admin/cases/{tid}", headers=admin_headers)
    reporter = r.json()["reporter"]
    assert (reporter["name"], reporter["phone"], reporter["nik"]) == (NAME, PHONE, NIK)
    reads = await _identity_reads(db, tid)
    assert len(reads) == 1 and reads[0].actor_role == "admin_instansi"
    audit = (await client.get(f"/admin/cases/{tid}/audit", headers=admin_headers)).json()
    assert "case.identity_viewed" in [e["type"] for e in audit["events"]]
    timeline = (await client.get(f"/admin/cases/{tid}", headers=admin_headers)).json()["timeline"]
    assert "case.identity_viewed" not in [e["type"] for e in timeline]


async def test_named_reporter_is_shown_to_the_owning_opd_only(disposed, auth, client, db):
    tid = await disposed("PUPR", copies=["DLH"])
    owner = (await client.get(f"/admin/cases/{tid}", headers=await auth("opd", "PUPR"))).json()
    assert owner["reporter"]["name"] == NAME
    assert len(await _identity_reads(db, tid)) == 1
    copy = await client.get(f"/admin/cases/{tid}", headers=await auth("opd", "DLH"))
    assert_no_identity(copy.text)


async def test_opd_reads_only_its_own_and_copied_cases(disposed, open_case, auth, client):
    own = await disposed("PUPR")
    copied = await disposed("DLH", copies=["PUPR"])
    other = await disposed("DINKES")
    queued = await open_case()
    opd = await auth("opd", "PUPR")
    listed = {
        c["tracking_id"] for c in (await client.get("/admin/cases", headers=opd)).json()["items"]
    }
    assert listed == {own, copied}
    for tid in (other, queued):
        r = await client.get(f"/admin/cases/{tid}", headers=opd)
        assert r.status_code == 404 and r.json()["error"]["code"] == "case_not_found"
        assert (await client.get(f"/admin/cases/{tid}/audit", headers=opd)).status_code == 404


async def test_apip_reads_only_cases_referred_to_it(open_case, act, admin_headers, auth, client):
    referred, plain = await open_case(), await open_case()
    await act(admin_headers, referred, "refer-apip", {"note": "pungli"})
    apip = await auth("apip")
    listed = [
        c["tracking_id"] for c in (await client.get("/admin/cases", headers=apip)).json()["items"]
    ]
    assert listed == [referred]
    assert (await client.get(f"/admin/cases/{plain}", headers=apip)).status_code == 404


async def test_internal_notes_are_for_staff_only(disposed, act, auth, client):
    tid = await disposed("PUPR")
    await act(await auth("opd", "PUPR"), tid, "note", {"note": "Catatan internal rahasia"})
    staff = (await client.get(f"/admin/cases/{tid}", headers=await auth("opd", "PUPR"))).json()
    assert "Catatan internal rahasia" in [m["body"] for m in staff["messages"]]
    viewer = await client.get(f"/admin/cases/{tid}", headers=await auth("viewer"))
    assert "Catatan internal rahasia" not in viewer.text


async def test_case_detail_carries_timeline_copies_clocks_mirror_and_actions(
    disposed, auth, client
):
    tid = await disposed("PUPR", copies=["DLH"])
    view = (await client.get(f"/admin/cases/{tid}", headers=await auth("opd", "PUPR"))).json()
    assert [e["type"] for e in view["timeline"]] == [
        "case.received",
        "case.verified",
        "case.disposed",
    ]
    assert view["copies"] == ["DLH"]
    assert isinstance(view["clocks"], list)
    assert view["mirror"] == {
        "lapor_complaint_id": None,
        "lapor_status_code": None,
        "lapor_status_name": None,
        "state": "not_mirrored",
        "needs_confirmation": False,
    }
    assert set(view["allowed_actions"]) == {"return", "respond", "note"}
    assert "suggestion" in view
