"""Routing rule and dry-run bodies."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.codes import Code, OptionalCode

ConditionValue = str | list[str]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RuleIn(Body):
    name: str = Field(min_length=1, max_length=200)
    conditions: dict[str, ConditionValue]
    target_opd: Code
    auto_dispose: bool = False
    active: bool = True
    #: 1-based place in the order; default: last.
    position: int | None = Field(default=None, ge=1)


class RulePatch(Body):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    conditions: dict[str, ConditionValue] | None = None
    target_opd: Code | None = None
    auto_dispose: bool | None = None
    active: bool | None = None
    #: The version the change was based on (409 ``version_mismatch`` if someone changed it since).
    version: int | None = None


class ReorderIn(Body):
    #: Every rule id, in the new order.
    ids: list[int] = Field(min_length=1, max_length=1000)


class DryRunIn(Body):
    description: str = Field(min_length=1, max_length=20000)
    title: str | None = Field(default=None, max_length=200)
    category: OptionalCode = None
    kecamatan: OptionalCode = None
    desa: str | None = Field(default=None, max_length=120)
    channel: str | None = Field(default=None, max_length=24)
    kind: str | None = Field(default=None, max_length=24)
