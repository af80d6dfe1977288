"""Request bodies of the mirror's admin endpoints."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PauseIn(BaseModel):
    reason: str | None = Field(default=None, max_length=500)


class ResyncIn(BaseModel):
    reason: str | None = Field(default=None, max_length=500)
