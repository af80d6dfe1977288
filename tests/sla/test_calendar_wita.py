"""A pemda in WITA (SIMPUL_TIMEZONE=Asia/Makassar): the local date decides day 0."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from shared.config import Settings
from tests.sla.factories import clocks, end_of, open_case

WITA = ZoneInfo("Asia/Makassar")


@pytest.fixture
def settings(database_url: str, tmp_path) -> Settings:
    return Settings(
        _env_file=None,
        env="test",
        database_url=database_url,
        data_dir=str(tmp_path / "data"),
        public_base_url="https://pengaduan.example.go.id",
        run_workers=False,
        log_level="WARNING",
        timezone="Asia/Makassar",
    )


async def test_half_past_eleven_wib_is_already_friday_in_wita(client):
    # 16:30 UTC Thursday 19 Nov = 23:30 WIB Thursday = 00:30 WITA Friday.
    r = await client.get(
        "/api/v1/calendar/due", params={"start": "2026-11-19T16:30:00Z", "working_days": 3}
    )
    body = r.json()
    assert body["timezone"] == "Asia/Makassar"
    assert dt.datetime.fromisoformat(body["due_at"].replace("Z", "+00:00")) == end_of(
        "2026-11-25", WITA
    )
    assert body["due_at_local"].startswith("2026-11-25T23:59:59+08:00")
    # Thursday 23:30 WITA is still Thursday: Friday, Monday, Tuesday.
    r = await client.get(
        "/api/v1/calendar/due", params={"start": "2026-11-19T23:30:00+08:00", "working_days": 3}
    )
    assert r.json()["due_at_local"].startswith("2026-11-24T23:59:59+08:00")


async def test_clocks_count_in_the_deployment_timezone(db, drain):
    case_id = await open_case(db, dt.datetime(2026, 11, 19, 16, 30, tzinfo=dt.UTC))
    await drain("sla")
    (clock,) = await clocks(db, case_id)
    assert clock.deadline_at == end_of("2026-11-25", WITA)
