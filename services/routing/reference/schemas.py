"""Reference data bodies (create: every required field; update: any subset, plus ``version``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.codes import Code, OptionalCode


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OpdIn(Body):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(default="dinas", min_length=1, max_length=40)
    parent_code: OptionalCode = None
    penanggung_jawab: str | None = Field(default=None, max_length=200)
    contact: str | None = Field(default=None, max_length=200)
    active: bool = True


class OpdPatch(Body):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: str | None = Field(default=None, min_length=1, max_length=40)
    parent_code: OptionalCode = None
    penanggung_jawab: str | None = Field(default=None, max_length=200)
    contact: str | None = Field(default=None, max_length=200)
    active: bool | None = None
    version: int | None = None


class CategoryIn(Body):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    default_opd_code: OptionalCode = None
    default_kind: str = "pengaduan"
    default_sla_class: str = "non_lapangan"
    keywords: list[str] | str = ""
    auto_dispose: bool = False
    active: bool = True


class CategoryPatch(Body):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    default_opd_code: OptionalCode = None
    default_kind: str | None = None
    default_sla_class: str | None = None
    keywords: list[str] | str | None = None
    auto_dispose: bool | None = None
    active: bool | None = None
    version: int | None = None


class KecamatanIn(Body):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    active: bool = True


class KecamatanPatch(Body):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    active: bool | None = None
    version: int | None = None


class DesaIn(Body):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)


class DesaPatch(Body):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    active: bool | None = None
