"""The demo path with ``make run`` defaults: the embedded app mounts the simulator at
``/lapor-sim``; a new case appears there, and a national status change comes back by polling."""

from __future__ import annotations

import httpx

from services.sync.inbound.service import poll_once
from services.sync.lapor import LaporClient, mapping
from tests.sync.test_mirror_support import events_of, open_case, use_client


async def test_a_case_reaches_the_embedded_simulator_and_its_status_comes_back(
    app, client, drain, settings
):
    assert settings.embedded_simulator
    # No server listens in tests: the client reaches the mounted simulator through the app.
    await use_client(
        app,
        LaporClient(
            settings.effective_lapor_base_url,
            settings.lapor_auth_key,
            settings.lapor_token,
            transport=httpx.ASGITransport(app=app),
        ),
    )
    faults = await client.put("/lapor-sim/_sim/faults", json={"callbacks": False})
    assert faults.status_code == 200  # /_sim/ is loopback-only: the ASGI client is 127.0.0.1

    case_id, tracking_id = await open_case(app)
    await drain("sync")
    complaints = (await client.get("/lapor-sim/_sim/complaints")).json()["complaints"]
    [national] = [c for c in complaints if f"#simpul-{tracking_id}" in c["tags_raw"]]

    changed = await client.post(
        f"/lapor-sim/_sim/complaints/{national['complaint_id']}/status",
        json={"status_code": mapping.STATUS_DITINDAKLANJUTI},
    )
    assert changed.status_code == 200
    await poll_once(app.state.ctx)
    [event] = await events_of(app, "lapor.status_changed", case_id)
    assert event.data["to_code"] == mapping.STATUS_DITINDAKLANJUTI
