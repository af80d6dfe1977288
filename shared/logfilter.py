"""One filter for every log line: no secret and no reporter's identity reaches a log.

Libraries log what they see: httpx the full URL of each call (the Telegram bot token is in
its path, ``/bot<token>/``; Facebook's ``access_token=`` in its query), uvicorn's access
log the query string (an Open311 ``api_key=``, WhatsApp's ``hub.verify_token=``, a rating
link's ``t=``, a staff search by phone), an exception its message. So the filter works on
the finished text of every record, wherever it comes from:

- every stdlib record (any logger, any handler, pytest's too) through
  :func:`install_record_filter`, which wraps the log-record factory;
- every structlog event through :func:`redact_event`, the last processor before the
  renderer.

It removes the values of secret-bearing query parameters, ``/bot<token>/``, bearer tokens,
every configured secret's value (:func:`register_secrets`), and any NIK, phone number or
e-mail address (``shared/redaction.py``).

>>> redact("GET /open311/v2/requests.json?api_key=k-123&service_code=JALAN")
'GET /open311/v2/requests.json?api_key=[redacted]&service_code=JALAN'
>>> redact("POST https://api.telegram.org/bot123:ABC/sendMessage")
'POST https://api.telegram.org/bot[redacted]/sendMessage'
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable
from typing import Any

from shared.redaction import scrub_identity

MASK = "[redacted]"
#: Query (and form) parameters whose value is a secret or a search a person typed.
SECRET_PARAMETERS = (
    "access_token",
    "api_key",
    "apikey",
    "hub.verify_token",
    "verify_token",
    "token",
    "t",
    "q",
    "secret",
    "password",
    "signature",
    "sig",
)
_PARAMETER = re.compile(
    r"(?<![\w.-])((?:" + "|".join(re.escape(p) for p in SECRET_PARAMETERS) + r")=)[^&\s\"']*",
    re.IGNORECASE,
)
_BOT_TOKEN = re.compile(r"(/bot)[^/\s]+(?=/)")
_BEARER = re.compile(r"\b(Bearer\s+)[\w.~+/=-]+", re.IGNORECASE)
#: A cheap first look: text without any of these has nothing to redact.
_SUSPECT = re.compile(r"=|/bot|bearer|@|\d{6}", re.IGNORECASE)

_secrets: set[str] = set()
#: Configured secrets shorter than this are not searched for (they would mask digits).
MIN_SECRET = 6


def register_secrets(values: Iterable[str]) -> None:
    """Mask these values wherever they appear (the process's configured secrets)."""
    _secrets.update(v for v in values if v and len(v) >= MIN_SECRET)


def redact(text: str) -> str:
    """``text`` without secrets or identity (see the module's docstring)."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    if not _SUSPECT.search(text):
        return text
    text = _PARAMETER.sub(lambda m: m.group(1) + MASK, text)
    text = _BOT_TOKEN.sub(lambda m: m.group(1) + MASK, text)
    text = _BEARER.sub(lambda m: m.group(1) + MASK, text)
    return scrub_identity(text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(v) for v in value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, BaseException):
        return redact(repr(value))
    return value


def redact_event(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: every value of the event, redacted (after ``format_exc_info``,
    so a traceback's text is redacted too)."""
    return {key: _redact_value(value) for key, value in event.items()}


_installed = False


def install_record_filter() -> None:
    """Redact every stdlib log record as it is made (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    make_record = logging.getLogRecordFactory()

    def redacted_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: keep the raw text
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)))
            record.exc_text = record.exc_text.rstrip("\n")
        return record

    logging.setLogRecordFactory(redacted_record)
