"""How Simpul reaches people outside a channel the citizen wrote on: the pemda's name and
logo as they see it, e-mail (SMTP out, an inbound-mail webhook in), and the officers'
notifications (their console links, Admin Instansi's address, the daily digest)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr

DEMO_PEMDA_NAME = "Pemerintah Kabupaten Tabanan (demo)"


class ReachSettings(BaseModel):
    """``SIMPUL_PEMDA_*``, ``SIMPUL_SMTP_*``, ``SIMPUL_EMAIL_*``, the officers' messages."""

    # -- the pemda, as citizens and officers see it ------------------------------------
    #: Shown on the citizen pages, in messages and on reports (a pemda's own service).
    pemda_name: str = DEMO_PEMDA_NAME
    #: A PNG, JPEG, WebP, GIF or SVG file; empty: the demo logo shipped with Simpul.
    pemda_logo: str = ""

    # -- e-mail (SMTP out; an inbound-mail webhook in) ---------------------------------
    smtp_host: str = ""  # empty: e-mail off (messages to e-mail addresses are dead-lettered)
    smtp_port: int = 587
    #: ``starttls`` (port 587), ``tls`` (implicit TLS, port 465) or ``none`` (a local relay).
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = "pengaduan@pemda.example.go.id"
    smtp_timeout_s: float = 15.0
    #: Verifies the inbound-mail webhook (Mailgun's signing key); empty: e-mail in is off.
    email_webhook_signing_key: SecretStr = SecretStr("")

    # -- officers -------------------------------------------------------------------------
    #: The console page of a case, linked from officers' messages.
    console_case_path: str = "/konsol/kasus/{tracking_id}"
    #: Where Admin Instansi hears of returned cases, warnings and breaches when no personal
    #: account says otherwise (an e-mail address; empty: the ``log`` channel).
    admin_instansi_email: str = ""
    #: Local hour of the daily digest of what falls due in the next 3 working days.
    digest_hour: int = Field(default=7, ge=0, le=23)
