"""Local SMS gateway (Gammu box): timestamped HMAC, parsing, signed replies, the bridge script."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import respx

from services.intake.channels import (
    ChannelSendError,
    InboundRequest,
    PayloadError,
    SignatureError,
    StaleRequestError,
    gammu_bridge,
    get_adapter,
)
from services.intake.channels.sms_gateway import MAX_SKEW_SECONDS, sign, signed_headers
from shared.config import Settings

FIXTURES = Path(__file__).parent / "fixtures"
BODY = (FIXTURES / "sms_gateway_message.json").read_bytes()
SECRET = "test_sms_gateway_secret_0123456789"
NOW = 1773975600  # 2026-03-20 10:00 WIB
SEND_URL = "http://sms-box.local:8080/send"

gateway = get_adapter("sms_gateway")


def make_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"sms_gateway_secret": SECRET, "sms_gateway_send_url": SEND_URL}
    values.update(overrides)
    return Settings(_env_file=None, **values)


def make_request(
    body: bytes = BODY, *, timestamp: int | str | None = NOW, signature: str | None = None
) -> InboundRequest:
    headers = {"Content-Type": "application/json"}
    if timestamp is not None:
        headers["X-Simpul-Timestamp"] = str(timestamp)
        if signature is None:
            signature = sign(SECRET, str(timestamp), body)
    if signature is not None:
        headers["X-Simpul-Signature"] = signature
    return InboundRequest(method="POST", path="/webhooks/sms-gateway", headers=headers, body=body)


# -- signature -------------------------------------------------------------------------------


def test_signature_scheme_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, str(NOW), BODY) == f"sha256={expected}"


def test_good_signature_is_accepted() -> None:
    gateway.verify(make_request(), make_settings(), now=NOW + 10)


def test_headers_are_case_insensitive_and_hex_case_does_not_matter() -> None:
    signature = sign(SECRET, str(NOW), BODY).upper().replace("SHA256=", "sha256=")
    request = InboundRequest(
        method="POST",
        path="/webhooks/sms-gateway",
        headers={"x-simpul-timestamp": str(NOW), "X-SIMPUL-SIGNATURE": signature},
        body=BODY,
    )
    gateway.verify(request, make_settings(), now=NOW)


@pytest.mark.parametrize("skew", [MAX_SKEW_SECONDS, -MAX_SKEW_SECONDS])
def test_timestamp_at_the_edge_of_the_window_is_accepted(skew: int) -> None:
    gateway.verify(make_request(), make_settings(), now=NOW + skew)


@pytest.mark.parametrize("skew", [MAX_SKEW_SECONDS + 1, -(MAX_SKEW_SECONDS + 1), 86400])
def test_stale_timestamp_is_rejected(skew: int) -> None:
    with pytest.raises(StaleRequestError):
        gateway.verify(make_request(), make_settings(), now=NOW + skew)


def test_stale_request_error_is_a_signature_error() -> None:
    assert issubclass(StaleRequestError, SignatureError)


def test_missing_timestamp_is_rejected() -> None:
    request = make_request(timestamp=None, signature=sign(SECRET, str(NOW), BODY))
    with pytest.raises(SignatureError, match="missing X-Simpul-Timestamp"):
        gateway.verify(request, make_settings(), now=NOW)


def test_missing_signature_is_rejected() -> None:
    request = InboundRequest(
        method="POST",
        path="/webhooks/sms-gateway",
        headers={"X-Simpul-Timestamp": str(NOW)},
        body=BODY,
    )
    with pytest.raises(SignatureError, match="missing X-Simpul-Signature"):
        gateway.verify(request, make_settings(), now=NOW)


def test_non_numeric_timestamp_is_rejected() -> None:
    with pytest.raises(SignatureError, match="unix seconds"):
        gateway.verify(make_request(timestamp="2026-03-20"), make_settings(), now=NOW)


def test_wrong_signature_is_rejected() -> None:
    request = make_request(signature="sha256=" + "0" * 64)
    with pytest.raises(SignatureError, match="does not match"):
        gateway.verify(request, make_settings(), now=NOW)


def test_tampered_body_is_rejected() -> None:
    signature = sign(SECRET, str(NOW), BODY)
    tampered = BODY.replace(b"No. 10", b"No. 11")
    with pytest.raises(SignatureError):
        gateway.verify(make_request(tampered, signature=signature), make_settings(), now=NOW)


def test_replayed_signature_with_a_fresh_timestamp_is_rejected() -> None:
    # The signature covers the timestamp: moving it forward breaks the signature.
    old_signature = sign(SECRET, str(NOW - 3600), BODY)
    request = make_request(timestamp=NOW, signature=old_signature)
    with pytest.raises(SignatureError):
        gateway.verify(request, make_settings(), now=NOW)


def test_channel_is_off_without_secret() -> None:
    off = make_settings(sms_gateway_secret="")
    assert not gateway.enabled(off)
    assert gateway.enabled(make_settings())
    with pytest.raises(SignatureError):
        gateway.verify(make_request(), off, now=NOW)


# -- parsing ---------------------------------------------------------------------------------


def test_parse_fixture() -> None:
    [message] = gateway.parse(make_request())
    assert message.channel == "sms_gateway"
    assert message.provider_message_id == "modem1:1042"
    assert message.sender == "+6281234567890"  # normalized from 081234567890
    assert message.sender_phone == "+6281234567890"
    assert message.recipient == "+6281100000003"
    assert message.text == "Lampu jalan mati di Jl. Merdeka No. 10"
    assert message.received_at == datetime(2026, 3, 20, 3, 0, tzinfo=UTC)


def test_alphanumeric_sender_is_kept_without_a_phone() -> None:
    body = json.dumps({"message_id": 7, "from": "TELKOMSEL", "text": "Promo"}).encode()
    [message] = gateway.parse(make_request(body))
    assert message.provider_message_id == "7"
    assert message.sender == "TELKOMSEL"
    assert message.sender_phone is None
    assert message.received_at is None


def test_received_at_as_unix_seconds() -> None:
    body = json.dumps(
        {"message_id": "1", "from": "+6281234567890", "text": "x", "received_at": NOW}
    ).encode()
    [message] = gateway.parse(make_request(body))
    assert message.received_at == datetime(2026, 3, 20, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"from": "+6281234567890", "text": "x"}, "message_id"),
        ({"message_id": "", "from": "+6281234567890", "text": "x"}, "message_id"),
        ({"message_id": "1", "text": "x"}, "from"),
        ({"message_id": "1", "from": 6281234567890, "text": "x"}, "from"),
        ({"message_id": "1", "from": "+6281234567890"}, "text"),
        ({"message_id": "1", "from": "+6281234567890", "text": 5}, "text"),
        ({"message_id": "1", "from": "+6281234567890", "text": "x", "to": 1}, "to"),
        (
            {"message_id": "1", "from": "+6281234567890", "text": "x", "received_at": "kemarin"},
            "received_at",
        ),
        (
            # Gammu's server-local time without an offset: refused rather than guessed.
            {
                "message_id": "1",
                "from": "+6281234567890",
                "text": "x",
                "received_at": "2026-03-20 10:00:00",
            },
            "received_at",
        ),
    ],
)
def test_malformed_payload_names_the_field(payload: dict[str, object], field: str) -> None:
    with pytest.raises(PayloadError) as excinfo:
        gateway.parse(make_request(json.dumps(payload).encode()))
    assert excinfo.value.field == field
    assert excinfo.value.reason.startswith(field)


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe"])
def test_non_object_body_is_a_payload_error(body: bytes) -> None:
    with pytest.raises(PayloadError, match="^body"):
        gateway.parse(make_request(body))


# -- replies ---------------------------------------------------------------------------------


def test_build_reply_is_signed_with_the_same_scheme() -> None:
    request = gateway.build_reply("+6281234567890", "Laporan diterima", make_settings())
    assert str(request.url) == SEND_URL
    payload = json.loads(request.content)
    assert payload["to"] == "+6281234567890"
    assert payload["text"] == "Laporan diterima"
    assert payload["message_id"]
    # The box can verify it exactly as we verify inbound requests.
    echoed = InboundRequest(
        method="POST", path="/send", headers=dict(request.headers), body=request.content
    )
    gateway.verify(echoed, make_settings(), now=int(request.headers["x-simpul-timestamp"]))


def test_build_reply_without_send_url_is_terminal() -> None:
    with pytest.raises(ChannelSendError) as excinfo:
        gateway.build_reply("+6281234567890", "x", make_settings(sms_gateway_send_url=""))
    assert excinfo.value.transient is False


async def test_send_reply_returns_the_box_message_id() -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(SEND_URL).mock(
            return_value=httpx.Response(200, json={"message_id": "outbox:55"})
        )
        async with httpx.AsyncClient() as client:
            result = await gateway.send_reply(client, "+6281234567890", "Halo", make_settings())
    assert result == "outbox:55"
    assert route.calls.last.request.headers["x-simpul-signature"].startswith("sha256=")


async def test_send_reply_falls_back_to_our_message_id() -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(SEND_URL).mock(return_value=httpx.Response(204))
        async with httpx.AsyncClient() as client:
            result = await gateway.send_reply(client, "+6281234567890", "Halo", make_settings())
    assert result == json.loads(route.calls.last.request.content)["message_id"]


@pytest.mark.parametrize(("status", "transient"), [(502, True), (401, False), (422, False)])
async def test_send_reply_errors_are_translated(status: int, transient: bool) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(SEND_URL).mock(return_value=httpx.Response(status, json={"error": "nope"}))
        async with httpx.AsyncClient() as client:
            with pytest.raises(ChannelSendError) as excinfo:
                await gateway.send_reply(client, "+6281234567890", "Halo", make_settings())
    assert excinfo.value.transient is transient
    assert excinfo.value.status_code == status
    assert SECRET not in str(excinfo.value)


async def test_send_reply_connection_error_is_transient() -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(SEND_URL).mock(side_effect=httpx.ConnectError("connection refused"))
        async with httpx.AsyncClient() as client:
            with pytest.raises(ChannelSendError) as excinfo:
                await gateway.send_reply(client, "+6281234567890", "Halo", make_settings())
    assert excinfo.value.transient is True


# -- the Gammu RunOnReceive bridge -------------------------------------------------------------

GAMMU_ENV = {
    "SMS_MESSAGES": "2",
    "DECODED_PARTS": "2",
    "PHONE_ID": "modem1",
    "SMS_1_NUMBER": "+6281234567890",
    "SMS_1_TEXT": "Lampu jalan mati di ",
    "SMS_2_TEXT": "Jl. Merdeka No. 10",
    "DECODED_1_TEXT": "Lampu jalan mati di ",
    "DECODED_2_TEXT": "Jl. Merdeka No. 10",
    "SIMPUL_SMS_GATEWAY_TO": "+6281100000003",
}


def test_bridge_builds_a_request_the_adapter_accepts() -> None:
    message = gammu_bridge.collect_message(GAMMU_ENV, ["1042", "1043"], NOW)
    assert message == {
        "message_id": "modem1:1042",
        "from": "+6281234567890",
        "to": "+6281100000003",
        "text": "Lampu jalan mati di Jl. Merdeka No. 10",
        "received_at": "2026-03-20T03:00:00+00:00",
    }
    built = gammu_bridge.build_request(message, "https://x.test/webhooks/sms-gateway", SECRET, NOW)
    request = InboundRequest(
        method="POST",
        path="/webhooks/sms-gateway",
        headers=dict(built.header_items()),
        body=built.data,
    )
    gateway.verify(request, make_settings(), now=NOW + 1)
    [parsed] = gateway.parse(request)
    assert parsed.provider_message_id == "modem1:1042"
    assert parsed.text == "Lampu jalan mati di Jl. Merdeka No. 10"
    assert parsed.received_at == datetime(2026, 3, 20, 3, 0, tzinfo=UTC)


def test_bridge_uses_sms_text_when_nothing_was_decoded() -> None:
    env = {"SMS_MESSAGES": "1", "SMS_1_NUMBER": "081234567890", "SMS_1_TEXT": "Halo"}
    message = gammu_bridge.collect_message(env, ["9"], NOW)
    assert message["text"] == "Halo"
    assert message["message_id"] == "gammu:9"


def test_bridge_refuses_to_run_without_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    assert gammu_bridge.main([], env=GAMMU_ENV) == 2
    assert "SIMPUL_SMS_GATEWAY_URL" in capsys.readouterr().err


def test_bridge_signature_matches_the_server() -> None:
    assert gammu_bridge.sign(SECRET, str(NOW), BODY) == sign(SECRET, str(NOW), BODY)
    assert signed_headers(SECRET, BODY, now=NOW)["X-Simpul-Signature"] == sign(
        SECRET, str(NOW), BODY
    )


def test_bridge_posts_to_a_live_endpoint_that_verifies_it() -> None:
    received: list[InboundRequest] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            request = InboundRequest(
                method="POST", path=self.path, headers=dict(self.headers.items()), body=body
            )
            try:
                gateway.verify(request, make_settings())
            except SignatureError:
                self.send_response(401)
            else:
                received.append(request)
                self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        env = {
            **GAMMU_ENV,
            "SIMPUL_SMS_GATEWAY_URL": f"http://127.0.0.1:{server.server_port}/webhooks/sms-gateway",
            "SIMPUL_SMS_GATEWAY_SECRET": SECRET,
        }
        assert gammu_bridge.main(["1042"], env=env) == 0
        env["SIMPUL_SMS_GATEWAY_SECRET"] = "wrong-secret"
        assert gammu_bridge.main(["1043"], env=env) == 1  # refused: no retry, non-zero exit
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    [request] = received
    [message] = gateway.parse(request)
    assert message.provider_message_id == "modem1:1042"
    assert message.sender_phone == "+6281234567890"
