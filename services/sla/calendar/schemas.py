"""Request and response models of the calendar endpoints."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field


class DueOut(BaseModel):
    start: dt.datetime = Field(
        description="The start as interpreted (naive input is read in the pemda's timezone)"
    )
    working_days: int
    due_at: dt.datetime = Field(
        description="The deadline, UTC: 23:59:59 local of the Nth working day after start"
    )
    due_at_local: dt.datetime = Field(description="The same moment in the pemda's timezone")
    timezone: str
    calendar_confirmed: bool = Field(
        description="False if a year involved has no official cuti bersama list yet"
    )
    unconfirmed_years: list[int]


class HolidayOut(BaseModel):
    date: dt.date
    name: str
    source: Literal["national", "cuti_bersama", "regional", "local_override"]


class HolidaysOut(BaseModel):
    year: int
    timezone: str
    region: str
    confirmed: bool
    days: list[HolidayOut]


class OverrideIn(BaseModel):
    date: dt.date
    kind: Literal["add", "remove"] = Field(description="add: a day off; remove: a working day")
    reason: str = Field(
        min_length=1, max_length=500, description="e.g. the Perbup or Surat Edaran deciding it"
    )


class OverrideOut(BaseModel):
    id: int
    date: dt.date
    kind: str
    reason: str
    created_by: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None
    revoked_by: str | None = None
    revoke_reason: str | None = None

    model_config = {"from_attributes": True}


class OverridesOut(BaseModel):
    items: list[OverrideOut]


class YearStatus(BaseModel):
    year: int
    confirmed: bool


class CalendarStatusOut(BaseModel):
    timezone: str
    region: str
    years: list[YearStatus]
    unconfirmed_years: list[int]
    calendar_unconfirmed: bool
    active_overrides: int
