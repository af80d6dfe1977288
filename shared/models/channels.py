"""Tables of channel deliveries (provider message ids, quarantine)."""

from __future__ import annotations

from shared.models.base import Base  # noqa: F401
