"""Optimistic concurrency: the second of two officers acting at once is told what changed
(409 ``stale_case`` with the events since), never silently overwrites, never a 500."""

from __future__ import annotations

import pytest

from services.routing.cases.freshness import parse_if_match
from shared.errors import Unprocessable
from tests.routing.conftest import assert_no_identity


def test_if_match_forms():
    assert parse_if_match('"3"') == 3 and parse_if_match('W/"4"') == 4 and parse_if_match("5") == 5
    assert parse_if_match(None) is None and parse_if_match("*") is None
    with pytest.raises(Unprocessable):
        parse_if_match('"abc"')


async def test_second_officer_acting_on_a_stale_version_is_told_what_changed(
    open_case, client, admin_headers, db
):
    tid = await open_case(anonymous=True)
    seen = (await client.get(f"/admin/cases/{tid}", headers=admin_headers)).json()
    version = seen["version"]
    first = await client.post(
        f"/admin/cases/{tid}/verify", json={}, headers={**admin_headers, "If-Match": f'"{version}"'}
    )
    assert first.status_code == 200
    second = await client.post(
        f"/admin/cases/{tid}/archive",
        json={"reason": "duplikat"},
        headers={**admin_headers, "If-Match": f'"{version}"'},
    )
    assert second.status_code == 409, second.text
    error = second.json()["error"]
    assert error["code"] == "stale_case" and error["case_status"] == "verified"
    assert error["current_version"] == version + 1
    assert [c["type"] for c in error["changes"]][-1] == "case.verified"
    after = (await client.get(f"/admin/cases/{tid}", headers=admin_headers)).json()
    assert after["status"] == "verified"  # the archive did not happen


async def test_stale_changes_never_carry_identity_for_an_opd(disposed, client, auth):
    tid = await disposed("PUPR", anonymous=True)
    opd = await auth("opd", "PUPR")
    seen = (await client.get(f"/admin/cases/{tid}", headers=opd)).json()
    await client.post(f"/admin/cases/{tid}/respond", json={"message": "Ditinjau"}, headers=opd)
    r = await client.post(
        f"/admin/cases/{tid}/respond",
        json={"message": "Sudah", "final": True},
        headers={**opd, "If-Match": str(seen["version"])},
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "stale_case"
    assert_no_identity(r.text)


async def test_a_current_version_acts(open_case, client, admin_headers):
    tid = await open_case()
    version = (await client.get(f"/admin/cases/{tid}", headers=admin_headers)).json()["version"]
    r = await client.post(
        f"/admin/cases/{tid}/verify", json={}, headers={**admin_headers, "If-Match": str(version)}
    )
    assert r.status_code == 200 and r.json()["version"] == version + 1
