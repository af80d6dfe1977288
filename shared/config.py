"""One settings object for every service (pydantic-settings, prefix ``SIMPUL_``, also ``.env``).

Secrets are ``SecretStr`` so they never print in logs, errors or ``/metrics``. With
``SIMPUL_ENV=production`` the settings are held against ``PRODUCTION_CHECKS`` (below): every
weak setting found is named at once, each with what to set, and the process does not start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.identity.roles import ADMIN_ROLES, parse_roles
from shared.lifecycle import Role

DEMO_LAPOR_AUTH_KEY = "demo-auth-key"
DEMO_LAPOR_TOKEN = "demo-token"
DEMO_LAPOR_INSTITUTION_ID = 9001
DEMO_LAPOR_USER_ID = 9001
DEMO_LAPOR_WEBHOOK_SECRET = "demo-lapor-webhook-secret"
DEMO_LAPOR_ADMIN_USER_ID = 9101
DEMO_LAPOR_REPLY_TEMPLATE_CODE = "reply_simpul"
DEFAULT_DATABASE_URL = "sqlite:///./data/simpul.db"
DEFAULT_DATA_DIR = "./data"
#: The checkout this code runs from (``make run``/``make install`` install it editable), or
#: None for an installed package: the defaults' ``./data`` is the checkout's, wherever the
#: command is run from, instead of an empty new database in the current directory.
PROJECT_ROOT: Path | None = next(
    (p for p in [Path(__file__).resolve().parents[1]] if (p / "pyproject.toml").is_file()), None
)
#: Host names that only this machine reaches.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0", None})

DEMO_PEMDA_NAME = "Pemerintah Kabupaten Tabanan (demo)"


class WhatsAppTemplate(BaseModel):
    """An approved WhatsApp message template: its name and language code at Meta."""

    name: str
    language: str = "id"


#: Demo template names (a pemda registers its own at Meta and sets them). Each template's
#: body takes the parameters ``services.intake.notify.window.template_parameters`` fills.
DEFAULT_WHATSAPP_TEMPLATES: dict[str, WhatsAppTemplate] = {
    name: WhatsAppTemplate(name=f"simpul_{name}", language="id")
    for name in (
        "verified",
        "disposed",
        "info_requested",
        "responded",
        "resolved",
        "archived",
        "closed",
        "forwarded_national",
        "sla_breached",
        "officer",
    )
}
#: HUMAN_AGENT (7 days after the citizen's last message) covers an officer's own words;
#: status updates have no tag and fall back to SMS or e-mail.
DEFAULT_FACEBOOK_MESSAGE_TAGS: dict[str, str] = {
    "info_requested": "HUMAN_AGENT",
    "responded": "HUMAN_AGENT",
    "resolved": "HUMAN_AGENT",
}
#: What ``deploy/.env.example`` holds where an operator must fill in a value.
PLACEHOLDER = "CHANGE_ME"
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
    data_dir: str = DEFAULT_DATA_DIR
    #: Empty: ``http://<host>:<port>`` of this process (see ``_derive_public_base_url``).
    public_base_url: str = ""
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
    #: Per call; a create gets longer, as the public integrator allows it (90 s / 30 s).
    lapor_timeout_s: float = 30.0
    lapor_create_timeout_s: float = 90.0
    lapor_concurrency: int = 32  # calls in flight; the token bucket alone sets the pace
    lapor_sync_enabled: bool = True
    # What varies between national environments and integrators (contracts/lapor-api.md);
    # read by ``services.sync.lapor.profile.LaporProfile.from_settings``, nowhere else.
    #: The auth key's header: ``Authorization`` in one environment, ``auth`` in another.
    lapor_auth_header: str = "Authorization"
    #: The create path the national team assigned to this integrator.
    lapor_create_path: str = "/complaints/complaint"
    #: The instansi's admin user that posts replies (not the create's integration user).
    lapor_admin_user_id: int = DEMO_LAPOR_ADMIN_USER_ID
    lapor_reply_template_code: str = DEMO_LAPOR_REPLY_TEMPLATE_CODE
    #: Does the national ``GET /complaints?tags=`` exist and may its answer decide whether an
    #: uncertain create is sent again? Off: never; an operator confirms. Also discovery.
    lapor_search: bool = False
    lapor_channel_id: int = 13
    #: ``classification_id`` per Simpul kind (JSON object in the environment).
    lapor_classification_ids: dict[str, int] = Field(
        default_factory=lambda: {"pengaduan": 1, "aspirasi": 2, "permintaan_informasi": 3}
    )
    lapor_location_id: int | None = 34  # "Nasional"
    #: Where "forward-national" (bukan wewenang) sends a case: the national admins' instansi.
    lapor_forward_institution_id: int = 1
    #: Simpul category code -> national category id (JSON object), over the file's entries.
    lapor_category_map: dict[str, int] = Field(default_factory=dict)
    #: A CSV ``simpul_code,national_id`` (``simpul lapor categories`` writes one from the
    #: masters list); empty: the demo map shipped for the simulator.
    lapor_category_map_file: str = ""
    lapor_default_category_id: int = 999
    #: National status name -> Simpul status (JSON object), over the built-in table.
    lapor_status_names: dict[str, str] = Field(default_factory=dict)
    #: ``template_code`` values the national site uses for the reporter's own follow-ups.
    lapor_reporter_template_codes: list[str] = Field(default_factory=list)
    #: [model] the call that changes anonim/rahasia of a national case; empty: there is
    #: none, and the mirror asks operators to change it on the national site.
    lapor_privacy_path: str = "/complaints/{complaint_id}/privacy"
    # Polling (as integrators do: every 3 h after a good read, 60 min after an error,
    # sooner while a case is young) and the poller's share of the rate limit.
    lapor_poll_after_read_s: int = Field(default=3 * 3600, ge=0)
    lapor_poll_after_error_s: int = Field(default=3600, ge=0)
    lapor_poll_young_s: int = Field(default=900, ge=0)
    lapor_poll_young_for_s: int = Field(default=24 * 3600, ge=0)
    lapor_poll_concurrency: int = Field(default=16, ge=1)
    lapor_poll_share: float = Field(default=0.5, gt=0, lt=1)

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

    # -- the pemda, as citizens and officers see it ------------------------------------
    #: Shown on the citizen pages, in messages and on reports (a pemda's own service).
    pemda_name: str = DEMO_PEMDA_NAME
    #: A PNG, JPEG, WebP, GIF or SVG file; empty: the demo logo shipped with Simpul.
    pemda_logo: str = ""

    # -- e-mail (SMTP out; an inbound-mail webhook in) ---------------------------------
    smtp_host: str = ""  # empty: e-mail off (messages to e-mail addresses are dead-lettered)
    smtp_port: int = 587
    #: ``starttls`` (port 587), ``tls`` (implicit TLS, port 465) or ``none`` (a local relay).
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = "pengaduan@pemda.example.go.id"
    smtp_timeout_s: float = 15.0
    #: Verifies the inbound-mail webhook (Mailgun's signing key); empty: e-mail in is off.
    email_webhook_signing_key: SecretStr = SecretStr("")

    # -- messages that obey each provider's window ---------------------------------------
    #: Meta accepts free text only this long after the citizen's last message.
    whatsapp_free_text_window_h: float = 24.0
    #: Message type -> approved WhatsApp template ``{"name", "language"}`` (JSON in the env).
    whatsapp_templates: dict[str, WhatsAppTemplate] = Field(
        default_factory=lambda: dict(DEFAULT_WHATSAPP_TEMPLATES)
    )
    #: Message type -> Messenger message tag allowed outside the 24-hour window (JSON).
    facebook_message_tags: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_FACEBOOK_MESSAGE_TAGS)
    )

    # -- officers -------------------------------------------------------------------------
    #: The console page of a case, linked from officers' messages.
    console_case_path: str = "/konsol/kasus/{tracking_id}"
    #: Where Admin Instansi hears of returned cases, warnings and breaches when no personal
    #: account says otherwise (an e-mail address; empty: the ``log`` channel).
    admin_instansi_email: str = ""
    #: Local hour of the daily digest of what falls due in the next 3 working days.
    digest_hour: int = Field(default=7, ge=0, le=23)

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
    def _defaults_in_the_checkout(self) -> Settings:
        if PROJECT_ROOT is not None:
            if self.database_url == DEFAULT_DATABASE_URL:
                self.database_url = f"sqlite:///{PROJECT_ROOT / 'data' / 'simpul.db'}"
            if self.data_dir == DEFAULT_DATA_DIR:
                self.data_dir = str(PROJECT_ROOT / "data")
        return self

    @model_validator(mode="after")
    def _derive_public_base_url(self) -> Settings:
        """Unset, the public URL is where this process listens: ``SIMPUL_PORT`` alone moves
        status links, message links and the simulator's callback URL with it."""
        if not self.public_base_url.strip():
            self.public_base_url = f"http://{self.local_authority}"
        return self

    @model_validator(mode="after")
    def _refuse_weak_production_settings(self) -> Settings:
        if self.env == "production":
            problems = production_problems(self)
            if problems:
                raise ValueError(
                    "SIMPUL_ENV=production refuses these settings:\n"
                    + "\n".join(f"- {problem}" for problem in problems)
                )
        return self

    @field_validator("totp_required_roles")
    @classmethod
    def _known_roles(cls, value: str) -> str:
        parse_roles(value)
        return value

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
        return f"http://{self.local_authority}/lapor-sim"

    @property
    def local_authority(self) -> str:
        """``host:port`` where this process is reached from the same machine."""
        host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"{host}:{self.port}"

    def secret_values(self) -> list[str]:
        """Every configured secret's value (for the log filter to mask)."""
        return [
            value.get_secret_value()
            for name in type(self).model_fields
            if isinstance(value := getattr(self, name), SecretStr)
        ]

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


