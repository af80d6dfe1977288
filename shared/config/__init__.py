"""One settings object for every service (pydantic-settings, prefix ``SIMPUL_``, also ``.env``).

``Settings`` is composed of one model per area, each in its own module with its defaults and
its production refusals: ``runtime`` (the process, database, logs, calendar), ``lapor``
(SP4N-LAPOR!), ``channels`` (the citizen channels and their windows), ``reach`` (the pemda's
name, e-mail, officers' notifications) and ``security`` (staff accounts, sessions, limits).
Every field is still ``settings.<name>`` and ``SIMPUL_<NAME>``; add a setting to its area.

Secrets are ``SecretStr`` so they never print in logs, errors or ``/metrics``. With
``SIMPUL_ENV=production`` the settings are held against ``PRODUCTION_CHECKS`` (every area's
list joined): every weak setting found is named at once, each with what to set, and the
process does not start.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.config.channels import (
    DEFAULT_FACEBOOK_MESSAGE_TAGS,
    DEFAULT_WHATSAPP_TEMPLATES,
    ChannelSettings,
    WhatsAppTemplate,
)
from shared.config.lapor import (
    DEMO_LAPOR_ADMIN_USER_ID,
    DEMO_LAPOR_AUTH_KEY,
    DEMO_LAPOR_INSTITUTION_ID,
    DEMO_LAPOR_REPLY_TEMPLATE_CODE,
    DEMO_LAPOR_TOKEN,
    DEMO_LAPOR_USER_ID,
    DEMO_LAPOR_WEBHOOK_SECRET,
    LAPOR_CHECKS,
    LAPOR_REQUIRED_IN_PRODUCTION,
    LAPOR_SIM_PORT,
    LaporSettings,
)
from shared.config.production import PLACEHOLDER, PLACEHOLDER_CHECKS, ProductionCheck
from shared.config.reach import DEMO_PEMDA_NAME, ReachSettings
from shared.config.runtime import (
    DEFAULT_DATA_DIR,
    DEFAULT_DATABASE_URL,
    DEFAULT_PORT,
    LOOPBACK_HOSTS,
    PROJECT_ROOT,
    RUNTIME_CHECKS,
    SERVICE_PORTS,
    RuntimeSettings,
)
from shared.config.security import SECURITY_CHECKS, SecuritySettings

__all__ = [
    "DEFAULT_DATABASE_URL",
    "DEFAULT_DATA_DIR",
    "DEFAULT_FACEBOOK_MESSAGE_TAGS",
    "DEFAULT_PORT",
    "DEFAULT_WHATSAPP_TEMPLATES",
    "DEMO_LAPOR_ADMIN_USER_ID",
    "DEMO_LAPOR_AUTH_KEY",
    "DEMO_LAPOR_INSTITUTION_ID",
    "DEMO_LAPOR_REPLY_TEMPLATE_CODE",
    "DEMO_LAPOR_TOKEN",
    "DEMO_LAPOR_USER_ID",
    "DEMO_LAPOR_WEBHOOK_SECRET",
    "DEMO_PEMDA_NAME",
    "LAPOR_REQUIRED_IN_PRODUCTION",
    "LAPOR_SIM_PORT",
    "LOOPBACK_HOSTS",
    "PLACEHOLDER",
    "PRODUCTION_CHECKS",
    "PROJECT_ROOT",
    "SERVICE_PORTS",
    "ProductionCheck",
    "Settings",
    "WhatsAppTemplate",
    "get_settings",
    "production_problems",
]


class Settings(
    SecuritySettings, ReachSettings, ChannelSettings, LaporSettings, RuntimeSettings, BaseSettings
):
    """Every knob of a deployment. Field names map to ``SIMPUL_<NAME>`` variables.

    The areas are listed last-first: pydantic orders fields from the last base, so the
    fields (and ``model_dump``) read runtime, lapor, channels, reach, security.
    """

    model_config = SettingsConfigDict(
        env_prefix="SIMPUL_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    @model_validator(mode="after")
    def _defaults_in_the_checkout(self) -> Settings:
        self._place_defaults_in_the_checkout()
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

    # -- derived from more than one area ---------------------------------------------------
    @property
    def effective_lapor_base_url(self) -> str:
        """The LAPOR! API base; with none set, the simulator mounted in this very process,
        reached at the address it listens on (not the public URL, which may be a proxy)."""
        if self.lapor_base_url:
            return self.lapor_base_url
        return f"http://{self.local_authority}/lapor-sim"

    def pool_size_for(self, services: Iterable[str], *, workers: bool) -> int:
        """Connections a process keeps open: ``db_pool_size``, or one per LAPOR! call in
        flight where the process runs the mirror. Each of its handlers needs a connection
        at about the same moment, and a smaller pool opened and dropped its overflow
        connections every round (192 connects in a 44 s benchmark)."""
        if workers and "sync" in services:
            return max(self.db_pool_size, self.lapor_concurrency)
        return self.db_pool_size


#: Every area's refusals; ``production_problems`` reads this name at call time, so a test
#: (or a deployment's own module) may extend it.
PRODUCTION_CHECKS: list[ProductionCheck] = [
    *PLACEHOLDER_CHECKS,
    *RUNTIME_CHECKS,
    *LAPOR_CHECKS,
    *SECURITY_CHECKS,
]


def production_problems(settings: Settings) -> list[str]:
    """What production refuses in ``settings``, one message per failed check (empty: fine)."""
    return [p for check in PRODUCTION_CHECKS if (p := check.problem(settings)) is not None]


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once. Tests call ``get_settings.cache_clear()``."""
    return Settings()
