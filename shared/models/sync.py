"""Tables of the LAPOR! mirror (mirror state, intents, callbacks)."""

from __future__ import annotations

from shared.models.base import Base  # noqa: F401