# -- production refusals -------------------------------------------------------------------


@dataclass(frozen=True)
class ProductionCheck:
    """One setting production must not run with.

    ``weak(settings)`` is true when the setting is unsafe; ``message`` says what to set (a
    string, or a function of the settings when it names several variables). It never shows a
    secret's value. ``waivable`` checks are the demo SP4N-LAPOR! ones that
    ``SIMPUL_ALLOW_DEMO_SECRETS=true`` lets a staging copy keep. Add a check by appending to
    ``PRODUCTION_CHECKS``; each is tested by ``tests/foundation/test_settings.py``.
    """

    weak: Callable[[Settings], bool]
    message: str | Callable[[Settings], str]
    waivable: bool = False

    def problem(self, settings: Settings) -> str | None:
        if (self.waivable and settings.allow_demo_secrets) or not self.weak(settings):
            return None
        return self.message if isinstance(self.message, str) else self.message(settings)


#: SP4N-LAPOR! settings that differ per environment and integrator
#: (``contracts/lapor-api.md``): production refuses to guess them from the simulator's.
LAPOR_REQUIRED_IN_PRODUCTION: dict[str, str] = {
    "lapor_auth_header": "the auth key's header name differs by environment "
    "(Authorization or auth)",
    "lapor_create_path": "the national team assigns each integrator its create path",
    "lapor_admin_user_id": "replies are posted by the instansi's admin user",
    "lapor_reply_template_code": "each integrator has its own reply template_code",
    "lapor_channel_id": "channel ids differ per environment",
    "lapor_classification_ids": "classification ids differ per environment",
    "lapor_forward_institution_id": "forward-national needs the national admins' instansi id",
}


