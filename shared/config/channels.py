"""The citizen channels (Twilio, an SMS gateway, WhatsApp, Telegram, Messenger) and the
rules each provider sets on when Simpul may message first. A channel whose secret is
empty is off."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class WhatsAppTemplate(BaseModel):
    """An approved WhatsApp message template: its name and language code at Meta."""

    name: str
    language: str = "id"


#: Demo template names (a pemda registers its own at Meta and sets them). Each template's
#: body takes the parameters ``services.intake.notify.window.template_parameters`` fills.
DEFAULT_WHATSAPP_TEMPLATES: dict[str, WhatsAppTemplate] = {
    name: WhatsAppTemplate(name=f"simpul_{name}", language="id")
    for name in (
        "verified",
        "disposed",
        "info_requested",
        "responded",
        "resolved",
        "archived",
        "closed",
        "forwarded_national",
        "sla_breached",
        "officer",
    )
}
#: HUMAN_AGENT (7 days after the citizen's last message) covers an officer's own words;
#: status updates have no tag and fall back to SMS or e-mail.
DEFAULT_FACEBOOK_MESSAGE_TAGS: dict[str, str] = {
    "info_requested": "HUMAN_AGENT",
    "responded": "HUMAN_AGENT",
    "resolved": "HUMAN_AGENT",
}


class ChannelSettings(BaseModel):
    """``SIMPUL_TWILIO_*``, ``SIMPUL_SMS_GATEWAY_*``, ``SIMPUL_WHATSAPP_*``,
    ``SIMPUL_TELEGRAM_*``, ``SIMPUL_FACEBOOK_*``."""

    twilio_auth_token: SecretStr = SecretStr("")
    twilio_account_sid: str = ""
    twilio_from_number: str = ""
    twilio_api_base_url: str = "https://api.twilio.com"
    sms_gateway_secret: SecretStr = SecretStr("")
    sms_gateway_send_url: str = ""
    whatsapp_app_secret: SecretStr = SecretStr("")
    whatsapp_verify_token: SecretStr = SecretStr("")
    whatsapp_access_token: SecretStr = SecretStr("")
    whatsapp_phone_number_id: str = ""
    whatsapp_api_base_url: str = "https://graph.facebook.com/v21.0"
    telegram_secret_token: SecretStr = SecretStr("")
    telegram_bot_token: SecretStr = SecretStr("")
    telegram_api_base_url: str = "https://api.telegram.org"
    facebook_app_secret: SecretStr = SecretStr("")
    facebook_verify_token: SecretStr = SecretStr("")
    facebook_page_token: SecretStr = SecretStr("")
    facebook_api_base_url: str = "https://graph.facebook.com/v21.0"

    # -- messages that obey each provider's window ---------------------------------------
    #: Meta accepts free text only this long after the citizen's last message.
    whatsapp_free_text_window_h: float = 24.0
    #: Message type -> approved WhatsApp template ``{"name", "language"}`` (JSON in the env).
    whatsapp_templates: dict[str, WhatsAppTemplate] = Field(
        default_factory=lambda: dict(DEFAULT_WHATSAPP_TEMPLATES)
    )
    #: Message type -> Messenger message tag allowed outside the 24-hour window (JSON).
    facebook_message_tags: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_FACEBOOK_MESSAGE_TAGS)
    )
