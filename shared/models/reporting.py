"""Tables of reporting (targets, published evaluations)."""

from __future__ import annotations

from shared.models.base import Base  # noqa: F401