def _secret(value: SecretStr) -> str:
    return value.get_secret_value()


def _placeholders(settings: Settings) -> list[str]:
    """The variables still holding ``CHANGE_ME`` (a copied ``.env.example`` not filled in)."""
    names = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        text = _secret(value) if isinstance(value, SecretStr) else value
        if isinstance(text, str) and PLACEHOLDER in text:
            names.append(f"SIMPUL_{name.upper()}")
    return names


PRODUCTION_CHECKS: list[ProductionCheck] = [
    ProductionCheck(
        weak=lambda s: bool(_placeholders(s)),
        message=lambda s: (
            f"replace {PLACEHOLDER} in {', '.join(_placeholders(s))} with the real value"
        ),
    ),
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
    ProductionCheck(
        weak=lambda s: not s.lapor_base_url,
        message="set SIMPUL_LAPOR_BASE_URL to the national SP4N-LAPOR! API base "
        "(empty mounts the demo simulator with public keys)",
        waivable=True,
    ),
    ProductionCheck(
        weak=lambda s: _secret(s.lapor_auth_key) == DEMO_LAPOR_AUTH_KEY,
        message="set SIMPUL_LAPOR_AUTH_KEY to the key the national API issued (it holds the demo value)",
        waivable=True,
    ),
    ProductionCheck(
        weak=lambda s: _secret(s.lapor_token) == DEMO_LAPOR_TOKEN,
        message="set SIMPUL_LAPOR_TOKEN to the token the national API issued (it holds the demo value)",
        waivable=True,
    ),
    ProductionCheck(
        weak=lambda s: s.lapor_institution_id == DEMO_LAPOR_INSTITUTION_ID,
        message="set SIMPUL_LAPOR_INSTITUTION_ID to this pemda's instansi id on LAPOR! "
        "(it holds the simulator's)",
        waivable=True,
    ),
    ProductionCheck(
        weak=lambda s: s.lapor_user_id == DEMO_LAPOR_USER_ID,
        message="set SIMPUL_LAPOR_USER_ID to this pemda's integration user on LAPOR! "
        "(it holds the simulator's)",
        waivable=True,
    ),
    ProductionCheck(
        weak=lambda s: _secret(s.lapor_webhook_secret) == DEMO_LAPOR_WEBHOOK_SECRET,
        message="set SIMPUL_LAPOR_WEBHOOK_SECRET to the secret LAPOR! signs its callbacks with "
        "(it holds the demo value)",
        waivable=True,
    ),
    ProductionCheck(
        weak=lambda s: not _secret(s.lapor_webhook_secret).strip(),
        message="set SIMPUL_LAPOR_WEBHOOK_SECRET: empty, national callbacks cannot be verified",
    ),
    ProductionCheck(
        weak=lambda s: bool(ADMIN_ROLES - s.totp_required_role_set),
        message=lambda s: (
            "set SIMPUL_TOTP_REQUIRED_ROLES="
            + ",".join(sorted(str(r) for r in s.totp_required_role_set | ADMIN_ROLES))
            + ": production requires two-factor for the admin roles"
        ),
    ),
    *(
        ProductionCheck(
            weak=lambda s, field=field: field not in s.model_fields_set,
            message=f"set SIMPUL_{field.upper()}: {why} (docs/lapor.md says what to ask for)",
            waivable=True,
        )
        for field, why in LAPOR_REQUIRED_IN_PRODUCTION.items()
    ),
    ProductionCheck(
        weak=lambda s: (
            bool(s.lapor_category_map_file) and not Path(s.lapor_category_map_file).is_file()
        ),
        message=lambda s: (
            f"SIMPUL_LAPOR_CATEGORY_MAP_FILE names no readable file ({s.lapor_category_map_file!r})"
        ),
    ),
    ProductionCheck(
        weak=lambda s: not (s.lapor_category_map_file or s.lapor_category_map),
        message="set SIMPUL_LAPOR_CATEGORY_MAP_FILE (or SIMPUL_LAPOR_CATEGORY_MAP): this "
        "environment's national category ids (`simpul lapor categories` proposes a map)",
        waivable=True,
    ),
]


def production_problems(settings: Settings) -> list[str]:
    """What production refuses in ``settings``, one message per failed check (empty: fine)."""
    return [p for check in PRODUCTION_CHECKS if (p := check.problem(settings)) is not None]


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once. Tests call ``get_settings.cache_clear()``."""
    return Settings()
