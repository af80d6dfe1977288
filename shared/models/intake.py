"""Tables of intake: idempotency keys of the REST push API.

An idempotency key is written in the SAME transaction as the case it created, so a crash
can never leave a case without its key (a retry would then make a second case) or a key
without its case (a retry would then answer a case that does not exist).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, BigId, JSONDoc, utcnow


class IdempotencyKey(Base):
    """The first answer to a ``POST /api/v1/complaints`` carrying an ``Idempotency-Key``."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("client_app_id", "key", name="uq_idempotency_keys_client_app_key"),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    client_app_id: Mapped[int] = mapped_column(ForeignKey("client_apps.id"))
    key: Mapped[str] = mapped_column(String(200))
    #: SHA-256 of the request body in canonical JSON: the same key with another body is a 409.
    body_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    case_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("cases.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
