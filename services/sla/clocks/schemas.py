"""Response models of the SLA ops endpoints."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel


class ClockOut(BaseModel):
    id: int
    tracking_id: str
    kind: str
    generation: int
    state: str
    opd_code: str | None
    sla_class: str | None
    working_days: int
    used_working_days: int
    started_at: dt.datetime
    paused_at: dt.datetime | None
    deadline_at: dt.datetime
    warning_at: dt.datetime | None
    warned_at: dt.datetime | None
    breached_at: dt.datetime | None
    stopped_at: dt.datetime | None


class OpdCount(BaseModel):
    opd_code: str | None
    count: int


class ClockListOut(BaseModel):
    items: list[ClockOut]
    total: int
    by_opd: list[OpdCount]
    truncated: bool
