"""Request bodies of the simulator's ``/_sim/`` actions."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ForwardIn(BaseModel):
    title: str = Field(min_length=1)
    content: str = Field(min_length=1)
    category_id: int = 999
    reporter: dict[str, Any] | str | None = None
    classification_id: int = 1
    is_anonymous: bool = False
    is_secret: bool = False
    tags_raw: str = ""


class StatusIn(BaseModel):
    """A status by ``status_code`` or by ``status_name``; ``note`` goes to ``status_logs``."""

    status_code: int | None = None
    status_name: str | None = None
    note: str = ""


class FileIn(BaseModel):
    file_name: str = Field(min_length=1)
    path: str | None = None


class ReporterFollowupIn(BaseModel):
    """A follow-up written on the national side without an institution (the reporter's,
    or — with a ``template_code`` — one whose author the API does not say)."""

    content: str = Field(min_length=1)
    attachments: list[FileIn] = Field(default_factory=list)
    template_code: str | None = None


class RatingIn(BaseModel):
    score: int = Field(ge=1, le=5)
    comment: str = ""
