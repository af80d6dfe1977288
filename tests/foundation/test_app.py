"""The foundation's HTTP surface: health, readiness, metrics, docs, the error format."""

from __future__ import annotations

import pytest
from sqlalchemy import text


async def test_health_ready_metrics_docs_answer_200(client):
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"):
        response = await client.get(path)
        assert response.status_code == 200, path


async def test_unknown_route_is_json_404(client):
    response = await client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_request_id_is_echoed(client):
    response = await client.get("/healthz", headers={"X-Request-ID": "abc123"})
    assert response.headers["X-Request-ID"] == "abc123"


async def test_readyz_503_when_schema_behind(app, client):
    async with app.state.db.session() as session:
        await session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "schema_not_at_head"
    assert "Retry-After" in response.headers


async def test_readyz_503_when_database_unreachable(tmp_path):
    import httpx

    from services.embedded import create_app
    from shared.config import Settings

    settings = Settings(
        _env_file=None,
        env="test",
        database_url="postgresql://nobody@127.0.0.1:1/none",
        run_workers=False,
    )
    app = create_app(settings, run_workers=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/readyz")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"
    assert "Traceback" not in response.text


async def test_body_over_limit_is_413(app, client):
    assert app.state.settings.max_body_bytes == 12 * 1024 * 1024
    response = await client.post("/healthz", content=b"x" * (13 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


@pytest.mark.parametrize("path", ["/metrics"])
async def test_metrics_never_show_secrets(app, client, path):
    body = (await client.get(path)).text
    for secret in ("demo-auth-key", "demo-token", "demo-lapor-webhook-secret"):
        assert secret not in body


async def test_a_browser_over_the_limit_is_told_in_words(app, client):
    """The web form with five large photos: a page in Bahasa Indonesia, not JSON."""
    response = await client.post(
        "/lapor",
        content=b"x" * (13 * 1024 * 1024),
        headers={
            "Accept": "text/html,application/xhtml+xml",
            "Content-Type": "multipart/form-data",
        },
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "Kiriman terlalu besar" in response.text and "12 MB" in response.text
