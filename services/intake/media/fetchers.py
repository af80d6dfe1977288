"""How each provider's media is fetched: a reference in, bytes out (bounded), or a reason.

* WhatsApp Cloud API: ``GET /<media id>`` with the access token answers a short-lived
  URL (and the file's ``sha256``); the URL is fetched with the same token.
* Telegram: ``getFile`` answers a ``file_path``; the file is at
  ``/file/bot<token>/<file_path>``.
* Twilio (MMS, WhatsApp through Twilio): ``MediaUrlN``, with the account's basic auth when
  the URL is Twilio's own (media may be protected); it redirects to storage.
* Facebook Messenger: ``payload.url``, a CDN link.

Downloads stream and stop past the size limit (:class:`FetchRefused`, never retried); a
network error or a 5xx/429 is :class:`FetchTransient` (retried by the caller, bounded).
Secrets never appear in a reason (``scrub``).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from services.intake.channels.base import TRANSIENT_STATUS_CODES, scrub, secret_value
from shared.config import Settings

FETCH_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
TWILIO_MEDIA_HOSTS = ("api.twilio.com",)


class FetchError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FetchTransient(FetchError):
    """May succeed later (network, 5xx, 429): retried, a bounded number of times."""


class FetchRefused(FetchError):
    """Will not succeed (too large, gone, forbidden, not configured): kept as a reference."""


@dataclass(frozen=True, slots=True)
class Fetched:
    data: bytes
    #: The provider's checksum of the file, when it gives one (WhatsApp ``sha256``).
    sha256: str | None = None


def _secrets(settings: Settings) -> list[str]:
    return [
        secret_value(settings.whatsapp_access_token),
        secret_value(settings.telegram_bot_token),
        secret_value(settings.twilio_auth_token),
        secret_value(settings.facebook_page_token),
    ]


async def download(
    client: httpx.AsyncClient,
    url: str,
    settings: Settings,
    max_bytes: int,
    *,
    headers: dict[str, str] | None = None,
    auth: httpx.Auth | None = None,
) -> bytes:
    """GET ``url`` into memory, refusing anything over ``max_bytes`` (by header or by count)."""
    if urlsplit(url).scheme != "https":
        raise FetchRefused("media URL is not https")
    where = scrub(url.split("?")[0], _secrets(settings))
    try:
        async with client.stream(
            "GET", url, headers=headers, auth=auth, follow_redirects=True, timeout=FETCH_TIMEOUT
        ) as response:
            if response.status_code in TRANSIENT_STATUS_CODES or response.status_code >= 500:
                raise FetchTransient(f"provider answered {response.status_code} on {where}")
            if not response.is_success:
                raise FetchRefused(f"provider answered {response.status_code} on {where}")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchRefused(f"too large: {declared} bytes (limit {max_bytes})")
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchRefused(f"too large: over {max_bytes} bytes")
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.TransportError as exc:
        raise FetchTransient(f"{type(exc).__name__} on {where}") from exc


async def _json(client: httpx.AsyncClient, url: str, settings: Settings, **kw) -> dict:
    where = scrub(url.split("?")[0], _secrets(settings))
    try:
        response = await client.get(url, timeout=FETCH_TIMEOUT, **kw)
    except httpx.TransportError as exc:
        raise FetchTransient(f"{type(exc).__name__} on {where}") from exc
    if response.status_code in TRANSIENT_STATUS_CODES or response.status_code >= 500:
        raise FetchTransient(f"provider answered {response.status_code} on {where}")
    if not response.is_success:
        raise FetchRefused(f"provider answered {response.status_code} on {where}")
    try:
        payload = response.json()
    except ValueError as exc:
        raise FetchRefused(f"not JSON from {where}") from exc
    if not isinstance(payload, dict):
        raise FetchRefused(f"unexpected answer from {where}")
    return payload


async def fetch_whatsapp(
    client: httpx.AsyncClient, media_id: str, settings: Settings, max_bytes: int
) -> Fetched:
    token = secret_value(settings.whatsapp_access_token)
    if not token:
        raise FetchRefused("SIMPUL_WHATSAPP_ACCESS_TOKEN is not set")
    auth = {"Authorization": f"Bearer {token}"}
    meta = await _json(
        client, f"{settings.whatsapp_api_base_url.rstrip('/')}/{media_id}", settings, headers=auth
    )
    url = meta.get("url")
    if not isinstance(url, str) or not url:
        raise FetchRefused("the media id has no URL (expired?)")
    size = meta.get("file_size")
    if isinstance(size, int) and size > max_bytes:
        raise FetchRefused(f"too large: {size} bytes (limit {max_bytes})")
    data = await download(client, url, settings, max_bytes, headers=auth)
    checksum = meta.get("sha256")
    return Fetched(data, checksum if isinstance(checksum, str) else None)


async def fetch_telegram(
    client: httpx.AsyncClient, file_id: str, settings: Settings, max_bytes: int
) -> Fetched:
    token = secret_value(settings.telegram_bot_token)
    if not token:
        raise FetchRefused("SIMPUL_TELEGRAM_BOT_TOKEN is not set")
    base = settings.telegram_api_base_url.rstrip("/")
    answer = await _json(
        client, f"{base}/bot{token}/getFile", settings, params={"file_id": file_id}
    )
    result = answer.get("result") if answer.get("ok") else None
    path = result.get("file_path") if isinstance(result, dict) else None
    if not isinstance(path, str) or not path:
        raise FetchRefused("getFile gave no file_path (too large for bots, or gone)")
    size = result.get("file_size")
    if isinstance(size, int) and size > max_bytes:
        raise FetchRefused(f"too large: {size} bytes (limit {max_bytes})")
    return Fetched(await download(client, f"{base}/file/bot{token}/{path}", settings, max_bytes))


async def fetch_url(
    client: httpx.AsyncClient, adapter: str, url: str, settings: Settings, max_bytes: int
) -> Fetched:
    """Twilio's and Facebook's media URLs (Twilio's own host with the account's auth)."""
    auth = None
    host = urlsplit(url).hostname or ""
    if adapter == "twilio" and host in TWILIO_MEDIA_HOSTS and settings.twilio_account_sid:
        auth = httpx.BasicAuth(
            settings.twilio_account_sid, secret_value(settings.twilio_auth_token)
        )
    return Fetched(await download(client, url, settings, max_bytes, auth=auth))


async def fetch(
    client: httpx.AsyncClient, adapter: str, reference: str, settings: Settings, max_bytes: int
) -> Fetched:
    """The bytes behind ``reference`` as the attachment row keeps it."""
    if reference.startswith("whatsapp-media:"):
        return await fetch_whatsapp(client, reference.split(":", 1)[1], settings, max_bytes)
    if reference.startswith("telegram-media:"):
        return await fetch_telegram(client, reference.split(":", 1)[1], settings, max_bytes)
    if reference.startswith(("https://", "http://")):
        return await fetch_url(client, adapter, reference, settings, max_bytes)
    raise FetchRefused(f"no way to fetch {adapter} media")
