"""One access line per request, and an idle server is quiet: uvicorn's own access log is
off (Simpul's line is the one), probes and the embedded simulator's calls log at debug,
libraries' per-call INFO lines (httpx) only at DEBUG."""

from __future__ import annotations

import logging

import httpx
import pytest
import structlog
from structlog.testing import capture_logs

from services.sync.inbound.tasks import lapor_callbacks, lapor_discoverer, lapor_poller
from services.sync.lapor import LaporClient
from shared.config import DEMO_LAPOR_AUTH_KEY, DEMO_LAPOR_TOKEN
from shared.observability import CHATTY_LOGGERS, configure_logging


@pytest.fixture(autouse=True)
def _restore_structlog():
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def _info_level() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))


async def test_a_request_is_logged_once(app, client):
    _info_level()
    with capture_logs() as logs:
        await client.get("/api/v1/public/complaints/ACDEFGHJ")
    assert [e["event"] for e in logs] == ["request"]


async def test_an_idle_lapor_poll_logs_nothing_at_info(app, caplog):
    caplog.set_level(logging.INFO)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    client = LaporClient(
        "http://testserver/lapor-sim",  # the simulator mounted in this very app
        DEMO_LAPOR_AUTH_KEY,
        DEMO_LAPOR_TOKEN,
        transport=httpx.ASGITransport(app=app),
        rate_limit_per_s=0,
    )
    old = app.state.ctx.resources.get("lapor")
    app.state.ctx.resources["lapor"] = client
    if old is not None:
        await old.aclose()
    jobs = [lapor_poller(), lapor_discoverer(), lapor_callbacks()]
    with capture_logs() as logs:
        for _ in range(3):
            for job in jobs:  # an idle round may make no national call at all (one query)
                await job.func(app.state.ctx)
    assert [e for e in logs if e["log_level"] != "debug"] == []
    assert [r for r in caplog.records if r.levelno >= logging.INFO] == []


def test_libraries_per_call_lines_only_at_debug():
    configure_logging("INFO")
    assert all(logging.getLogger(n).getEffectiveLevel() == logging.WARNING for n in CHATTY_LOGGERS)
    configure_logging("DEBUG")
    assert all(logging.getLogger(n).getEffectiveLevel() == logging.DEBUG for n in CHATTY_LOGGERS)
    configure_logging("WARNING")


def test_serve_turns_uvicorns_own_access_log_off(monkeypatch, sqlite_template):
    import uvicorn
    from typer.testing import CliRunner

    from services.cli.main import cli
    from shared.config import get_settings

    monkeypatch.setenv("SIMPUL_DATABASE_URL", f"sqlite:///{sqlite_template}")
    get_settings.cache_clear()

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    result = CliRunner().invoke(cli, ["serve", "--service", "intake", "--port", "8123"])
    assert result.exit_code == 0, result.output
    get_settings.cache_clear()
    assert seen["access_log"] is False
