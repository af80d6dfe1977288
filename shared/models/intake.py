"""Tables of intake (idempotency keys, provider deliveries, quarantine)."""

from __future__ import annotations

from shared.models.base import Base  # noqa: F401
