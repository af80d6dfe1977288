"""Request and response bodies of the reports API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TargetIn(BaseModel):
    """A year's targets of the local action plan (e.g. Tabanan 2024: 46 received, 100% resolved)."""

    model_config = ConfigDict(extra="forbid")

    received: int | None = Field(
        default=None, ge=0, le=10_000_000, description="cases expected to be received"
    )
    resolved_pct: float | None = Field(
        default=None, ge=0, le=100, description="percentage of received cases resolved"
    )
    note: str | None = Field(default=None, max_length=1000)


class TargetOut(BaseModel):
    year: int
    received: int | None
    resolved_pct: float | None
    note: str | None


class Actual(BaseModel):
    received: int
    resolved: int
    resolved_pct: float | None
    as_of: str = Field(description="the last day counted (local date)")


class TargetProgress(BaseModel):
    year: int
    target: TargetOut | None
    actual: Actual
    #: actual received as a percentage of the target number (None without a target).
    received_pct_of_target: float | None
    #: actual % resolved minus the target % (positive: ahead of the target).
    resolved_pct_gap: float | None
