"""Request and response models of the staff accounts API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Channel = Literal["email", "whatsapp", "sms", "telegram"]


class Contact(BaseModel):
    """Where officer notifications reach the person (sent by the notify service)."""

    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(
        default=None, max_length=32, description="for WhatsApp / SMS; stored as E.164"
    )
    telegram_chat_id: str | None = Field(default=None, max_length=40)
    notify_channel: Channel | None = Field(default=None, description="the preferred channel")
    penanggung_jawab_opd: str | None = Field(
        default=None, max_length=40, description="the OPD whose breaches this person hears of"
    )


class UserCreate(Contact):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=64)
    full_name: str = Field(min_length=1, max_length=200)
    role: str = Field(description="admin_instansi | opd | apip | viewer | operator")
    opd: str | None = Field(default=None, max_length=40, description="required for role opd")
    nip: str | None = Field(default=None, max_length=32)
    position: str | None = Field(
        default=None, max_length=200, description="e.g. Admin UPP Puskesmas"
    )


class UserUpdate(Contact):
    """Only the fields sent change; ``null`` clears an optional one. A change of role or
    OPD ends the account's sessions and tokens."""

    model_config = ConfigDict(extra="forbid")

    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    role: str | None = None
    opd: str | None = Field(default=None, max_length=40)
    nip: str | None = Field(default=None, max_length=32)
    position: str | None = Field(default=None, max_length=200)


class SessionOut(BaseModel):
    id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    address: str | None
    user_agent: str | None


class UserOut(BaseModel):
    id: int
    username: str
    full_name: str
    role: str
    opd: str | None
    nip: str | None
    position: str | None
    email: str | None
    phone: str | None
    telegram_chat_id: str | None
    notify_channel: str | None
    penanggung_jawab_opd: str | None
    active: bool
    two_factor: bool
    password_temporary: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime
    deactivated_at: datetime | None
    active_sessions: int


class UserDetail(UserOut):
    sessions: list[SessionOut]


class UserWithPassword(UserOut):
    temporary_password: str = Field(
        description="shown once: hand it over; the first login must change it"
    )


class SecurityEventOut(BaseModel):
    id: int
    at: datetime
    type: str
    user_id: int | None
    username: str | None
    actor_id: str | None
    actor_name: str | None
    address: str | None
    detail: dict


class TokenOut(BaseModel):
    id: int
    name: str
    role: str
    opd: str | None
    owner: str | None = Field(description="the account's username; null for an integration's token")
    active: bool
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
