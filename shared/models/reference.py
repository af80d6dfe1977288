"""Reference data: OPDs, categories, kecamatan and desa (versioned; changes are audited as events)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, utcnow


class Opd(Base):
    """An agency unit (perangkat daerah), its pejabat penghubung answers the cases forwarded to it."""

    __tablename__ = "opds"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="dinas")
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("opds.code"), default=None)
    #: Who hears of breaches besides the pejabat penghubung (Permen 62/2018 escalation).
    penanggung_jawab: Mapped[str | None] = mapped_column(String(200), default=None)
    contact: Mapped[str | None] = mapped_column(String(200), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Category(Base):
    """A complaint category: routes to a default OPD and sets the default kind and SLA class."""

    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    default_opd_code: Mapped[str | None] = mapped_column(ForeignKey("opds.code"), default=None)
    default_kind: Mapped[str] = mapped_column(String(24), default="pengaduan")
    default_sla_class: Mapped[str] = mapped_column(String(24), default="non_lapangan")
    #: Semicolon-separated keywords (Indonesian), used by routing suggestions.
    keywords: Mapped[str] = mapped_column(Text, default="")
    #: Forward automatically to the default OPD after intake (optional per-category policy).
    auto_dispose: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def keyword_list(self) -> list[str]:
        return [k.strip() for k in self.keywords.split(";") if k.strip()]


class Kecamatan(Base):
    __tablename__ = "kecamatan"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Desa(Base):
    __tablename__ = "desa"
    __table_args__ = (UniqueConstraint("kecamatan_code", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kecamatan_code: Mapped[str] = mapped_column(ForeignKey("kecamatan.code"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
