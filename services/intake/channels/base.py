"""The one interface every inbound channel implements, and the types it speaks.

A webhook endpoint is one generic piece of code::

    adapter = get_adapter("whatsapp")
    if not adapter.enabled(settings):
        raise NotFound                      # a channel without its secret is off (404)
    request = InboundRequest(method="POST", path=..., query_string=..., headers=...,
                             body=await http_request.body())
    adapter.verify(request, settings)       # SignatureError -> 401/403, stores nothing
    for message in adapter.parse(request):  # PayloadError -> 400/422
        ...                                 # dedup on (message.channel, provider_message_id)
    ack = adapter.ack()                     # what the provider expects back (TwiML for Twilio)

Adapters are pure: no database, no global state, no network except ``send_reply``, which
uses the caller's long-lived ``httpx.AsyncClient``. Vendor errors are translated at this
boundary into :class:`ChannelSendError`; secrets never appear in its message.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import parse_qsl

import httpx

from shared.config import Settings
from shared.guard import UnsafeInput, load_json, repair_text

#: How long a ``send_reply`` call may take when the caller's client has no timeout of its
#: own (Twilio and Meta answer in well under a second; this bounds a hung connection).
DEFAULT_SEND_TIMEOUT = httpx.Timeout(10.0, connect=5.0)

#: HTTP statuses worth retrying: the request may succeed later unchanged.
TRANSIENT_STATUS_CODES = frozenset({408, 425, 429, 500, 502, 503, 504})


# -- errors ----------------------------------------------------------------------------


class ChannelError(Exception):
    """Base of every error an adapter raises. ``reason`` is safe to log (no secrets)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignatureError(ChannelError):
    """The request is not provably from the provider: answer 401/403 and store nothing."""


class StaleRequestError(SignatureError):
    """Signed, but the timestamp is outside the allowed window (a replay, or a bad clock).

    A subclass of :class:`SignatureError`, so an endpoint that maps ``SignatureError`` to
    401 refuses stale requests too; catch it first to count replays separately.
    """


