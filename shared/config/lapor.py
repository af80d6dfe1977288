"""SP4N-LAPOR!: the national API's address and keys, what differs per environment and
integrator (``contracts/lapor-api.md``), the polling schedule, and what production refuses.

Read by ``services.sync.lapor.profile.LaporProfile.from_settings`` and the sync service;
nothing else in the tree interprets these fields.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr

from shared.config.production import ProductionCheck, secret

DEMO_LAPOR_AUTH_KEY = "demo-auth-key"
DEMO_LAPOR_TOKEN = "demo-token"
DEMO_LAPOR_INSTITUTION_ID = 9001
DEMO_LAPOR_USER_ID = 9001
DEMO_LAPOR_WEBHOOK_SECRET = "demo-lapor-webhook-secret"
DEMO_LAPOR_ADMIN_USER_ID = 9101
DEMO_LAPOR_REPLY_TEMPLATE_CODE = "reply_simpul"
LAPOR_SIM_PORT = 8009


class LaporSettings(BaseModel):
    """``SIMPUL_LAPOR_*``."""

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
    # What varies between national environments and integrators (contracts/lapor-api.md).
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
    #: Has the national team confirmed that LAPOR! calls back ``/webhooks/lapor``? None:
    #: yes with the embedded simulator (it calls back), no with a real base URL. It says
    #: how forward-ins can arrive (``services/sync/inbound/coverage.py``); a callback that
    #: does come is acted on either way.
    lapor_callbacks: bool | None = None
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

    @property
    def embedded_simulator(self) -> bool:
        """True when no LAPOR! base URL is set: the simulator is mounted at ``/lapor-sim``."""
        return not self.lapor_base_url

    @property
    def lapor_callbacks_expected(self) -> bool:
        """``SIMPUL_LAPOR_CALLBACKS``, or where unset: only the embedded simulator calls back."""
        return self.embedded_simulator if self.lapor_callbacks is None else self.lapor_callbacks


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

LAPOR_CHECKS: list[ProductionCheck] = [
    ProductionCheck(
        weak=lambda s: not s.lapor_base_url,
        message="set SIMPUL_LAPOR_BASE_URL to the national SP4N-LAPOR! API base "
        "(empty mounts the demo simulator with public keys)",
        waivable=True,
    ),
    ProductionCheck(
        weak=lambda s: secret(s.lapor_auth_key) == DEMO_LAPOR_AUTH_KEY,
        message="set SIMPUL_LAPOR_AUTH_KEY to the key the national API issued (it holds the demo value)",
        waivable=True,
    ),
    ProductionCheck(
        weak=lambda s: secret(s.lapor_token) == DEMO_LAPOR_TOKEN,
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
        weak=lambda s: secret(s.lapor_webhook_secret) == DEMO_LAPOR_WEBHOOK_SECRET,
        message="set SIMPUL_LAPOR_WEBHOOK_SECRET to the secret LAPOR! signs its callbacks with "
        "(it holds the demo value)",
        waivable=True,
    ),
    ProductionCheck(
        weak=lambda s: not secret(s.lapor_webhook_secret).strip(),
        message="set SIMPUL_LAPOR_WEBHOOK_SECRET: empty, national callbacks cannot be verified",
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
