"""Request bodies of the mirror's admin endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator


class PauseIn(BaseModel):
    reason: str | None = Field(default=None, max_length=500)


class ResyncIn(BaseModel):
    reason: str | None = Field(default=None, max_length=500)


class ConfirmIn(BaseModel):
    """An operator's answer to "perlu konfirmasi": ``created`` (with the national id they
    found) or ``not_created`` (send the create again)."""

    outcome: Literal["created", "not_created"]
    lapor_complaint_id: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _id_with_created(self) -> ConfirmIn:
        if self.outcome == "created" and self.lapor_complaint_id is None:
            raise ValueError("lapor_complaint_id is required when outcome is created")
        if self.outcome == "not_created" and self.lapor_complaint_id is not None:
            raise ValueError("lapor_complaint_id is only for outcome created")
        return self
