"""One settings object (STYLE.md 2): production refuses every weak setting (demo or empty
LAPOR! secrets, the simulator, SQLite, CHANGE_ME placeholders) naming what to set; an unknown
timezone refused; secrets never printed."""

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
#: A production configuration that passes every check; each test below weakens one thing.
PRODUCTION = {
    "env": "production",
    "database_url": "postgresql://simpul:kata-sandi@db.internal/simpul",
    "public_base_url": "https://pengaduan.tabanankab.go.id",
    "lapor_base_url": REAL_LAPOR,
    "lapor_institution_id": 3301,
    "lapor_user_id": 77,
    # What differs per national environment and integrator (contracts/lapor-api.md).
    "lapor_auth_header": "auth",
    "lapor_create_path": "/complaints/complaint-tanahlaut",
    "lapor_admin_user_id": 78,
    "lapor_reply_template_code": "reply_tanahlaut",
    "lapor_channel_id": 13,
    "lapor_classification_ids": {"pengaduan": 6, "aspirasi": 7, "permintaan_informasi": 8},
    "lapor_forward_institution_id": 1,
    "lapor_category_map": {"JALAN": 436},
    **REAL_SECRETS,
}


def _settings(**values) -> Settings:
    return Settings(_env_file=None, **values)


def _refusal(**changes) -> str:
    with pytest.raises(ValidationError) as refused:
        _settings(**{**PRODUCTION, **changes})
    return str(refused.value)


def test_a_complete_production_configuration_starts_and_hides_its_secrets():
    settings = _settings(**PRODUCTION)
    assert settings.lapor_auth_key.get_secret_value() == "kunci-asli-dari-kementerian"
    shown = repr(settings) + str(settings.model_dump())
    for secret in REAL_SECRETS.values():
        assert secret not in shown


@pytest.mark.parametrize(
    ("weakened", "names"),
    [
        ({"lapor_base_url": ""}, "SIMPUL_LAPOR_BASE_URL"),  # the simulator with public keys
        ({"lapor_webhook_secret": ""}, "SIMPUL_LAPOR_WEBHOOK_SECRET"),
        ({"lapor_webhook_secret": "   "}, "SIMPUL_LAPOR_WEBHOOK_SECRET"),
        ({"database_url": "sqlite:///./data/simpul.db"}, "SIMPUL_DATABASE_URL"),
        ({"database_url": "sqlite+aiosqlite:////var/lib/simpul.db"}, "SIMPUL_DATABASE_URL"),
        ({"lapor_token": "CHANGE_ME"}, "SIMPUL_LAPOR_TOKEN"),
        ({"database_url": "postgresql://simpul:CHANGE_ME@db/simpul"}, "SIMPUL_DATABASE_URL"),
        ({"public_base_url": "https://CHANGE_ME"}, "SIMPUL_PUBLIC_BASE_URL"),
        ({"public_base_url": ""}, "SIMPUL_PUBLIC_BASE_URL"),  # derived: the loopback
        ({"public_base_url": "http://127.0.0.1:8000"}, "SIMPUL_PUBLIC_BASE_URL"),
        ({"lapor_auth_key": "demo-auth-key"}, "SIMPUL_LAPOR_AUTH_KEY"),
        ({"lapor_token": "demo-token"}, "SIMPUL_LAPOR_TOKEN"),
        ({"lapor_webhook_secret": "demo-lapor-webhook-secret"}, "SIMPUL_LAPOR_WEBHOOK_SECRET"),
        ({"lapor_institution_id": 9001}, "SIMPUL_LAPOR_INSTITUTION_ID"),
        ({"lapor_user_id": 9001}, "SIMPUL_LAPOR_USER_ID"),
        ({"totp_required_roles": "operator"}, "SIMPUL_TOTP_REQUIRED_ROLES=admin_instansi,operator"),
        ({"totp_required_roles": ""}, "SIMPUL_TOTP_REQUIRED_ROLES=admin_instansi,operator"),
    ],
)
def test_production_refuses_each_weak_setting_naming_what_to_set(weakened, names):
    message = _refusal(**weakened)
    assert "SIMPUL_ENV=production refuses" in message
    assert f"set {names}" in message or f"in {names}" in message
    for value in weakened.values():
        if isinstance(value, str) and len(value.strip()) > 9:
            assert value not in message  # names the variable, never echoes a value


def test_production_may_require_two_factor_of_more_roles():
    settings = _settings(**PRODUCTION, totp_required_roles="admin_instansi,operator,opd")
    assert {"admin_instansi", "operator", "opd"} == set(settings.totp_required_role_set)


def test_every_weak_setting_is_named_at_once():
    message = _refusal(lapor_base_url="", database_url="sqlite:///x.db", lapor_webhook_secret="")
    for name in ("SIMPUL_LAPOR_BASE_URL", "SIMPUL_DATABASE_URL", "SIMPUL_LAPOR_WEBHOOK_SECRET"):
        assert name in message