class PayloadError(ChannelError):
    """Authentic but malformed payload. ``reason`` starts with the offending field."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name}: {problem}")
        self.field = field_name


class ChannelSendError(ChannelError):
    """A reply could not be delivered to the provider.

    ``transient`` says whether the same request may succeed later (5xx, 429, timeouts,
    connection errors); terminal errors (other 4xx, missing configuration) must not be
    retried. ``retry_after`` is the provider's hint in seconds, when it gave one.
    """

    def __init__(
        self,
        reason: str,
        *,
        transient: bool,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.transient = transient
        self.status_code = status_code
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"ChannelSendError({self.reason!r}, transient={self.transient}, "
            f"status_code={self.status_code})"
        )


# -- the request an endpoint hands in ----------------------------------------------------


class CaseInsensitiveHeaders(Mapping[str, str]):
    """A read-only header mapping whose lookups ignore case (``x-hub-signature-256``)."""

    __slots__ = ("_items",)

    def __init__(self, headers: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        self._items: dict[str, str] = {str(k).lower(): str(v) for k, v in pairs}

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._items

    def __repr__(self) -> str:
        # Header values can be signatures or secret tokens: names only.
        return f"CaseInsensitiveHeaders({sorted(self._items)})"


@dataclass(frozen=True, slots=True)
class InboundRequest:
    """What the endpoint received, built before any parsing.

    ``body`` must be the EXACT raw bytes (signatures cover them, never a re-serialization).
    ``form`` is optional: when empty, a form-encoded body is parsed from ``body``.
    ``headers`` may be any mapping (e.g. Starlette's ``request.headers``); it is copied into
    a case-insensitive one.
    """

    method: str
    path: str
    query_string: str = ""
    headers: Mapping[str, str] = field(default_factory=CaseInsensitiveHeaders)
    body: bytes = b""
    form: Sequence[tuple[str, str]] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.headers, CaseInsensitiveHeaders):
            object.__setattr__(self, "headers", CaseInsensitiveHeaders(self.headers))
        object.__setattr__(self, "form", tuple((str(k), str(v)) for k, v in self.form))
        query = self.query_string
        if isinstance(query, bytes):  # Starlette's scope["query_string"] is bytes
            object.__setattr__(self, "query_string", query.decode("latin-1"))

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def form_params(self, *, repair: bool = False) -> list[tuple[str, str]]:
        """The form parameters: ``form`` if given, else parsed from the raw body. ``repair``
        (after the signature is checked over the originals): NUL replaced by U+FFFD."""
        if self.form:
            params = list(self.form)
        else:
            try:
                text = self.body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise PayloadError("body", "form body is not UTF-8") from exc
            params = parse_qsl(text, keep_blank_values=True)
        if repair:
            return [(repair_text(name), repair_text(value)) for name, value in params]
        return params

    def query_params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query_string, keep_blank_values=True))

    def __repr__(self) -> str:
        return (
            f"InboundRequest(method={self.method!r}, path={self.path!r}, "
            f"body=<{len(self.body)} bytes>)"
        )


# -- the normalized message ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MediaRef:
    """An attachment as the provider announced it; downloading it is the caller's job.

    ``ref`` is a provider media id (WhatsApp media id, Telegram ``file_id``) or a URL
    (Twilio ``MediaUrlN``, Facebook ``payload.url``).
    """

    kind: str  # image | document | audio | video | sticker | file
    ref: str
    content_type: str | None = None
    caption: str | None = None
    filename: str | None = None
    #: The bytes themselves when the delivery carried them (e-mail attachments): stored at
    #: once, like REST attachments, instead of fetched later.
    data: bytes | None = None

    def __repr__(self) -> str:
        size = f"<{len(self.data)} bytes>" if self.data is not None else None
        return f"MediaRef(kind={self.kind!r}, ref={self.ref!r}, data={size})"


@dataclass(frozen=True, slots=True)
class Location:
    lat: float
    lon: float
    name: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One citizen message, the same shape for every channel.

    ``provider_message_id`` is the dedup key (unique per channel). ``sender`` is the
    address replies go to (E.164 phone for SMS/WhatsApp when known, Telegram chat id,
    Facebook PSID, WhatsApp BSUID when no phone); ``sender_user_id`` is the provider's
    stable user id when it is not the phone (WhatsApp BSUID, Telegram user id, PSID) —
    identities must not hang on the phone number alone. ``received_at`` is the provider's
    timestamp (aware UTC) or None: the caller then uses the receipt time.
    """

    channel: str
    provider_message_id: str
    sender: str
    text: str
    sender_phone: str | None = None
    sender_name: str | None = None
    sender_user_id: str | None = None
    recipient: str | None = None
    received_at: datetime | None = None
    media: tuple[MediaRef, ...] = ()
    location: Location | None = None
    edited: bool = False
    message_ref: str | None = None
    raw_ref: str = ""
    #: E-mail: the subject, the message ids it replies to (newest first), and the case one
    #: of our own messages among them names (``services/intake/email``).
    subject: str | None = None
    thread: tuple[str, ...] = ()
    thread_tracking_id: str | None = None


@dataclass(frozen=True, slots=True)
class WebhookAck:
    """What the endpoint answers the provider after accepting a delivery."""

    body: str
    media_type: str = "application/json"
    status_code: int = 200


# -- the interface ---------------------------------------------------------------------------


class ChannelAdapter(ABC):
    """One inbound channel: verify, parse, reply. Instances are stateless singletons."""

    #: Stable channel name, also stored on the case (``twilio``, ``whatsapp``, ...).
    name: ClassVar[str]
    #: The webhook path in the external contract.
    path: ClassVar[str]
    #: True when the provider performs a GET subscription handshake (Meta).
    subscription_handshake: ClassVar[bool] = False

    @abstractmethod
    def enabled(self, settings: Settings) -> bool:
        """False when the channel's inbound secret is unset: the endpoint answers 404."""

    @abstractmethod
    def verify(self, request: InboundRequest, settings: Settings, now: float | None = None) -> None:
        """Raise :class:`SignatureError` unless the request is provably from the provider."""

    @abstractmethod
    def parse(self, request: InboundRequest) -> list[InboundMessage]:
        """Citizen messages in the payload (may be empty: receipts, echoes, other events)."""

    @abstractmethod
    def build_reply(self, to: str, text: str, settings: Settings) -> httpx.Request:
        """The provider API call that sends ``text`` to ``to`` (an ``InboundMessage.sender``).

        Raises :class:`ChannelSendError` (terminal) when the send side is not configured.
        """

    @abstractmethod
    def _provider_message_id(self, response: httpx.Response) -> str:
        """The provider's id for a sent message, from a 2xx answer ("" if absent)."""

    def _error_detail(self, response: httpx.Response) -> str:
        """A short vendor error description from a non-2xx answer."""
        return _json_error_text(response, ("message", "error", "description"))

    def _is_transient(self, response: httpx.Response) -> bool:
        """Whether a non-2xx answer may succeed if the same request is sent later."""
        return response.status_code in TRANSIENT_STATUS_CODES or response.status_code >= 500

    def _secrets(self, settings: Settings) -> list[str]:
        """Values that must never appear in an error message."""
        return []

    def verify_subscription(self, query_params: Mapping[str, str], settings: Settings) -> str:
        """Answer a GET subscription handshake; only Meta channels have one."""
        raise SignatureError(f"{self.name} has no subscription handshake")

    def ack(self, reply_text: str | None = None) -> WebhookAck:
        """The body to answer a verified delivery with. Only Twilio can carry a reply."""
        return WebhookAck(body='{"status":"ok"}')

    async def send_reply(
        self, client: httpx.AsyncClient, to: str, text: str, settings: Settings
    ) -> str:
        """Send ``text`` to ``to`` and return the provider's message id.

        Raises :class:`ChannelSendError`; ``transient`` tells the outbox whether to retry.
        """
        return await self.send_request(client, self.build_reply(to, text, settings), settings)

    async def send_request(
        self, client: httpx.AsyncClient, request: httpx.Request, settings: Settings
    ) -> str:
        """Send a request this adapter built (a reply, a template, a tagged message) and
        return the provider's message id; errors as for :meth:`send_reply`."""
        if "timeout" not in request.extensions and client.timeout == httpx.Timeout(None):
            request.extensions["timeout"] = DEFAULT_SEND_TIMEOUT.as_dict()
        secrets = self._secrets(settings)
        where = scrub(f"{request.method} {request.url}", secrets)
        try:
            response = await client.send(request)
        except httpx.TimeoutException as exc:
            raise ChannelSendError(
                f"{self.name}: timeout ({type(exc).__name__}) on {where}", transient=True
            ) from exc
        except httpx.TransportError as exc:
            raise ChannelSendError(
                f"{self.name}: transport error ({type(exc).__name__}) on {where}",
                transient=True,
            ) from exc
        try:
            await response.aread()
        finally:
            await response.aclose()
        if response.is_success:
            return self._provider_message_id(response)
        status = response.status_code
        detail = scrub(self._error_detail(response), secrets)
        raise ChannelSendError(
            f"{self.name}: provider answered {status} on {where}"
            + (f": {detail}" if detail else ""),
            transient=self._is_transient(response),
            status_code=status,
            retry_after=_retry_after(response),
        )


# -- helpers shared by adapters ----------------------------------------------------------------


def secret_value(secret: Any) -> str:
    """The plain value of a ``SecretStr`` (or str); "" when unset."""
    if secret is None:
        return ""
    getter = getattr(secret, "get_secret_value", None)
    return getter() if getter else str(secret)


def hmac_sha256_hex(key: str, message: bytes) -> str:
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


_TOKEN_IN_URL = re.compile(r"(access_token=)[^&\s]+|(/bot)[^/\s]+(?=/)", re.IGNORECASE)


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove secrets from ``text``: known values, ``access_token=…``, ``/bot<token>/``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return _TOKEN_IN_URL.sub(lambda m: (m.group(1) or m.group(2)) + "***", text)


def unix_to_utc(value: Any, field_name: str, *, millis: bool = False) -> datetime:
    """A provider timestamp (int or numeric string, seconds or ms) as an aware UTC datetime."""
    if isinstance(value, bool):
        raise PayloadError(field_name, "not a timestamp")
    try:
        number = float(value) if isinstance(value, str) else value
        if not isinstance(number, int | float):
            raise TypeError
        seconds = number / 1000 if millis else number
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise PayloadError(field_name, f"not a unix timestamp: {value!r}") from exc


def load_json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or PayloadError("body"). Text that cannot be stored (NUL,
    lone surrogates) is replaced by U+FFFD, keeping the message (``shared/guard.py``)."""
    try:
        payload = load_json(body, repair=True)
    except UnsafeInput as exc:
        raise PayloadError("body", exc.reason) from exc
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise PayloadError("body", "not valid JSON") from exc
    if not isinstance(payload, dict):
        raise PayloadError("body", "expected a JSON object")
    return payload


def require(
    mapping: Mapping[str, Any],
    key: str,
    where: str,
    kind: type | tuple[type, ...],
    *,
    allow_empty: bool = False,
) -> Any:
    """``mapping[key]`` of type ``kind``, or a PayloadError naming ``where.key``.

    Strings must be non-blank unless ``allow_empty`` (message texts may be blank).
    """
    name = f"{where}.{key}" if where else key
    if key not in mapping or mapping[key] is None:
        raise PayloadError(name, "missing")
    value = mapping[key]
    if not isinstance(value, kind) or isinstance(value, bool) and bool not in _as_tuple(kind):
        raise PayloadError(name, f"expected {_kind_name(kind)}")
    if isinstance(value, str) and not allow_empty and not value.strip():
        raise PayloadError(name, "empty")
    return value


def optional_list(mapping: Mapping[str, Any], key: str) -> Any:
    """``mapping[key]``, or an empty list when absent or null (type checked by the caller)."""
    value = mapping.get(key)
    return [] if value is None else value


def optional_str(mapping: Mapping[str, Any], key: str) -> str | None:
    value = mapping.get(key)
    return value if isinstance(value, str) and value else None


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {dict: "an object", list: "a list", str: "a string", int: "an integer"}
    return " or ".join(names.get(k, k.__name__) for k in _as_tuple(kind))


def _json_error_text(response: httpx.Response, keys: Sequence[str]) -> str:
    try:
        payload = response.json()
    except ValueError:
        return ""
    if isinstance(payload, dict):
        for key in keys:
            value = payload.get(key)
            if isinstance(value, dict):  # Meta: {"error": {"message": ..., "code": ...}}
                message = value.get("message")
                code = value.get("code")
                if message:
                    return f"{message} (code {code})" if code is not None else str(message)
            elif isinstance(value, str | int) and value != "":
                code = payload.get("code") or payload.get("error_code")
                return f"{value} (code {code})" if code is not None else str(value)
    return ""


def _retry_after(response: httpx.Response) -> float | None:
    header = response.headers.get("retry-after")
    if header:
        try:
            return float(header)
        except ValueError:
            return None
    try:
        payload = response.json()
    except ValueError:
        return None
    if isinstance(payload, dict):  # Telegram: {"parameters": {"retry_after": 5}}
        parameters = payload.get("parameters")
        if isinstance(parameters, dict) and isinstance(parameters.get("retry_after"), int | float):
            return float(parameters["retry_after"])
    return None
