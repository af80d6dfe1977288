"""One settings object (STYLE.md 2): demo secrets refused in production against the real
SP4N-LAPOR!, an unknown timezone refused, secrets never printed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.config import Settings

REAL_LAPOR = "https://api.lapor.go.id"
REAL_SECRETS = {
    "lapor_auth_key": "kunci-asli-dari-kementerian",
    "lapor_token": "token-asli",
    "lapor_webhook_secret": "rahasia-webhook-asli",
}


def _settings(**values) -> Settings:  # noqa: ANN003
    return Settings(_env_file=None, **values)


def test_demo_secrets_are_refused_in_production_against_the_real_lapor():
    with pytest.raises(ValidationError) as refused:
        _settings(env="production", lapor_base_url=REAL_LAPOR)
    message = str(refused.value)
    for name in ("SIMPUL_LAPOR_AUTH_KEY", "SIMPUL_LAPOR_TOKEN", "SIMPUL_LAPOR_WEBHOOK_SECRET"):
        assert name in message
    assert "demo-auth-key" not in message  # names the variable, never echoes the secret


@pytest.mark.parametrize("left_as_demo", sorted(REAL_SECRETS))
def test_one_demo_secret_left_is_enough_to_refuse(left_as_demo):
    values = {k: v for k, v in REAL_SECRETS.items() if k != left_as_demo}
    with pytest.raises(ValidationError, match=f"SIMPUL_{left_as_demo.upper()}"):
        _settings(env="production", lapor_base_url=REAL_LAPOR, **values)


def test_production_with_real_secrets_is_accepted_and_hides_them():
    settings = _settings(env="production", lapor_base_url=REAL_LAPOR, **REAL_SECRETS)
    assert settings.lapor_auth_key.get_secret_value() == "kunci-asli-dari-kementerian"
    shown = repr(settings) + str(settings.model_dump())
    for secret in REAL_SECRETS.values():
        assert secret not in shown


def test_demo_secrets_are_fine_for_the_embedded_simulator_and_in_dev():
    assert _settings(env="production").embedded_simulator  # no real LAPOR! to leak them to
    assert _settings(env="dev", lapor_base_url=REAL_LAPOR).lapor_base_url == REAL_LAPOR
    assert _settings(env="production", lapor_base_url=REAL_LAPOR, allow_demo_secrets=True)


@pytest.mark.parametrize("zone", ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"])
def test_the_three_indonesian_timezones_are_accepted(zone):
    assert _settings(timezone=zone).tz.key == zone


@pytest.mark.parametrize("zone", ["WIB", "Asia/Bandung", "Mars/Olympus", "", "../etc/passwd"])
def test_an_unknown_timezone_is_refused(zone):
    with pytest.raises(ValidationError, match="timezone"):
        _settings(timezone=zone)


def test_settings_read_the_simpul_environment(monkeypatch):
    monkeypatch.setenv("SIMPUL_TIMEZONE", "Asia/Makassar")
    monkeypatch.setenv("SIMPUL_REGION", "ID-BA")
    monkeypatch.setenv("SIMPUL_RUN_WORKERS", "false")
    settings = _settings()
    assert (settings.timezone, settings.region, settings.run_workers) == (
        "Asia/Makassar",
        "ID-BA",
        False,
    )


def test_embedded_simulator_is_reached_where_this_process_listens():
    from shared.config import Settings

    settings = Settings(
        _env_file=None, host="0.0.0.0", port=8123, public_base_url="https://pengaduan.example.go.id"
    )
    assert settings.effective_lapor_base_url == "http://127.0.0.1:8123/lapor-sim"
    configured = Settings(_env_file=None, lapor_base_url="https://lapor.example.go.id/lapor/3.0.0")
    assert configured.effective_lapor_base_url == "https://lapor.example.go.id/lapor/3.0.0"


def test_a_process_running_the_sync_workers_keeps_a_connection_per_lapor_call():
    settings = Settings(db_pool_size=10, lapor_concurrency=32)
    assert settings.pool_size_for(["intake", "sync"], workers=True) == 32
    assert settings.pool_size_for(["sync"], workers=False) == 10  # HTTP only
    assert settings.pool_size_for(["intake"], workers=True) == 10
    assert Settings(db_pool_size=50).pool_size_for(["sync"], workers=True) == 50
