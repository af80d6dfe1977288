"""What differs between national environments and integrators, as one value.

The public integrations show that the auth header's name, the create path, the admin user
that replies, the reply template, the channel / classification / location / category ids,
the status names and whether search exists all vary (``contracts/lapor-api.md``: "every
such point is a setting, not a constant"). :class:`LaporProfile` carries them from
``shared.config`` (``SIMPUL_LAPOR_*``) to the client and the mapping; nothing else in the
adapter holds an id::

    profile = LaporProfile.from_settings(get_settings())
    profile.category_id_for("JALAN")          # 141 with the demo map
    profile.simpul_status_for_name("Selesai")  # "resolved"
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from shared.config import (
    DEMO_LAPOR_ADMIN_USER_ID,
    DEMO_LAPOR_INSTITUTION_ID,
    DEMO_LAPOR_REPLY_TEMPLATE_CODE,
    DEMO_LAPOR_USER_ID,
)

#: The map for the simulator's masters list, used when no map is configured (demo, tests).
DEMO_CATEGORY_MAP_FILE = (
    Path(__file__).resolve().parents[3] / "shared/demo_data/lapor_categories.csv"
)

#: National status names [seen] -> Simpul status. ``SIMPUL_LAPOR_STATUS_NAMES`` adds to
#: and overrides it. Names are compared normalised (:func:`normalise_name`).
STATUS_NAMES: dict[str, str] = {
    "Belum Terverifikasi": "received",
    "Terverifikasi": "verified",
    "Dalam Proses": "in_progress",
    "Ditindaklanjuti": "in_progress",
    "Selesai": "resolved",
    "Diarsipkan": "archived",
    "Ditolak": "archived",
    "Dipending": "awaiting_info",
    "Tunda": "awaiting_info",
    "Dihapus karena tidak lengkap": "archived",
}

DEFAULT_CLASSIFICATION_IDS = {"pengaduan": 1, "aspirasi": 2, "permintaan_informasi": 3}


def normalise_name(name: Any) -> str:
    """``"  dalam   PROSES "`` -> ``"dalam proses"``: how status names are compared."""
    return " ".join(str(name or "").replace("_", " ").casefold().split())


def load_category_map(path: str | Path) -> dict[str, int]:
    """A CSV with ``simpul_code`` and ``national_id`` columns -> ``{code: id}``."""
    mapping: dict[str, int] = {}
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            code = (row.get("simpul_code") or "").strip().upper()
            national = (row.get("national_id") or "").strip()
            if code and national:
                mapping[code] = int(national)
    return mapping


@cache
def _demo_category_map() -> dict[str, int]:
    return load_category_map(DEMO_CATEGORY_MAP_FILE)


@dataclass(frozen=True)
class LaporProfile:
    """Every value that varies per national environment; defaults are the simulator's."""

    auth_header: str = "Authorization"
    create_path: str = "/complaints/complaint"
    institution_id: int = DEMO_LAPOR_INSTITUTION_ID
    user_id: int = DEMO_LAPOR_USER_ID
    admin_user_id: int = DEMO_LAPOR_ADMIN_USER_ID
    reply_template_code: str = DEMO_LAPOR_REPLY_TEMPLATE_CODE
    channel_id: int = 13
    classification_ids: Mapping[str, int] = field(
        default_factory=lambda: dict(DEFAULT_CLASSIFICATION_IDS)
    )
    location_id: int | None = 34
    forward_institution_id: int = 1
    category_ids: Mapping[str, int] = field(default_factory=_demo_category_map)
    default_category_id: int = 999
    #: Normalised national status name -> Simpul status.
    status_names: Mapping[str, str] = field(
        default_factory=lambda: {normalise_name(k): v for k, v in STATUS_NAMES.items()}
    )
    #: Normalised ``template_code`` values of the reporter's own follow-ups.
    reporter_template_codes: frozenset[str] = frozenset()
    search: bool = False

    @classmethod
    def from_settings(cls, settings: Any = None) -> LaporProfile:
        if settings is None:
            from shared.config import get_settings

            settings = get_settings()
        categories = (
            load_category_map(settings.lapor_category_map_file)
            if settings.lapor_category_map_file
            else dict(_demo_category_map())
        )
        categories.update(
            {k.strip().upper(): int(v) for k, v in settings.lapor_category_map.items()}
        )
        statuses = {normalise_name(k): v for k, v in STATUS_NAMES.items()}
        statuses.update({normalise_name(k): v for k, v in settings.lapor_status_names.items()})
        return cls(
            auth_header=settings.lapor_auth_header,
            create_path="/" + settings.lapor_create_path.lstrip("/"),
            institution_id=int(settings.lapor_institution_id),
            user_id=int(settings.lapor_user_id),
            admin_user_id=int(settings.lapor_admin_user_id),
            reply_template_code=settings.lapor_reply_template_code,
            channel_id=int(settings.lapor_channel_id),
            classification_ids=dict(settings.lapor_classification_ids),
            location_id=settings.lapor_location_id,
            forward_institution_id=int(settings.lapor_forward_institution_id),
            category_ids=categories,
            default_category_id=int(settings.lapor_default_category_id),
            status_names=statuses,
            reporter_template_codes=frozenset(
                normalise_name(code) for code in settings.lapor_reporter_template_codes
            ),
            search=bool(settings.lapor_search),
        )

    def with_(self, **changes: Any) -> LaporProfile:
        """A copy with some values changed (tests, one-off clients)."""
        return replace(self, **changes)

    # -- the lookups -----------------------------------------------------------------
    def category_id_for(self, category_code: str | None) -> int:
        if not category_code:
            return self.default_category_id
        return self.category_ids.get(category_code.strip().upper(), self.default_category_id)

    def category_code_for(self, category_id: int | None) -> str | None:
        """The Simpul category of a national id (the first code mapped to it), or None."""
        if category_id is None or category_id == self.default_category_id:
            return None
        for code, national_id in self.category_ids.items():
            if national_id == category_id:
                return code
        return None

    def classification_id_for(self, kind: str) -> int:
        try:
            return int(self.classification_ids[kind])
        except KeyError:
            raise ValueError(f"no classification id for kind {kind!r}") from None

    def kind_for_classification(self, classification_id: int | None) -> str:
        for kind, value in self.classification_ids.items():
            if value == classification_id:
                return kind
        return "pengaduan"

    def simpul_status_for_name(self, status_name: str | None) -> str | None:
        """The Simpul status a national status name means; None when the table lacks it."""
        return self.status_names.get(normalise_name(status_name))

    def is_reporter_template(self, template_code: str | None) -> bool:
        """Is this the national site's template for a reporter's own follow-up?"""
        return bool(template_code) and normalise_name(template_code) in self.reporter_template_codes


DEFAULT_PROFILE = LaporProfile()