def test_the_default_settings_are_refused_in_production():
    message = str(pytest.raises(ValidationError, _settings, env="production").value)
    for name in ("SIMPUL_DATABASE_URL", "SIMPUL_LAPOR_BASE_URL", "SIMPUL_LAPOR_AUTH_KEY"):
        assert name in message
    assert "demo-auth-key" not in message


def test_allow_demo_secrets_waives_only_the_demo_lapor_checks():
    staging = {**PRODUCTION, "allow_demo_secrets": True}
    for demo in ("lapor_auth_key", "lapor_token", "lapor_webhook_secret"):
        staging.pop(demo)
    assert _settings(**{**staging, "lapor_base_url": ""}).embedded_simulator
    with pytest.raises(ValidationError, match="SIMPUL_DATABASE_URL"):
        _settings(**{**staging, "database_url": "sqlite:///x.db"})
    with pytest.raises(ValidationError, match="SIMPUL_LAPOR_WEBHOOK_SECRET"):
        _settings(**{**staging, "lapor_webhook_secret": ""})


def test_dev_and_test_run_on_the_defaults():
    assert _settings(env="dev").embedded_simulator
    assert _settings(env="test", lapor_base_url=REAL_LAPOR).lapor_base_url == REAL_LAPOR


def test_a_check_added_to_the_list_is_applied(monkeypatch):
    from shared import config

    extra = config.ProductionCheck(weak=lambda s: s.region == "", message="set SIMPUL_REGION")
    monkeypatch.setattr(config, "PRODUCTION_CHECKS", [*config.PRODUCTION_CHECKS, extra])
    assert "set SIMPUL_REGION" in _refusal()
    assert _settings(**PRODUCTION, region="ID-BA").region == "ID-BA"


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


def test_the_public_url_follows_host_and_port_unless_set(monkeypatch):
    monkeypatch.setenv("SIMPUL_PORT", "9123")
    assert _settings().public_base_url == "http://127.0.0.1:9123"
    assert _settings(host="0.0.0.0").public_base_url == "http://127.0.0.1:9123"
    assert _settings(host="10.1.2.3").public_base_url == "http://10.1.2.3:9123"
    given = "https://pengaduan.example.go.id"
    assert _settings(public_base_url=given).public_base_url == given


async def test_status_links_and_the_simulators_callback_follow_simpul_port(monkeypatch, tmp_path):
    from services.sync.simulator import simulator_kwargs_from_settings

    monkeypatch.setenv("SIMPUL_PORT", "9123")
    settings = _settings(database_url=f"sqlite:///{tmp_path}/x.db")
    assert simulator_kwargs_from_settings(settings)["callback_url"] == (
        "http://127.0.0.1:9123/webhooks/lapor"
    )
    assert settings.effective_lapor_base_url == "http://127.0.0.1:9123/lapor-sim"


@pytest.mark.parametrize(
    "missing",
    [
        "lapor_auth_header",
        "lapor_create_path",
        "lapor_admin_user_id",
        "lapor_reply_template_code",
        "lapor_channel_id",
        "lapor_classification_ids",
        "lapor_forward_institution_id",
    ],
)
def test_production_refuses_a_missing_lapor_setting_naming_it(missing):
    values = {k: v for k, v in PRODUCTION.items() if k != missing}
    with pytest.raises(ValidationError) as refused:
        _settings(**values)
    assert f"SIMPUL_{missing.upper()}" in str(refused.value)


def test_production_refuses_a_missing_category_map():
    values = {k: v for k, v in PRODUCTION.items() if k != "lapor_category_map"}
    with pytest.raises(ValidationError) as refused:
        _settings(**values)
    assert "SIMPUL_LAPOR_CATEGORY_MAP_FILE" in str(refused.value)


def test_production_refuses_a_category_map_file_that_is_not_there(tmp_path):
    missing = str(tmp_path / "nope.csv")
    with pytest.raises(ValidationError) as refused:
        _settings(**{**PRODUCTION, "lapor_category_map_file": missing})
    assert "SIMPUL_LAPOR_CATEGORY_MAP_FILE" in str(refused.value)
    present = tmp_path / "map.csv"
    present.write_text("simpul_code,national_id\nJALAN,436\n", encoding="utf-8")
    assert _settings(**{**PRODUCTION, "lapor_category_map_file": str(present)})


def test_a_refused_setting_never_echoes_its_value() -> None:
    """A startup error names the setting and the reason; the value may be a secret."""
    with pytest.raises(ValidationError) as refused:
        Settings(port="s3cret-typed-in-the-wrong-place")
    assert "port" in str(refused.value)
    assert "s3cret" not in str(refused.value)
