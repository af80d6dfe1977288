r"""One guard for what no input may hold: NUL characters, lone UTF-16 surrogates, JSON nested
past any real payload, and the JSON constants ``NaN`` / ``Infinity``.

Why: PostgreSQL cannot store U+0000 in text; a lone surrogate (``"\ud800"``) cannot be
encoded as UTF-8 at all; ``json.loads`` recurses once per level and a body of 100,000
``[`` raises ``RecursionError``. Each used to surface as a 500 somewhere deep (the database
driver, a log renderer, the group commit). Here they are found once, at the edge:

- :class:`RequestGuardMiddleware` refuses them in every request's path, query string and
  JSON or form body with a 4xx that says what was wrong (``400 invalid_characters``,
  ``400 too_deeply_nested``), before any handler runs;
- except the provider webhooks (``/webhooks/...``): a provider retries a refused delivery
  for days, and its signature covers the raw bytes, so the body is passed on unchanged and
  the adapter reads it with :func:`load_json` (``repair=True``), which replaces what cannot
  be stored with U+FFFD and keeps the message.

>>> find_unsafe_json(rb'{"a": "\u0000"}')
'a NUL character (\\u0000)'
>>> find_unsafe_json(rb'{"a": "\\u0000"}') is None  # an escaped backslash, then "u0000"
True
>>> load_json(rb'["\ud800x"]', repair=True) == ["\ufffdx"]
True
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Deeper JSON than this is refused. Simpul's deepest payload (a WhatsApp Cloud API
#: delivery) nests 7 levels; providers' envelopes may grow, never by tens.
MAX_JSON_DEPTH = 32
#: Paths whose bodies go unchanged to a signature check and are repaired after it.
PROVIDER_PREFIX = "/webhooks/"
#: Replaces what cannot be stored, in repaired provider text.
REPLACEMENT = "\ufffd"

# A ``\u`` escape of NUL or of a surrogate, with the backslashes before it (an even number
# of them means the backslash is itself escaped and the "u" is plain text).
_ESCAPE = re.compile(rb"(\\+)u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
# Surrogates written raw: CESU-style bytes, which Python's JSON decoder lets through.
_RAW_SURROGATE = re.compile(rb"\xed[\xa0-\xbf]")
_STRUCTURE = re.compile(rb'[\[\]{}"\\]')
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_FORM_TYPE = b"application/x-www-form-urlencoded"


class UnsafeInput(ValueError):
    """``reason`` names what was found (never the input itself); ``code`` is the API code."""

    def __init__(self, reason: str, code: str = "invalid_characters") -> None:
        super().__init__(reason)
        self.reason, self.code = reason, code


TOO_DEEP = f"JSON nested deeper than {MAX_JSON_DEPTH} levels"


def _unsafe(problem: str) -> UnsafeInput:
    return UnsafeInput(
        problem, "too_deeply_nested" if problem == TOO_DEEP else "invalid_characters"
    )


def _is_high(hex4: bytes) -> bool:
    return hex4[1:2].lower() in (b"8", b"9", b"a", b"b")


def find_unsafe_json(raw: bytes) -> str | None:
    """What in the JSON text ``raw`` no field may hold, or None. Costs a few substring
    searches on an ordinary body; walks the escapes only when there are some."""
    if _RAW_SURROGATE.search(raw):
        return "a lone UTF-16 surrogate"
    if b"\\u" in raw:
        pending_high = -1  # end offset of a high surrogate waiting for its low half
        for match in _ESCAPE.finditer(raw):
            if len(match.group(1)) % 2 == 0:
                continue
            value = match.group(2)
            if value == b"0000":
                return "a NUL character (\\u0000)"
            if _is_high(value):
                if pending_high >= 0:
                    return "a lone UTF-16 surrogate"
                pending_high = match.end()
            elif pending_high == match.start(1) + len(match.group(1)) - 1:
                pending_high = -1  # the low half right after its high half: a pair
            else:
                return "a lone UTF-16 surrogate"
        if pending_high >= 0:
            return "a lone UTF-16 surrogate"
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and _depth(raw) > MAX_JSON_DEPTH:
        return TOO_DEEP
    return None


def _depth(raw: bytes) -> int:
    """The deepest nesting of ``[``/``{`` outside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for match in _STRUCTURE.finditer(raw):
        char = match.group()
        if escaped and match.start() == escaped:
            escaped = False
            continue
        escaped = False
        if char == b"\\":
            escaped = match.end()  # the next character is taken literally
        elif char == b'"':
            in_string = not in_string
        elif in_string:
            continue
        elif char in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def find_unsafe_text(value: str) -> str | None:
    """What in an already-decoded text no field may hold, or None."""
    if "\x00" in value:
        return "a NUL character (\\u0000)"
    if _LONE_SURROGATE.search(value):
        return "a lone UTF-16 surrogate"
    return None


def repair_text(value: str) -> str:
    """``value`` with NUL and lone surrogates replaced by U+FFFD (a provider's message is
    kept; only what cannot be stored is lost)."""
    return _LONE_SURROGATE.sub(REPLACEMENT, value.replace("\x00", REPLACEMENT))


def _repair(node: Any) -> Any:
    if isinstance(node, str):
        return repair_text(node)
    if isinstance(node, list):
        return [_repair(item) for item in node]
    if isinstance(node, dict):
        return {repair_text(key): _repair(value) for key, value in node.items()}
    return node


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_json(raw: bytes | str, *, repair: bool = False) -> Any:
    """``json.loads`` for untrusted bodies: ``NaN``/``Infinity`` and numbers too large for a
    float refused, nesting bounded; NUL and lone surrogates refused — or, with ``repair``
    (provider text), replaced by U+FFFD. Raises :class:`UnsafeInput` or ``ValueError``."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    problem = find_unsafe_json(data)
    if problem is not None and (not repair or problem == TOO_DEEP):
        raise _unsafe(problem)
    value = json.loads(data, parse_constant=_no_constants, parse_float=_finite_float)
    return _repair(value) if problem is not None else value


def _finite_float(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise ValueError(f"{text[:20]} is too large a number")
    return number


#: The largest integer a BIGINT column holds (PostgreSQL and SQLite alike).
MAX_STORED_INT = 2**63 - 1
#: What :func:`stored_int` returns for a value that is not a storable id.
INVALID: Any = object()


def stored_int(value: Any) -> int | None | Any:
    """An id from a JSON payload (an int, or an integral float or numeric string as some
    senders write them) as an ``int`` from 1 to :data:`MAX_STORED_INT`; None for None;
    :data:`INVALID` for anything else (``True``, ``1e400``, ``10**30``, ``"abc"``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return INVALID
    if isinstance(value, float):
        if not value.is_integer():
            return INVALID
        value = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.isdigit() or len(text) > 19:
            return INVALID
        value = int(text)
    if not isinstance(value, int) or not 1 <= value <= MAX_STORED_INT:
        return INVALID
    return value


def _query_has_nul(query: bytes) -> bool:
    return b"%00" in query or b"\x00" in query


class RequestGuardMiddleware:
    """Refuse a request whose path, query or JSON/form body holds what no field may hold,
    with one 400 that says what (see the module's docstring). Provider webhooks' bodies
    pass unchanged (their adapters repair them after checking the signature)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or _query_has_nul(scope.get("query_string") or b""):
            await _refuse(scope, receive, send, UnsafeInput("a NUL character (%00) in the URL"))
            return
        kind = _body_kind(scope)
        if kind is None or scope["path"].startswith(PROVIDER_PREFIX):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        problem = find_unsafe_json(body) if kind == "json" else _find_unsafe_form(body)
        if problem is not None:
            await _refuse(scope, receive, send, _unsafe(problem))
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body}], receive), send)


def _find_unsafe_form(body: bytes) -> str | None:
    return "a NUL character (%00)" if _query_has_nul(body) else None


def _body_kind(scope: Scope) -> str | None:
    if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return None
    for name, value in scope.get("headers") or ():
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            if media == b"application/json" or media.endswith(b"+json"):
                return "json"
            return "form" if media == _FORM_TYPE else None
    return "json"  # FastAPI reads a body without a Content-Type as JSON


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is None:
            return {"type": "http.disconnect"}
        return await then()

    return receive


async def _refuse(scope: Scope, receive: Receive, send: Send, problem: UnsafeInput) -> None:
    from shared.errors import error_response

    message = f"the request holds {problem.reason}, which no field accepts"
    await error_response(400, problem.code, message)(scope, receive, send)
