"""Hot routes (shared/fastpath.py): the push endpoint served straight from the middleware
answers exactly as the router does, for success and for every kind of error."""

from __future__ import annotations

import json
import re

from fastapi.routing import APIRoute

from shared.fastpath import HotRoutesMiddleware
from tests.intake.test_complaints_api import complaint

#: Times and request ids differ between two runs of the same exchange (tracking ids too).
VARYING = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)?|[0-9a-f]{32}")


async def _exchanges(client, api_key: str, tag: str) -> list[tuple]:
    ok = {"X-API-Key": api_key, "Idempotency-Key": f"{tag}-1"}
    requests = [
        {"json": complaint(), "headers": ok},  # 201
        {"json": complaint(), "headers": ok},  # replayed
        {"json": complaint(title="lain"), "headers": ok},  # 409: key reused with another body
        {"json": complaint(), "headers": {}},  # 401
        {"json": complaint(category="NOPE"), "headers": {"X-API-Key": api_key}},  # 422
        {"json": complaint(description=""), "headers": {"X-API-Key": api_key}},  # 422 field
        {"content": b"{not json", "headers": {"X-API-Key": api_key}},  # 400
        {"content": b"{}", "headers": {"X-API-Key": api_key, "Idempotency-Key": " "}},  # 422
    ]
    out = []
    for kwargs in requests:
        headers = {"Content-Type": "application/json", **kwargs.pop("headers")}
        r = await client.post("/api/v1/complaints", headers=headers, **kwargs)
        tracking_id = r.json().get("tracking_id") or "-"

        def same(text: str, tracking_id: str = tracking_id) -> str:
            return VARYING.sub("*", text.replace(tracking_id, "<tracking id>"))

        kept = {k: same(v) for k, v in r.headers.items() if k != "content-length"}
        out.append((r.status_code, kept, same(json.dumps(r.json(), sort_keys=True))))
    return out


async def test_the_hot_route_answers_as_the_router_does(client, api_key, monkeypatch):
    routed_calls = 0
    handle = APIRoute.handle

    async def counting_handle(self, scope, receive, send):
        nonlocal routed_calls
        if scope["path"] == "/api/v1/complaints":
            routed_calls += 1
        await handle(self, scope, receive, send)

    monkeypatch.setattr(APIRoute, "handle", counting_handle)
    fast = await _exchanges(client, api_key, "fast")
    assert routed_calls == 0  # every push was served by the middleware

    async def through(self, scope, receive, send):
        await self.app(scope, receive, send)

    monkeypatch.setattr(HotRoutesMiddleware, "__call__", through)
    routed = await _exchanges(client, api_key, "routed")
    assert routed_calls == len(routed)

    assert [status for status, _, _ in fast] == [201, 201, 409, 401, 422, 422, 400, 422]
    assert fast == routed
    assert fast[1][1].get("idempotent-replayed") == "true"


async def test_other_routes_and_methods_go_through_the_router(client, api_key):
    r = await client.get("/api/v1/complaints", headers={"X-API-Key": api_key})
    assert r.status_code == 405
    r = await client.get("/api/v1/complaints/NOPE", headers={"X-API-Key": api_key})
    assert r.status_code == 404
