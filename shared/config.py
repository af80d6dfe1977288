"""One settings object for every service (pydantic-settings, prefix ``SIMPUL_``, also ``.env``).

Secrets are ``SecretStr`` so they never print in logs, errors or ``/metrics``. The demo
secrets are refused outside embedded (SQLite) mode unless ``SIMPUL_ALLOW_DEMO_SECRETS`` is set.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.identity.roles import ADMIN_ROLES, parse_roles
from shared.lifecycle import Role

DEMO_LAPOR_AUTH_KEY = "demo-auth-key"
DEMO_LAPOR_TOKEN = "demo-token"
DEMO_LAPOR_INSTITUTION_ID = 9001
DEMO_LAPOR_USER_ID = 9001
DEMO_LAPOR_WEBHOOK_SECRET = "demo-lapor-webhook-secret"
DEFAULT_DATABASE_URL = "sqlite:///./data/simpul.db"
DEFAULT_PORT = 8000

#: Ports when services run separately (CONTRACT.md, "Ports when run separately").
SERVICE_PORTS = {
    "all": 8000,
    "intake": 8001,
    "routing": 8002,
    "sla": 8003,
    "sync": 8004,
    "console": 8005,
}
LAPOR_SIM_PORT = 8009


class Settings(BaseSettings):
    """Every knob of a deployment. Field names map to ``SIMPUL_<NAME>`` variables."""

    model_config = SettingsConfigDict(
        env_prefix="SIMPUL_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # -- runtime ---------------------------------------------------------------
    env: Literal["dev", "production", "test"] = "dev"
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    database_url: str = DEFAULT_DATABASE_URL
    db_pool_size: int = 10
    db_max_overflow: int = 10
    log_level: str = "INFO"
    log_json: bool | None = None  # default: JSON in production, console otherwise
    #: FastAPI's own OpenTelemetry instrumentation. Off: Simpul's metrics are Prometheus and
    #: its logs structlog; on, it asks for global OpenTelemetry providers on every request.
    opentelemetry: bool = False
    run_workers: bool = True  # run this process's event consumers and periodic jobs
    data_dir: str = "./data"
    public_base_url: str = "http://127.0.0.1:8000"
    allow_demo_secrets: bool = False
    max_body_bytes: int = 12 * 1024 * 1024

    # -- calendar / SLA ----------------------------------------------------------
    timezone: str = "Asia/Jakarta"
    region: str = ""
    warning_in_working_days: bool = True
    reopen_window_working_days: int = 10

    # -- SP4N-LAPOR! -------------------------------------------------------------
    lapor_base_url: str = ""  # empty: the embedded simulator at <public>/lapor-sim
    lapor_auth_key: SecretStr = SecretStr(DEMO_LAPOR_AUTH_KEY)
    lapor_token: SecretStr = SecretStr(DEMO_LAPOR_TOKEN)
    lapor_institution_id: int = DEMO_LAPOR_INSTITUTION_ID
    lapor_user_id: int = DEMO_LAPOR_USER_ID
    lapor_webhook_secret: SecretStr = SecretStr(DEMO_LAPOR_WEBHOOK_SECRET)
    lapor_rate_limit_per_s: float = 15.0
    lapor_timeout_s: float = 10.0
    lapor_concurrency: int = 32  # calls in flight; the token bucket alone sets the pace
    lapor_sync_enabled: bool = True

    # -- channels (a channel whose secret is empty is off) --------------------------
    twilio_auth_token: SecretStr = SecretStr("")
    twilio_account_sid: str = ""
    twilio_from_number: str = ""
    twilio_api_base_url: str = "https://api.twilio.com"
    sms_gateway_secret: SecretStr = SecretStr("")
    sms_gateway_send_url: str = ""
    whatsapp_app_secret: SecretStr = SecretStr("")
    whatsapp_verify_token: SecretStr = SecretStr("")
    whatsapp_access_token: SecretStr = SecretStr("")
    whatsapp_phone_number_id: str = ""
    whatsapp_api_base_url: str = "https://graph.facebook.com/v21.0"
    telegram_secret_token: SecretStr = SecretStr("")
    telegram_bot_token: SecretStr = SecretStr("")
    telegram_api_base_url: str = "https://api.telegram.org"
    facebook_app_secret: SecretStr = SecretStr("")
    facebook_verify_token: SecretStr = SecretStr("")
    facebook_page_token: SecretStr = SecretStr("")
    facebook_api_base_url: str = "https://graph.facebook.com/v21.0"

    # -- intake --------------------------------------------------------------------
    #: Write concurrent pushed complaints in one transaction (group commit); off: one each.
    intake_group_commit: bool = True
    intake_group_max: int = Field(default=200, ge=1)

    # -- staff accounts and sessions (shared/identity) ------------------------------------
    #: Roles that must log in with two-factor; admin_instansi and operator at least
    #: (production refuses less).
    totp_required_roles: str = "admin_instansi,operator"
    session_idle_minutes: int = Field(default=30, ge=1)
    session_absolute_hours: int = Field(default=12, ge=1)
    #: Failed logins in a row that lock an account, and for how long (also the window of
    #: the per-address limit).
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    login_address_max_failures: int = Field(default=20, ge=1)

    # -- limits --------------------------------------------------------------------
    rate_limit_per_key_per_min: int = Field(default=600, ge=1)
    rate_limit_per_sender_per_min: int = Field(default=20, ge=1)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _no_demo_secrets_in_production(self) -> Settings:
        if self.env == "production" and not self.allow_demo_secrets:
            demo = {
                "SIMPUL_LAPOR_AUTH_KEY": self.lapor_auth_key.get_secret_value()
                == DEMO_LAPOR_AUTH_KEY,
                "SIMPUL_LAPOR_TOKEN": self.lapor_token.get_secret_value() == DEMO_LAPOR_TOKEN,
                "SIMPUL_LAPOR_WEBHOOK_SECRET": self.lapor_webhook_secret.get_secret_value()
                == DEMO_LAPOR_WEBHOOK_SECRET,
            }
            if self.lapor_base_url and any(demo.values()):
                names = ", ".join(name for name, is_demo in demo.items() if is_demo)
                raise ValueError(f"demo secrets are not allowed in production: set {names}")
        return self

    @field_validator("totp_required_roles")
    @classmethod
    def _known_roles(cls, value: str) -> str:
        parse_roles(value)
        return value

    @model_validator(mode="after")
    def _admins_use_two_factor_in_production(self) -> Settings:
        missing = ADMIN_ROLES - self.totp_required_role_set
        if self.env == "production" and missing:
            needed = ",".join(sorted(str(r) for r in self.totp_required_role_set | ADMIN_ROLES))
            raise ValueError(
                "production requires two-factor for the admin roles: "
                f"set SIMPUL_TOTP_REQUIRED_ROLES={needed}"
            )
        return self

    # -- derived -----------------------------------------------------------------------
    @property
    def totp_required_role_set(self) -> frozenset[Role]:
        return parse_roles(self.totp_required_roles)

    @property
    def secure_cookies(self) -> bool:
        """Cookies are ``Secure`` when the public URL is https (the issue's rule)."""
        return self.public_base_url.startswith("https://")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def embedded_simulator(self) -> bool:
        """True when no LAPOR! base URL is set: the simulator is mounted at ``/lapor-sim``."""
        return not self.lapor_base_url

    @property
    def effective_lapor_base_url(self) -> str:
        """The LAPOR! API base; with none set, the simulator mounted in this very process,
        reached at the address it listens on (not the public URL, which may be a proxy)."""
        if self.lapor_base_url:
            return self.lapor_base_url
        host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}/lapor-sim"

    @property
    def json_logs(self) -> bool:
        return self.env == "production" if self.log_json is None else self.log_json

    def pool_size_for(self, services: Iterable[str], *, workers: bool) -> int:
        """Connections a process keeps open: ``db_pool_size``, or one per LAPOR! call in
        flight where the process runs the mirror. Each of its handlers needs a connection
        at about the same moment, and a smaller pool opened and dropped its overflow
        connections every round (192 connects in a 44 s benchmark)."""
        if workers and "sync" in services:
            return max(self.db_pool_size, self.lapor_concurrency)
        return self.db_pool_size


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once. Tests call ``get_settings.cache_clear()``."""
    return Settings()
