"""Bodies of the reply-template admin API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=120)
    body: str = Field(min_length=1, max_length=5000)
    #: The actions whose text it may start; empty: every action that takes text.
    actions: list[str] = Field(default_factory=list, max_length=20)


class TemplatePatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str | None = Field(default=None, min_length=1, max_length=120)
    body: str | None = Field(default=None, min_length=1, max_length=5000)
    actions: list[str] | None = Field(default=None, max_length=20)
    active: bool | None = None
    #: The version the change was decided on (409 when the template moved since).
    version: int | None = None
