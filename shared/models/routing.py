"""Tables of routing (routing rules, ops users)."""

from __future__ import annotations

from shared.models.base import Base  # noqa: F401
