"""Tables of routing: the ordered routing rules that suggest (or auto-forward to) an OPD.

A rule's ``conditions`` is a JSON object of any-of lists, all of which must hold:
``category``, ``kecamatan``, ``desa``, ``channel``, ``kind`` (codes or names) and
``keywords`` (Indonesian words or phrases, matched as whole words, case- and
accent-insensitive). The first active rule that matches wins (lowest ``position``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, JSONDoc, utcnow


class RoutingRule(Base):
    __tablename__ = "routing_rules"
    __table_args__ = (Index("ix_routing_rules_active_position", "active", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    target_opd_code: Mapped[str] = mapped_column(ForeignKey("opds.code"))
    #: Verify and forward without waiting for Admin Instansi (like ``Category.auto_dispose``).
    auto_dispose: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReplyTemplate(Base):
    """A canned response Admin Instansi keeps for officers (``services/routing/replies``):
    a title, a body with ``{placeholders}`` filled from the case, and the actions whose text
    it may start (``respond``, ``request-info``...). Deactivated, never deleted."""

    __tablename__ = "reply_templates"
    __table_args__ = (Index("ix_reply_templates_active_title", "active", "title"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(120), unique=True)
    body: Mapped[str] = mapped_column(Text)
    #: Space-separated actions the template is offered for; empty: every action with text.
    actions: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
