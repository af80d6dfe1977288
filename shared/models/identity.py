"""The tables of identity: staff accounts, their sessions, second factors, API credentials,
failed logins and the security audit trail.

Secrets are never stored in clear: passwords as Argon2id hashes (``passwords``), session
ids, API tokens, API keys and recovery codes as SHA-256 hashes of 32-byte random values
(with that much entropy a fast hash is safe and a lookup is one indexed equality).

An account is never deleted (``active`` false instead): events and the audit trail keep
its id and name. Every row is for the one pemda of this installation; a future ``pemda``
column would scope usernames and management (``users.manageable``), nothing here assumes
otherwise.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, BigId, JSONDoc, utcnow


class StaffUser(Base):
    """A person who works in Simpul: Admin Instansi, an OPD's pejabat penghubung or Admin
    UPP (role ``opd``), APIP, leadership (``viewer``) or the Diskominfo ``operator``."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: Lower-case login name, unique.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    nip: Mapped[str | None] = mapped_column(String(32), default=None)
    role: Mapped[str] = mapped_column(String(24))
    opd_code: Mapped[str | None] = mapped_column(ForeignKey("opds.code"), default=None)
    #: Job title as the pemda writes it (e.g. "Admin UPP Puskesmas Pelaihari"); display only.
    position: Mapped[str | None] = mapped_column(String(200), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Seeded by ``simpul seed-demo`` with a published password: refused in production.
    demo: Mapped[bool] = mapped_column(Boolean, default=False)

    # -- where officer notifications reach this person (sent by the notify service) --
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    #: E.164 phone for WhatsApp / SMS.
    phone: Mapped[str | None] = mapped_column(String(20), default=None)
    telegram_chat_id: Mapped[str | None] = mapped_column(String(40), default=None)
    #: ``email`` | ``whatsapp`` | ``sms`` | ``telegram``, or None (no preference).
    notify_channel: Mapped[str | None] = mapped_column(String(16), default=None)
    #: The OPD this person is penanggung jawab of (its head, Permen 62/2018): they hear of
    #: its breaches. Any role (a Kepala Dinas may hold a ``viewer`` account).
    penanggung_jawab_opd: Mapped[str | None] = mapped_column(ForeignKey("opds.code"), default=None)

    # -- password ---------------------------------------------------------------------
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    #: Set by ``user create`` / a reset: the next login must choose a new password.
    password_temporary: Mapped[bool] = mapped_column(Boolean, default=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(default=None)

    # -- second factor (TOTP, RFC 6238) -----------------------------------------------
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(default=None)
    #: The last time step a code was accepted for: a code is good once (no replay).
    totp_last_step: Mapped[int | None] = mapped_column(BigId, default=None)
    #: A secret being enrolled, confirmed by a first valid code before it counts.
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64), default=None)

    # -- lock-out ---------------------------------------------------------------------
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)

    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def totp_enabled(self) -> bool:
        return self.totp_secret is not None and self.totp_enabled_at is not None


class StaffSession(Base):
    """A server-side login session. The cookie holds a random id; this row its hash.

    ``stage`` is what the session may do: ``full`` (logged in), or a step of logging in —
    ``totp`` (password checked, code expected), ``password`` (a temporary password must be
    changed), ``enrol`` (two-factor is required and not set up yet).
    """

    __tablename__ = "staff_sessions"
    __table_args__ = (Index("ix_staff_sessions_user_id", "user_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    stage: Mapped[str] = mapped_column(String(12), default="full")
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The absolute end; the idle end is ``last_seen_at`` + the idle timeout.
    expires_at: Mapped[datetime] = mapped_column()
    address: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    #: ``logout``, ``logout_everywhere``, ``deactivated``, ``password_reset``, ...
    revoked_reason: Mapped[str | None] = mapped_column(String(40), default=None)


class RecoveryCode(Base):
    """A one-time code that stands in for a TOTP code (phone lost). Shown once, hashed."""

    __tablename__ = "staff_recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class LoginFailure(Base):
    """One failed login, for throttling per address and per username across processes.
    Rows older than a day are pruned (not an audit record: ``SecurityEvent`` is)."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_address_at", "address", "at"),
        Index("ix_login_failures_username_at", "username", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class SecurityEvent(Base):
    """The security audit trail: logins, failures, lock-outs, password and two-factor
    changes, sessions and credentials created or revoked, accounts managed. Append-only."""

    __tablename__ = "security_events"
    __table_args__ = (
        Index("ix_security_events_user_id_id", "user_id", "id"),
        Index("ix_security_events_type", "type"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    type: Mapped[str] = mapped_column(String(40))
    #: The account it is about (None for an unknown username or a machine credential).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    #: The username as typed or as it was (kept even when unknown, cut to 64 characters).
    username: Mapped[str | None] = mapped_column(String(64), default=None)
    #: Who did it when not the account itself (an admin resetting a password, the CLI).
    actor_id: Mapped[str | None] = mapped_column(String(120), default=None)
    actor_name: Mapped[str | None] = mapped_column(String(200), default=None)
    address: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)


class ClientApp(Base):
    """A local app allowed to push complaints (``X-API-Key``).

    Rotation issues a new key and keeps the previous one valid until
    ``previous_key_expires_at`` (the grace period the operator chose), so the app's
    servers can be switched over without a refused complaint.
    """

    __tablename__ = "client_apps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    previous_key_hash: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    previous_key_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    rotated_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class OpsToken(Base):
    """An API bearer token for a machine or a script: a role (its scope) and, for ``opd``
    tokens, the one OPD it is bound to. Owned by an account (acts as that person, dies
    with it) or by a named integration (``owner_user_id`` empty: acts under its name)."""

    __tablename__ = "ops_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(24))
    opd_code: Mapped[str | None] = mapped_column(ForeignKey("opds.code"), default=None)
    token_prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    owner_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id"), default=None, index=True
    )
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
