"""Admin Instansi's holiday overrides: audited, and they move deadlines (new and running)."""

from __future__ import annotations

import datetime as dt

from tests.sla.factories import clocks, end_of, events, open_case, wib


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


async def due_at(client, start: str, n: int) -> dt.datetime:
    r = await client.get("/api/v1/calendar/due", params={"start": start, "working_days": n})
    assert r.status_code == 200, r.text
    return utc(r.json()["due_at"])


async def test_a_perbup_day_off_moves_deadlines_and_is_audited(client, admin_headers, db, drain):
    case_id = await open_case(db, wib("2026-11-20 15:00"))  # verification due Wednesday 25 Nov
    await drain("sla")
    assert await due_at(client, "2026-11-20T15:00:00+07:00", 3) == end_of("2026-11-25")

    r = await client.post(
        "/admin/calendar/overrides",
        json={"date": "2026-11-24", "kind": "add", "reason": "Perbup 12/2026: cuti bersama daerah"},
        headers=admin_headers,
    )
    assert r.status_code == 201, r.text
    override = r.json()
    assert (override["date"], override["kind"]) == ("2026-11-24", "add")

    assert await due_at(client, "2026-11-20T15:00:00+07:00", 3) == end_of("2026-11-26")
    (clock,) = await clocks(db, case_id)
    assert clock.deadline_at == end_of("2026-11-26")  # the running clock moved too
    holidays = (await client.get("/api/v1/calendar/holidays", params={"year": 2026})).json()["days"]
    assert {
        "date": "2026-11-24",
        "name": "Perbup 12/2026: cuti bersama daerah",
        "source": "local_override",
    } in holidays
    (added,) = await events(db, prefix="calendar.override_added")
    assert (added.subject_type, added.subject_id, added.actor_role) == (
        "holiday",
        "2026-11-24",
        "admin_instansi",
    )
    assert added.reason == "Perbup 12/2026: cuti bersama daerah"

    r = await client.delete(
        f"/admin/calendar/overrides/{override['id']}",
        params={"reason": "dibatalkan"},
        headers=admin_headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["revoked_at"] is not None
    assert await due_at(client, "2026-11-20T15:00:00+07:00", 3) == end_of("2026-11-25")
    (clock,) = await clocks(db, case_id)
    assert clock.deadline_at == end_of("2026-11-25")
    (revoked,) = await events(db, prefix="calendar.override_revoked")
    assert (revoked.subject_id, revoked.reason) == ("2026-11-24", "dibatalkan")
    listed = (await client.get("/admin/calendar/overrides", headers=admin_headers)).json()["items"]
    assert listed == []
    listed = (
        await client.get(
            "/admin/calendar/overrides", params={"include_revoked": "true"}, headers=admin_headers
        )
    ).json()
    assert [o["id"] for o in listed["items"]] == [override["id"]]


async def test_removing_a_cuti_bersama_makes_it_a_working_day(client, admin_headers):
    assert await due_at(client, "2026-12-23T09:00:00Z", 3) == end_of("2026-12-30")
    r = await client.post(
        "/admin/calendar/overrides",
        json={"date": "2026-12-24", "kind": "remove", "reason": "Pelayanan tetap buka (SE Bupati)"},
        headers=admin_headers,
    )
    assert r.status_code == 201, r.text
    assert await due_at(client, "2026-12-23T09:00:00Z", 3) == end_of("2026-12-29")
    days = (await client.get("/api/v1/calendar/holidays", params={"year": 2026})).json()["days"]
    assert "2026-12-24" not in {d["date"] for d in days}


async def test_bad_overrides_are_refused_with_a_reason(client, admin_headers):
    post = lambda body: client.post("/admin/calendar/overrides", json=body, headers=admin_headers)  # noqa: E731
    r = await post({"date": "2026-11-24", "kind": "add"})
    assert r.status_code == 422 and "reason" in r.json()["error"]["message"]
    r = await post({"date": "2026-11-24", "kind": "add", "reason": "   "})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "reason_required")
    r = await post({"date": "2026-11-24", "kind": "maybe", "reason": "x"})
    assert r.status_code == 422
    r = await post({"date": "24/11/2026", "kind": "add", "reason": "x"})
    assert r.status_code == 422
    r = await post({"date": "2026-12-25", "kind": "add", "reason": "Natal"})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "no_effect")
    r = await post({"date": "2026-11-24", "kind": "remove", "reason": "x"})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "no_effect")
    r = await post({"date": "2200-11-24", "kind": "add", "reason": "x"})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "outside_calendar")
    created = await post({"date": "2026-11-24", "kind": "add", "reason": "x"})
    assert created.status_code == 201
    override_id = created.json()["id"]
    r = await post({"date": "2026-11-24", "kind": "add", "reason": "y"})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "override_exists")
    r = await client.delete(
        "/admin/calendar/overrides/999", params={"reason": "x"}, headers=admin_headers
    )
    assert r.status_code == 404
    r = await client.delete(f"/admin/calendar/overrides/{override_id}", headers=admin_headers)
    assert r.status_code == 422  # a revocation needs a reason too
    assert (
        await client.delete(
            f"/admin/calendar/overrides/{override_id}",
            params={"reason": "x"},
            headers=admin_headers,
        )
    ).status_code == 200
    r = await client.delete(
        f"/admin/calendar/overrides/{override_id}", params={"reason": "x"}, headers=admin_headers
    )
    assert (r.status_code, r.json()["error"]["code"]) == (409, "override_revoked")


async def test_only_admin_instansi_writes_overrides_others_read(client, make_token):
    body = {"date": "2026-11-24", "kind": "add", "reason": "x"}
    assert (await client.post("/admin/calendar/overrides", json=body)).status_code == 401
    for role, opd in (("opd", "DUKCAPIL"), ("viewer", None), ("operator", None), ("apip", None)):
        headers = {"Authorization": f"Bearer {await make_token(role, opd)}"}
        assert (
            await client.post("/admin/calendar/overrides", json=body, headers=headers)
        ).status_code == 403
        assert (await client.get("/admin/calendar/overrides", headers=headers)).status_code == 200
        assert (await client.get("/admin/calendar/status", headers=headers)).status_code == 200


async def test_calendar_status_names_unconfirmed_years(client, admin_headers):
    r = await client.get("/admin/calendar/status", headers=admin_headers)
    assert r.status_code == 200
    body = r.json()
    this_year = dt.datetime.now(dt.UTC).year
    assert [y["year"] for y in body["years"]] in (
        [this_year, this_year + 1],
        [this_year + 1, this_year + 2],
    )
    assert body["calendar_unconfirmed"] == bool(body["unconfirmed_years"])
    assert all(
        y["confirmed"] == (y["year"] not in body["unconfirmed_years"]) for y in body["years"]
    )
