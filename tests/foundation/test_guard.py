"""shared/guard.py: NUL characters, lone surrogates and deep JSON are one 400 at the edge of
every app (on PostgreSQL they used to be 500s from the driver), provider webhooks keep the
message with what cannot be stored replaced; values past storage's range are 422."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from shared.guard import MAX_JSON_DEPTH, UnsafeInput, find_unsafe_json, load_json
from shared.models import Case

# -- the detector ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        rb'{"a": "\u0000"}',
        rb'{"a": "x\\\u0000"}',  # an escaped backslash, then a real \u0000
        rb'["\ud800"]',
        rb'["\uDFFF"]',
        rb'["\udc00\ud800"]',  # low before high: two lone halves
        rb'["\ud83d x \ude00"]',
        b'["\xed\xa0\x80"]',  # a surrogate written raw (CESU bytes)
        b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1),
        b'{"a":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1),
    ],
)
def test_what_no_field_may_hold_is_found(raw):
    assert find_unsafe_json(raw) is not None


@pytest.mark.parametrize(
    "raw",
    [
        rb'{"a": "\\u0000"}',  # the text \u0000, escaped
        rb'["\ud83d\ude00"]',  # an emoji as a surrogate pair
        json.dumps({"isi": "Jalan rusak 😀 di Desa Dauh Peken"}).encode(),
        json.dumps({"isi": "Jalan rusak 😀"}, ensure_ascii=False).encode(),
        b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH,
        json.dumps({"s": "[" * 100}).encode(),  # brackets inside a string do not nest
        json.dumps([[1, 2]] * 200).encode(),  # many brackets, shallow
    ],
)
def test_ordinary_json_passes(raw):
    assert find_unsafe_json(raw) is None


def test_load_json_refuses_or_repairs_and_never_recurses_without_bound():
    with pytest.raises(UnsafeInput, match="NUL"):
        load_json(rb'{"a": "\u0000"}')
    assert load_json(rb'{"a\u0000": "b\ud800c"}', repair=True) == {"a\ufffd": "b\ufffdc"}
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(UnsafeInput, match="nested") as refused:
        load_json(deep, repair=True)  # depth is never repaired
    assert refused.value.code == "too_deeply_nested"
    for constant in (b"NaN", b"Infinity", b"-Infinity", b"1e400"):
        with pytest.raises(ValueError):
            load_json(b'{"complaint_id": ' + constant + b"}")


# -- through the apps: one 400 everywhere ---------------------------------------------------


def _refused(response, code: str = "invalid_characters") -> None:
    assert response.status_code == 400, response.text
    body = response.json()["error"]
    assert body["code"] == code
    assert "no field accepts" in body["message"]


async def test_nul_in_a_pushed_complaint_is_a_400_and_stores_nothing(client, api_key, db):
    body = json.dumps({"description": "Jalan rusak\u0000 parah", "title": "x"})
    response = await client.post(
        "/api/v1/complaints",
        content=body,
        headers={"X-API-Key": api_key, "Content-Type": "application/json"},
    )
    _refused(response)
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Case)) == 0


async def test_deeply_nested_json_is_a_400_not_a_recursion_error(client, api_key, admin_headers):
    deep = "[" * 50_000 + "]" * 50_000
    for path, headers in (
        ("/api/v1/complaints", {"X-API-Key": api_key}),
        ("/admin/routing/dry-run", admin_headers),
    ):
        response = await client.post(
            path, content=deep, headers={**headers, "Content-Type": "application/json"}
        )
        _refused(response, "too_deeply_nested")


async def test_a_lone_surrogate_in_an_admin_body_is_a_400(client, admin_headers):
    response = await client.post(
        "/admin/routing/dry-run",
        content=rb'{"description": "lampu \udc80 mati"}',
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    _refused(response)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/cases?q=jalan%00rusak",
        "/open311/v2/requests.json?service_code=JALAN%00",
        "/api/v1/public/complaints/AB%00CD",
        "/lacak/AB%00CD",
        "/api/v1/calendar/due?start=2026-01-05T08:00:00%00&working_days=3",
    ],
)
async def test_nul_in_a_url_is_a_400(client, admin_headers, url):
    _refused(await client.get(url, headers=admin_headers))


async def test_nul_in_the_web_form_is_a_400(client):
    page = await client.get("/lapor")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = await client.post(
        "/lapor",
        content=f"csrf_token={token}&isi=Lampu%00mati&kategori=",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    _refused(response)


# -- values past what storage holds --------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/routing/rules/99999999999999999999"),
        ("PATCH", "/admin/reference/desa/7822308602808"),
        ("DELETE", "/admin/calendar/overrides/7916662735?reason=x"),
        ("GET", "/admin/routing/rules/9223372036854775808"),
    ],
)
async def test_an_id_past_the_columns_range_is_a_4xx_not_a_500(client, admin_headers, method, path):
    response = await client.request(method, path, headers=admin_headers, json={})
    assert response.status_code in (404, 422), response.text


@pytest.mark.parametrize(
    "url",
    [
        "/admin/reports/summary?from=2026-01-01&to=9999-12-31",
        "/admin/reports/summary?from=0001-01-01&to=9999-12-31&format=csv",
        "/admin/cases?to=9999-12-31",
        "/admin/cases?from=9999-12-31T23:59:59%2B14:00",
        "/admin/quarantine?offset=100000000000000000000",
        "/admin/quarantine?offset=9223372036854775808&limit=5",
        "/admin/sync/dead-letters?offset=99999999999999999999",
        "/api/v1/calendar/due?start=9999-12-31T00:00:00&working_days=10",
        "/api/v1/calendar/due?start=2026-01-05T08:00:00&working_days=99999999999",
        "/api/v1/calendar/holidays?year=99999",
        "/open311/v2/requests.json?end_date=9999-12-31T23:59:59Z",
        "/open311/v2/requests.json?start_date=0001-01-01T00:00:00Z&end_date=9999-12-31T00:00:00-12:00",
        "/open311/v2/servicerequestupdates.json?end_date=9999-12-31T23:59:59Z",
        "/statistik?tahun=99999",
        "/statistik/data.csv?dari=9999-12-31",
    ],
)
async def test_values_at_the_edges_of_their_types_are_answered_not_500(client, admin_headers, url):
    response = await client.get(url, headers=admin_headers)
    assert response.status_code < 500, response.text
