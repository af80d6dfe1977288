"""The process itself: where it listens, its database, logs, data directory and calendar.

The derived addresses (``local_authority``, ``public_base_url`` when unset) live here because
the LAPOR! simulator's URL and every link sent are built from them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, SecretStr, field_validator

from shared.config.production import ProductionCheck

DEFAULT_DATABASE_URL = "sqlite:///./data/simpul.db"
DEFAULT_DATA_DIR = "./data"
#: The checkout this code runs from (``make run``/``make install`` install it editable), or
#: None for an installed package: the defaults' ``./data`` is the checkout's, wherever the
#: command is run from, instead of an empty new database in the current directory.
PROJECT_ROOT: Path | None = next(
    (p for p in [Path(__file__).resolve().parents[2]] if (p / "pyproject.toml").is_file()), None
)
#: Host names that only this machine reaches.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0", None})
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


class RuntimeSettings(BaseModel):
    """``SIMPUL_ENV``, ``SIMPUL_HOST``/``PORT``, the database, logs, limits and the calendar."""

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
    data_dir: str = DEFAULT_DATA_DIR
    #: Empty: ``http://<host>:<port>`` of this process (see ``Settings._derive_public_base_url``).
    public_base_url: str = ""
    allow_demo_secrets: bool = False
    max_body_bytes: int = 12 * 1024 * 1024

    # -- calendar / SLA ----------------------------------------------------------
    timezone: str = "Asia/Jakarta"
    region: str = ""
    warning_in_working_days: bool = True
    reopen_window_working_days: int = 10

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value

    def _place_defaults_in_the_checkout(self) -> None:
        if PROJECT_ROOT is not None:
            if self.database_url == DEFAULT_DATABASE_URL:
                self.database_url = f"sqlite:///{PROJECT_ROOT / 'data' / 'simpul.db'}"
            if self.data_dir == DEFAULT_DATA_DIR:
                self.data_dir = str(PROJECT_ROOT / "data")

    # -- derived -----------------------------------------------------------------------
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
    def local_authority(self) -> str:
        """``host:port`` where this process is reached from the same machine."""
        host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"{host}:{self.port}"

    @property
    def json_logs(self) -> bool:
        return self.env == "production" if self.log_json is None else self.log_json

    def secret_values(self) -> list[str]:
        """Every configured secret's value (for the log filter to mask)."""
        return [
            value.get_secret_value()
            for name in type(self).model_fields
            if isinstance(value := getattr(self, name), SecretStr)
        ]


RUNTIME_CHECKS: list[ProductionCheck] = [
    ProductionCheck(
        weak=lambda s: urlsplit(s.public_base_url).hostname in LOOPBACK_HOSTS,
        message="set SIMPUL_PUBLIC_BASE_URL to the URL citizens and providers reach "
        "(https://…): it signs Twilio webhooks and is in every link sent",
    ),
    ProductionCheck(
        weak=lambda s: s.is_sqlite,
        message="set SIMPUL_DATABASE_URL to a PostgreSQL URL (postgresql://user:password@host/db); "
        "SQLite is for the embedded demo only",
    ),
]
