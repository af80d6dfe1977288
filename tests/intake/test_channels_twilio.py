"""Twilio SMS channel: signature (incl. behind a reverse proxy), parsing, TwiML, REST replies."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest
import respx

from services.intake.channels import (
    ChannelSendError,
    InboundRequest,
    PayloadError,
    SignatureError,
    get_adapter,
    twiml_reply,
)
from services.intake.channels.twilio import compute_signature, url_variants
from shared.config import Settings

FIXTURES = Path(__file__).parent / "fixtures"
BODY = (FIXTURES / "twilio_sms.form").read_bytes()
TOKEN = "test_auth_token_0123456789abcdef"
PUBLIC = "https://pengaduan.example.go.id"
FIXTURE_SIGNATURE = "IpyQCVZPu3UAY6F5VG6Hhe1yd4c="  # channels.md A1
ACCOUNT_SID = "AC00000000000000000000000000000001"

twilio = get_adapter("twilio")


def make_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "public_base_url": PUBLIC,
        "twilio_auth_token": TOKEN,
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_from_number": "+6281100000001",
        "twilio_api_base_url": "https://twilio.test",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def make_request(
    body: bytes = BODY,
    signature: str | None = FIXTURE_SIGNATURE,
    *,
    query_string: str = "",
    extra_headers: dict[str, str] | None = None,
) -> InboundRequest:
    headers = {
        "host": "127.0.0.1:8001",  # as received behind the reverse proxy
        "content-type": "application/x-www-form-urlencoded",
        **(extra_headers or {}),
    }
    if signature is not None:
        headers["x-twilio-signature"] = signature
    return InboundRequest(
        method="POST",
        path="/webhooks/twilio/sms",
        query_string=query_string,
        headers=headers,
        body=body,
    )


# -- signature -------------------------------------------------------------------------------


def test_twilio_documentation_vector() -> None:
    params = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ]
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert compute_signature(url, params, "12345") == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_fixture_vector_over_the_public_url() -> None:
    params = parse_qsl(BODY.decode(), keep_blank_values=True)
    url = PUBLIC + "/webhooks/twilio/sms"
    assert compute_signature(url, params, TOKEN) == FIXTURE_SIGNATURE


def test_signed_for_public_url_received_on_internal_url_is_accepted() -> None:
    # The proxy forwarded to 127.0.0.1:8001; the signature covers the public URL.
    twilio.verify(make_request(), make_settings())


def test_signature_over_the_internal_url_is_rejected() -> None:
    params = parse_qsl(BODY.decode(), keep_blank_values=True)
    internal = compute_signature("http://127.0.0.1:8001/webhooks/twilio/sms", params, TOKEN)
    with pytest.raises(SignatureError, match="does not match"):
        twilio.verify(make_request(signature=internal), make_settings())


def test_explicit_default_port_variants_are_accepted() -> None:
    params = parse_qsl(BODY.decode(), keep_blank_values=True)
    with_port = compute_signature(PUBLIC + ":443/webhooks/twilio/sms", params, TOKEN)
    twilio.verify(make_request(signature=with_port), make_settings())
    # ... and the other way round: the public base URL configured with ":443".
    twilio.verify(make_request(), make_settings(public_base_url=PUBLIC + ":443"))


def test_url_variants_follow_the_sdk() -> None:
    assert url_variants("https://a.example/x?y=1") == [
        "https://a.example/x?y=1",
        "https://a.example:443/x?y=1",
    ]
    assert url_variants("http://a.example:8080/x") == [
        "http://a.example:8080/x",
        "http://a.example/x",
    ]


def test_query_string_is_part_of_the_signed_url() -> None:
    params = parse_qsl(BODY.decode(), keep_blank_values=True)
    signed = compute_signature(PUBLIC + "/webhooks/twilio/sms?pemda=sleman", params, TOKEN)
    twilio.verify(make_request(signature=signed, query_string="pemda=sleman"), make_settings())
    with pytest.raises(SignatureError):
        twilio.verify(make_request(signature=signed), make_settings())


def test_public_base_url_with_trailing_slash_and_prefix() -> None:
    params = parse_qsl(BODY.decode(), keep_blank_values=True)
    signed = compute_signature(PUBLIC + "/simpul/webhooks/twilio/sms", params, TOKEN)
    twilio.verify(
        make_request(signature=signed), make_settings(public_base_url=PUBLIC + "/simpul/")
    )


def test_explicit_form_pairs_are_used_when_given() -> None:
    request = InboundRequest(
        method="POST",
        path="/webhooks/twilio/sms",
        headers={"X-Twilio-Signature": FIXTURE_SIGNATURE},
        body=b"",
        form=parse_qsl(BODY.decode(), keep_blank_values=True),
    )
    twilio.verify(request, make_settings())


def test_missing_signature_is_rejected() -> None:
    with pytest.raises(SignatureError, match="missing X-Twilio-Signature"):
        twilio.verify(make_request(signature=None), make_settings())


def test_wrong_signature_is_rejected() -> None:
    with pytest.raises(SignatureError):
        twilio.verify(make_request(signature="AAAAAAAAAAAAAAAAAAAAAAAAAAA="), make_settings())


def test_wrong_token_is_rejected() -> None:
    with pytest.raises(SignatureError):
        twilio.verify(make_request(), make_settings(twilio_auth_token="another_token"))


def test_tampered_body_is_rejected() -> None:
    tampered = BODY.replace(b"mati+sejak+3+hari", b"mati+sejak+4+hari")
    with pytest.raises(SignatureError):
        twilio.verify(make_request(body=tampered), make_settings())


def test_added_parameter_is_rejected() -> None:
    with pytest.raises(SignatureError):
        twilio.verify(make_request(body=BODY + b"&Extra=1"), make_settings())


def test_shared_key_hmac_sha256_mode() -> None:
    params = parse_qsl(BODY.decode(), keep_blank_values=True)
    url = PUBLIC + "/webhooks/twilio/sms"
    sha256 = compute_signature(url, params, TOKEN, algorithm="HMAC_SHA256")
    settings_header = {"X-Twilio-Webhooks-Signature-Settings": "key=KS123,algorithm=HMAC_SHA256"}
    twilio.verify(make_request(signature=sha256, extra_headers=settings_header), make_settings())
    # The SHA1 signature does not pass in SHA256 mode, nor the SHA256 one in default mode.
    with pytest.raises(SignatureError):
        twilio.verify(make_request(extra_headers=settings_header), make_settings())
    with pytest.raises(SignatureError):
        twilio.verify(make_request(signature=sha256), make_settings())


def test_unknown_signature_algorithm_is_rejected() -> None:
    header = {"X-Twilio-Webhooks-Signature-Settings": "key=KS1,algorithm=MD5"}
    with pytest.raises(SignatureError, match="unsupported signature algorithm"):
        twilio.verify(make_request(extra_headers=header), make_settings())


def test_json_webhook_body_sha256_in_url() -> None:
    body = b'{"hello":"world"}'
    digest = hashlib.sha256(body).hexdigest()
    signed = compute_signature(f"{PUBLIC}/webhooks/twilio/sms?bodySHA256={digest}", [], TOKEN)
    query = f"bodySHA256={digest}"
    twilio.verify(make_request(body=body, signature=signed, query_string=query), make_settings())
    with pytest.raises(SignatureError, match="bodySHA256"):
        twilio.verify(
            make_request(body=b'{"hello":"moon"}', signature=signed, query_string=query),
            make_settings(),
        )


def test_channel_is_off_without_auth_token() -> None:
    off = make_settings(twilio_auth_token="")
    assert not twilio.enabled(off)
    assert twilio.enabled(make_settings())
    with pytest.raises(SignatureError):
        twilio.verify(make_request(), off)


# -- parsing ---------------------------------------------------------------------------------


def test_parse_fixture() -> None:
    [message] = twilio.parse(make_request())
    assert message.channel == "twilio"
    assert message.provider_message_id == "SM0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    assert message.sender == "+6281234567890"
    assert message.sender_phone == "+6281234567890"
    assert message.sender_name is None
    assert message.recipient == "+6281100000001"
    assert message.text == "Lampu jalan di Jl. Merdeka No. 10 mati sejak 3 hari"
    assert message.received_at is None  # Twilio sends no timestamp
    assert message.media == ()
    assert message.location is None


def test_parse_whatsapp_via_twilio_with_media() -> None:
    body = (FIXTURES / "twilio_mms.form").read_bytes()
    [message] = twilio.parse(make_request(body=body))
    assert message.provider_message_id == "MM11112222333344445555666677778888"
    assert message.sender == "whatsapp:+6281234567890"  # the reply address keeps the prefix
    assert message.sender_phone == "+6281234567890"
    assert message.sender_name == "Siti Rahayu"
    assert message.text == "Foto jalan rusak"
    assert [(m.kind, m.content_type) for m in message.media] == [
        ("image", "image/jpeg"),
        ("document", "application/pdf"),
    ]
    assert message.media[0].ref.endswith("/Media/ME00000000000000000000000000000001")


def test_status_callback_gives_no_messages() -> None:
    body = (FIXTURES / "twilio_status_callback.form").read_bytes()
    assert twilio.parse(make_request(body=body)) == []


def test_missing_message_sid_names_the_field() -> None:
    with pytest.raises(PayloadError) as excinfo:
        twilio.parse(make_request(body=b"From=%2B6281234567890&Body=hi&SmsStatus=received"))
    assert excinfo.value.field == "MessageSid"


def test_missing_from_names_the_field() -> None:
    with pytest.raises(PayloadError, match="^From"):
        twilio.parse(make_request(body=b"MessageSid=SM1&Body=hi"))


def test_bad_num_media_names_the_field() -> None:
    with pytest.raises(PayloadError, match="^NumMedia"):
        twilio.parse(make_request(body=b"MessageSid=SM1&From=%2B6281234567890&NumMedia=x"))


# -- TwiML -----------------------------------------------------------------------------------


def test_twiml_reply_escapes_xml() -> None:
    xml = twiml_reply('Laporan <A&B> "diterima"')
    assert xml == (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Response><Message>Laporan &lt;A&amp;B&gt; "diterima"</Message></Response>'
    )


def test_twiml_reply_drops_characters_xml_forbids() -> None:
    assert "<Message>ab</Message>" in twiml_reply("a\x00\x1bb")


def test_twiml_empty_reply() -> None:
    assert twiml_reply(None).endswith("<Response/>")
    assert twiml_reply("").endswith("<Response/>")


def test_ack_is_twiml() -> None:
    ack = twilio.ack("Nomor laporan: ABC123")
    assert ack.media_type == "application/xml"
    assert "<Message>Nomor laporan: ABC123</Message>" in ack.body


# -- replies ---------------------------------------------------------------------------------

MESSAGES_URL = f"https://twilio.test/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


def test_build_reply() -> None:
    request = twilio.build_reply("+6281234567890", "Laporan diterima", make_settings())
    assert request.method == "POST"
    assert str(request.url) == MESSAGES_URL
    assert request.headers["authorization"].startswith("Basic ")
    form = dict(parse_qsl(request.content.decode()))
    assert form == {"To": "+6281234567890", "From": "+6281100000001", "Body": "Laporan diterima"}


def test_build_reply_to_twilio_whatsapp_sends_from_whatsapp_number() -> None:
    request = twilio.build_reply("whatsapp:+6281234567890", "ok", make_settings())
    assert dict(parse_qsl(request.content.decode()))["From"] == "whatsapp:+6281100000001"


def test_build_reply_without_configuration_is_terminal() -> None:
    with pytest.raises(ChannelSendError) as excinfo:
        twilio.build_reply("+6281234567890", "x", make_settings(twilio_account_sid=""))
    assert excinfo.value.transient is False


async def test_send_reply_returns_message_sid() -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(MESSAGES_URL).mock(
            return_value=httpx.Response(201, json={"sid": "SMreply0001", "status": "queued"})
        )
        async with httpx.AsyncClient() as client:
            sid = await twilio.send_reply(client, "+6281234567890", "Terima kasih", make_settings())
    assert sid == "SMreply0001"
    sent = route.calls.last.request
    assert dict(parse_qsl(sent.content.decode()))["Body"] == "Terima kasih"
    credentials = base64.b64encode(f"{ACCOUNT_SID}:{TOKEN}".encode()).decode()
    assert sent.headers["authorization"] == f"Basic {credentials}"


async def test_send_reply_4xx_is_terminal_and_token_free() -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(MESSAGES_URL).mock(
            return_value=httpx.Response(
                400,
                json={"code": 21211, "message": "The 'To' number is not valid.", "status": 400},
            )
        )
        async with httpx.AsyncClient() as client:
            with pytest.raises(ChannelSendError) as excinfo:
                await twilio.send_reply(client, "+620000", "x", make_settings())
    error = excinfo.value
    assert error.transient is False
    assert error.status_code == 400
    assert "21211" in error.reason
    assert TOKEN not in str(error) and TOKEN not in repr(error)


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_send_reply_5xx_and_429_are_transient(status: int) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(MESSAGES_URL).mock(
            return_value=httpx.Response(status, headers={"Retry-After": "7"})
        )
        async with httpx.AsyncClient() as client:
            with pytest.raises(ChannelSendError) as excinfo:
                await twilio.send_reply(client, "+6281234567890", "x", make_settings())
    assert excinfo.value.transient is True
    assert excinfo.value.status_code == status
    assert excinfo.value.retry_after == 7.0


async def test_send_reply_timeout_is_transient() -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(MESSAGES_URL).mock(side_effect=httpx.ReadTimeout("timed out"))
        async with httpx.AsyncClient() as client:
            with pytest.raises(ChannelSendError) as excinfo:
                await twilio.send_reply(client, "+6281234567890", "x", make_settings())
    assert excinfo.value.transient is True
    assert excinfo.value.status_code is None
