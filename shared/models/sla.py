"""Tables of SLA (clocks, holiday overrides)."""

from __future__ import annotations

from shared.models.base import Base  # noqa: F401
