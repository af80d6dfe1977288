"""Yearly targets of the local action plan, set by Admin Instansi, audited, compared with actuals."""

from __future__ import annotations

from sqlalchemy import select

from shared.models import Event
from tests.reporting.factories import add_cases, make_case, wib


async def test_admin_sets_a_target_and_it_is_audited(client, admin_headers, db) -> None:
    response = await client.put(
        "/admin/reports/targets/2024",
        json={"received": 46, "resolved_pct": 100, "note": "RAD Tabanan"},
        headers=admin_headers,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "year": 2024,
        "received": 46,
        "resolved_pct": 100.0,
        "note": "RAD Tabanan",
    }
    await client.put(
        "/admin/reports/targets/2024",
        json={"received": 50, "resolved_pct": 95},
        headers=admin_headers,
    )
    async with db.session() as session:
        events = (
            await session.scalars(
                select(Event).where(Event.subject_type == "target").order_by(Event.id)
            )
        ).all()
    assert [(e.type, e.subject_id, e.actor_role) for e in events] == [
        ("report.target_set", "2024", "admin_instansi")
    ] * 2
    assert events[0].data["before"] is None
    assert events[1].data["before"]["received"] == 46 and events[1].data["after"]["received"] == 50


async def test_actual_against_target(client, admin_headers, db) -> None:
    await client.put(
        "/admin/reports/targets/2024",
        json={"received": 46, "resolved_pct": 100},
        headers=admin_headers,
    )
    await add_cases(
        db,
        [
            make_case(wib(2024, 2, 5, 9), status="resolved", resolved_at=wib(2024, 2, 7, 9)),
            make_case(wib(2024, 6, 5, 9), status="closed", resolved_at=wib(2024, 6, 7, 9)),
            make_case(wib(2024, 9, 5, 9), status="in_progress"),
            make_case(wib(2024, 12, 31, 23, 59), status="in_progress"),
            make_case(wib(2025, 1, 1, 0, 0), status="in_progress"),  # next year
        ],
    )
    body = (
        await client.get("/admin/reports/targets", params={"year": 2024}, headers=admin_headers)
    ).json()
    assert body == {
        "year": 2024,
        "target": {"year": 2024, "received": 46, "resolved_pct": 100.0, "note": None},
        "actual": {"received": 4, "resolved": 2, "resolved_pct": 50.0, "as_of": "2024-12-31"},
        "received_pct_of_target": 8.7,
        "resolved_pct_gap": -50.0,
    }


async def test_year_without_target(client, make_token) -> None:
    viewer = {"Authorization": f"Bearer {await make_token('viewer')}"}
    body = (
        await client.get("/admin/reports/targets", params={"year": 2023}, headers=viewer)
    ).json()
    assert (
        body["target"] is None
        and body["actual"]["received"] == 0
        and body["received_pct_of_target"] is None
    )


async def test_only_admin_sets_targets(client, make_token) -> None:
    viewer = {"Authorization": f"Bearer {await make_token('viewer')}"}
    assert (
        await client.put("/admin/reports/targets/2024", json={"received": 1}, headers=viewer)
    ).status_code == 403
    opd = {"Authorization": f"Bearer {await make_token('opd', opd='DINKES')}"}
    assert (await client.get("/admin/reports/targets", headers=opd)).status_code == 403


async def test_bad_targets_are_422(client, admin_headers) -> None:
    for year, body in (
        (2024, {"resolved_pct": 101}),
        (2024, {"received": -1}),
        (1990, {"received": 1}),
        (2024, {"tahun": 1}),
    ):
        response = await client.put(
            f"/admin/reports/targets/{year}", json=body, headers=admin_headers
        )
        assert response.status_code == 422, (year, body)
    assert (
        await client.get("/admin/reports/targets", params={"year": 1990}, headers=admin_headers)
    ).json()["error"]["code"] == "invalid_year"
