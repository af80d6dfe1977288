"""SLA ops endpoints: upcoming, breaches, preview and a case's clocks, scoped by role."""

from __future__ import annotations

import datetime as dt

import pytest

from services.sla.clocks.tasks import sweep
from shared.models import Case, utcnow
from tests.sla.factories import open_case, step


@pytest.fixture
async def board(db, drain):
    """Three open cases now: A with DUKCAPIL (5 WD), B with PUPR (60 WD), C in verification."""
    now = utcnow()
    ids = {}
    for name, opd, sla_class in (
        ("A", "DUKCAPIL", "informasi"),
        ("B", "PUPR", "lapangan"),
        ("C", None, None),
    ):
        case_id = await open_case(db, now)
        if opd:
            await step(db, case_id, "verified", now)
            await step(db, case_id, "disposed", now, opd=opd, sla_class=sla_class)
        ids[name] = case_id
    await drain("sla")
    async with db.session() as session:
        return {
            name: (await session.get(Case, case_id)).tracking_id for name, case_id in ids.items()
        }


async def headers(make_token, role: str, opd: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {await make_token(role, opd)}"}


def tracking_ids(response) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["tracking_id"] for item in response.json()["items"]}


async def test_upcoming_is_scoped_by_role(client, make_token, board):
    admin = await headers(make_token, "admin_instansi")
    r = await client.get("/admin/sla/upcoming", params={"within_days": 366}, headers=admin)
    assert tracking_ids(r) == set(board.values())
    assert {c["opd_code"]: c["count"] for c in r.json()["by_opd"]} == {
        None: 1,
        "DUKCAPIL": 1,
        "PUPR": 1,
    }
    viewer = await headers(make_token, "viewer")
    assert tracking_ids(
        await client.get("/admin/sla/upcoming?within_days=366", headers=viewer)
    ) == set(board.values())
    dukcapil = await headers(make_token, "opd", "DUKCAPIL")
    assert tracking_ids(
        await client.get("/admin/sla/upcoming?within_days=366", headers=dukcapil)
    ) == {board["A"]}
    # An OPD cannot widen its scope with the filter.
    assert (
        tracking_ids(
            await client.get("/admin/sla/upcoming?within_days=366&opd=PUPR", headers=dukcapil)
        )
        == set()
    )
    assert tracking_ids(
        await client.get("/admin/sla/upcoming?within_days=366&opd=PUPR", headers=admin)
    ) == {board["B"]}
    assert (
        tracking_ids(await client.get("/admin/sla/upcoming?within_days=1", headers=admin)) == set()
    )
    r = await client.get("/admin/sla/upcoming?within_days=0", headers=admin)
    assert r.status_code == 422


async def test_other_roles_are_refused(client, make_token, board):
    paths = (
        "/admin/sla/upcoming",
        "/admin/sla/breaches",
        "/admin/sla/preview?by=2030-01-01",
        f"/admin/cases/{board['A']}/clocks",
    )
    for role in ("apip", "operator"):
        h = await headers(make_token, role)
        for path in paths:
            assert (await client.get(path, headers=h)).status_code == 403, (role, path)
    assert (await client.get("/admin/sla/upcoming")).status_code == 401


async def test_preview_lists_what_breaches_by_a_date(client, make_token, board):
    admin = await headers(make_token, "admin_instansi")
    far = (utcnow() + dt.timedelta(days=400)).date().isoformat()
    assert tracking_ids(
        await client.get("/admin/sla/preview", params={"by": far}, headers=admin)
    ) == set(board.values())
    yesterday = (utcnow() - dt.timedelta(days=1)).date().isoformat()
    assert (
        tracking_ids(
            await client.get("/admin/sla/preview", params={"by": yesterday}, headers=admin)
        )
        == set()
    )
    dukcapil = await headers(make_token, "opd", "DUKCAPIL")
    assert tracking_ids(
        await client.get("/admin/sla/preview", params={"by": far}, headers=dukcapil)
    ) == {board["A"]}
    r = await client.get("/admin/sla/preview", params={"by": "besok"}, headers=admin)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_date")
    assert (await client.get("/admin/sla/preview", headers=admin)).status_code == 422


async def test_breaches_by_period_and_opd(app, client, make_token, board):
    later = utcnow() + dt.timedelta(days=400)
    assert (await sweep(app.state.ctx, later))["breached"] == 3
    admin = await headers(make_token, "admin_instansi")
    assert tracking_ids(await client.get("/admin/sla/breaches", headers=admin)) == set(
        board.values()
    )
    today = utcnow().date().isoformat()
    assert tracking_ids(
        await client.get("/admin/sla/breaches", params={"from": today}, headers=admin)
    ) == set(board.values())
    assert (
        tracking_ids(await client.get("/admin/sla/breaches", params={"to": today}, headers=admin))
        == set()
    )
    assert tracking_ids(
        await client.get("/admin/sla/breaches", params={"opd": "PUPR"}, headers=admin)
    ) == {board["B"]}
    dukcapil = await headers(make_token, "opd", "DUKCAPIL")
    assert tracking_ids(await client.get("/admin/sla/breaches", headers=dukcapil)) == {board["A"]}
    r = await client.get("/admin/sla/breaches", params={"from": "2026-13-01"}, headers=admin)
    assert r.status_code == 422
    r = await client.get(
        "/admin/sla/breaches", params={"from": "2026-12-01", "to": "2026-11-01"}, headers=admin
    )
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_range")


async def test_a_case_clocks_for_admin_and_its_opd_only(client, make_token, board):
    admin = await headers(make_token, "admin_instansi")
    r = await client.get(f"/admin/cases/{board['A'].lower()}/clocks", headers=admin)
    assert r.status_code == 200
    assert [(c["kind"], c["state"]) for c in r.json()] == [
        ("verification", "met"),
        ("resolution", "running"),
    ]
    dukcapil = await headers(make_token, "opd", "DUKCAPIL")
    r = await client.get(f"/admin/cases/{board['A']}/clocks", headers=dukcapil)
    assert [c["kind"] for c in r.json()] == ["resolution"]
    assert (
        await client.get(f"/admin/cases/{board['B']}/clocks", headers=dukcapil)
    ).status_code == 404
    assert (await client.get("/admin/cases/ZZZZZZZZ/clocks", headers=admin)).status_code == 404
