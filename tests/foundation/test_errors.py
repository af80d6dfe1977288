"""Faults answer in the one JSON error format, never with a stack trace, never a 2xx for work
that did not commit: bad JSON 400, bad fields 422, unknown routes 404, a database that cannot
be reached 503 with Retry-After, a commit that fails an error."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import func, select, text

from shared.app import ServiceSpec, build_app
from shared.config import Settings
from shared.deps import DbSession
from shared.models import ClientApp


class Complaint(BaseModel):
    description: str = Field(min_length=1)
    count: int = 1


def _router() -> APIRouter:
    router = APIRouter(prefix="/probe")

    @router.post("/echo")
    async def echo(body: Complaint) -> dict:
        return body.model_dump()

    @router.get("/touch-db")
    async def touch_db(session: DbSession) -> dict:
        return {"one": await session.scalar(text("SELECT 1"))}

    @router.post("/register/{name}", status_code=201)
    async def register(name: str, session: DbSession) -> dict:
        # not flushed: a duplicate name fails only when the request's unit of work commits
        session.add(ClientApp(name=name, key_prefix="smp_x", key_hash=name.ljust(64, "0")[:64]))
        return {"registered": name}

    return router


@pytest.fixture
async def probe(probe_app):
    app = probe_app(_router())
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            yield client


async def test_malformed_json_is_400_naming_the_problem(probe):
    response = await probe.post(
        "/probe/echo",
        content=b'{"description": "jalan rusak",',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "malformed_json"
    assert error["message"].startswith("the request body is not valid JSON: ")
    assert "character 30" in error["message"]
    assert error["errors"][0]["field"] == "body"


async def test_a_bad_field_is_422_naming_the_field(probe):
    response = await probe.post(
        "/probe/echo", json={"description": "jalan rusak", "count": "banyak"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"].startswith("count:")
    assert [e["field"] for e in error["errors"]] == ["count"]

    missing = await probe.post("/probe/echo", json={"count": 2})
    assert missing.status_code == 422
    assert missing.json()["error"]["errors"][0]["field"] == "description"


async def test_unknown_route_and_wrong_method_are_json(probe):
    response = await probe.get("/probe/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    wrong = await probe.delete("/probe/echo")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"


async def test_a_failing_commit_answers_an_error_not_a_2xx(probe, db):
    assert (await probe.post("/probe/register/aplikasi-rsud")).status_code == 201
    response = await probe.post("/probe/register/aplikasi-rsud")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert "Traceback" not in response.text and "INSERT" not in response.text
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(ClientApp)) == 1


def _unreachable_urls(tmp_path) -> list[str]:
    a_directory = tmp_path / "not-a-file.db"
    a_directory.mkdir()
    return [f"sqlite:///{a_directory}", "postgresql://nobody@127.0.0.1:1/none"]


async def test_database_unreachable_is_503_with_retry_after_and_no_stack_trace(tmp_path):
    for url in _unreachable_urls(tmp_path):
        settings = Settings(
            _env_file=None, env="test", database_url=url, run_workers=False, log_level="CRITICAL"
        )
        app = build_app(
            [ServiceSpec(name="probe", routers=[_router()])], settings, run_workers=False
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            for method, path in (
                ("GET", "/probe/touch-db"),
                ("POST", "/probe/register/x"),
                ("GET", "/readyz"),
            ):
                response = await client.request(method, path)
                assert response.status_code == 503, (url, path, response.text)
                assert response.json()["error"]["code"] == "database_unavailable"
                assert int(response.headers["Retry-After"]) > 0
                assert "Traceback" not in response.text and "nobody" not in response.text
            assert (await client.get("/healthz")).status_code == 200  # alive, just not ready
        await app.state.db.dispose()
