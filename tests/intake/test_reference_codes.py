"""Reference codes are case-insensitive and a blank one is no code (shared/codes.py), on
every input that names one; Open311 names a missing description before a missing place."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from shared.models import Case

BASE = "/open311/v2"


def _push(client, api_key, **fields):
    body = {"description": "Lampu jalan di depan pasar mati sejak tiga hari", **fields}
    return client.post("/api/v1/complaints", json=body, headers={"X-API-Key": api_key})


async def test_a_pushed_category_and_kecamatan_in_any_case_are_the_stored_codes(client, api_key):
    response = await _push(
        client, api_key, category=" adminduk ", location={"kecamatan": "Tabanan"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["category"] == "ADMINDUK"


async def test_blank_codes_are_no_code_not_a_foreign_key_error(client, api_key, db):
    answers = await asyncio.gather(  # concurrently: one group commit, no fallback to 500
        _push(client, api_key, category=""),
        _push(client, api_key, location={"kecamatan": ""}),
        _push(client, api_key, category="   ", location={"kecamatan": " "}),
        _push(client, api_key, category="ADMINDUK"),
    )
    assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers]
    async with db.session() as session:
        rows = (await session.execute(select(Case.category_code, Case.kecamatan_code))).all()
    assert sorted(rows, key=str) == sorted(
        [(None, None), (None, None), (None, None), ("ADMINDUK", None)], key=str
    )


async def test_an_unknown_code_is_still_a_422_naming_the_field(client, api_key):
    response = await _push(client, api_key, category="nope")
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "category"


async def test_admin_actions_filters_and_reference_reads_take_any_case(
    client, admin_headers, api_key
):
    tracking_id = (await _push(client, api_key)).json()["tracking_id"]
    verify = await client.post(
        f"/admin/cases/{tracking_id}/verify", json={"category": "jalan"}, headers=admin_headers
    )
    assert verify.status_code == 200, verify.text
    dispose = await client.post(
        f"/admin/cases/{tracking_id}/dispose",
        json={"opd": "pupr", "copies": ["dlh"]},
        headers=admin_headers,
    )
    assert dispose.status_code == 200, dispose.text
    listed = await client.get("/admin/cases", params={"opd": "pupr"}, headers=admin_headers)
    assert [c["tracking_id"] for c in listed.json()["items"]] == [tracking_id]
    one = await client.get("/admin/reference/categories/jalan", headers=admin_headers)
    assert one.status_code == 200 and one.json()["code"] == "JALAN"


async def test_open311_service_codes_in_any_case(client, api_key):
    definition = await client.get(f"{BASE}/services/adminduk.json")
    assert definition.status_code == 200
    posted = await client.post(
        f"{BASE}/requests.json",
        data={
            "api_key": api_key,
            "service_code": "adminduk",
            "address_string": "Jl. A. Yani km 5",
            "description": "KTP-el belum selesai sejak tiga bulan",
        },
    )
    assert posted.status_code == 201, posted.text


@pytest.mark.parametrize("fmt", ["json"])
async def test_open311_without_description_says_so_before_the_location(client, api_key, fmt):
    response = await client.post(
        f"{BASE}/requests.{fmt}", data={"api_key": api_key, "service_code": "ADMINDUK"}
    )
    assert response.status_code == 400
    assert response.json()[0]["description"] == "description is required"
