"""The embedded simulator keeps its national cases across restarts (like the real LAPOR!)."""

from __future__ import annotations

from pathlib import Path

import httpx

from services.embedded import create_app


async def _create_one(settings) -> int:
    app = create_app(settings, run_workers=False)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as c:
            body = {"title": "Jalan rusak", "content": "Jalan rusak di Kediri", "category_id": 110}
            answer = await c.post("/lapor-sim/_sim/national/forward", json=body)
            assert answer.status_code in (200, 201), answer.text
            listed = await c.get("/lapor-sim/_sim/complaints")
            return len(
                listed.json() if isinstance(listed.json(), list) else listed.json()["complaints"]
            )


async def test_national_cases_survive_a_restart_of_the_embedded_app(settings):
    assert await _create_one(settings) == 1
    assert (Path(settings.data_dir) / "lapor-sim.json").exists()
    assert await _create_one(settings) == 2  # the first one is still there; ids never repeat
