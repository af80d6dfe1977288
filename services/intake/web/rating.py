"""Reporters rating the handling of their case on the web (``/lacak/{id}/nilai``).

Knowing a tracking ID is not proof of being the reporter, so the rating link carries a
token: an HMAC-SHA256 over the tracking ID, keyed by a server secret that only the
reporter's ``resolved`` notification reveals. The key lives in ``{data_dir}/rating.key``
(32 random bytes, mode 0600), generated on first use; deleting it invalidates every
rating link already sent.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Actor
from shared.cases.events import CaseEvent
from shared.config import Settings
from shared.events import emit
from shared.lifecycle import Role
from shared.models import Case

KEY_FILE = "rating.key"
KEY_BYTES = 32
MAX_COMMENT = 500
#: Statuses in which a case may be rated: the handling is over.
RATEABLE = frozenset({"resolved", "closed"})
SCORES = (
    (1, "1 — Sangat tidak puas"),
    (2, "2 — Tidak puas"),
    (3, "3 — Cukup"),
    (4, "4 — Puas"),
    (5, "5 — Sangat puas"),
)
WEB_RATER = Actor(type="reporter", id="channel:web", name=None, role=Role.REPORTER)


def rating_key(settings: Settings) -> bytes:
    """The server's rating secret, created (0600) on first use."""
    path = Path(settings.data_dir) / KEY_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its key
        return path.read_bytes()
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


def rating_token(settings: Settings, tracking_id: str) -> str:
    return hmac.new(rating_key(settings), tracking_id.encode(), hashlib.sha256).hexdigest()


def token_valid(settings: Settings, tracking_id: str, token: str | None) -> bool:
    if not token or len(token) > 128:
        return False
    return hmac.compare_digest(rating_token(settings, tracking_id).encode(), token.encode())


def rating_url(settings: Settings, tracking_id: str) -> str:
    """The link sent in the ``resolved`` notification."""
    base = settings.public_base_url.rstrip("/")
    return f"{base}/lacak/{tracking_id}/nilai?t={rating_token(settings, tracking_id)}"


async def record_rating(
    session: AsyncSession, case: Case, score: int, comment: str | None, actor: Actor
) -> None:
    """Store the reporter's rating and write ``case.rated`` (callers check eligibility)."""
    case.rating = score
    case.rating_comment = comment or None
    case.rating_source = None  # the reporter's own: reports use it (over a LAPOR! one)
    await session.flush()
    via = actor.id.removeprefix("channel:") if actor.id else "web"
    await emit(
        session,
        CaseEvent.RATED,
        actor,
        case_id=case.id,
        data={"rating": score, "via": via, "has_comment": bool(comment)},
    )
