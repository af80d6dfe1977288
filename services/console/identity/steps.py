"""What the identity pages share: the half-done login session, the pre-login CSRF cookie,
moving a session to its next stage."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.console.deps import (
    HOME_URL,
    STAGE_URLS,
    LoginRequired,
    check_csrf,
    login_url,
    safe_next,
    set_session_cookie,
)
from shared.auth import staff_session
from shared.config import Settings
from shared.deps import DbSession
from shared.identity import sessions
from shared.identity.sessions import LiveSession

#: Before a session exists, the login form is protected by a double-submit token: a
#: random value in this cookie (HttpOnly, SameSite=Strict, path /konsol) and in the form.
PRELOGIN_COOKIE = "simpul_konsol_csrf"


def prelogin_token(request: Request) -> str:
    token = request.cookies.get(PRELOGIN_COOKIE)
    return token if token and len(token) <= 100 else secrets.token_urlsafe(32)


def set_prelogin_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        PRELOGIN_COOKIE, token, httponly=True, samesite="strict", path="/konsol",
        secure=settings.secure_cookies,
    )  # fmt: skip


def check_prelogin_csrf(request: Request, form: dict) -> None:
    cookie = request.cookies.get(PRELOGIN_COOKIE, "")
    if not cookie:
        check_csrf(form, secrets.token_urlsafe(32))  # always refused
    check_csrf(form, cookie)


async def _session_at(request: Request, session: DbSession, stages: tuple[str, ...]) -> LiveSession:
    live = await staff_session(request, session)
    if live is None:
        raise LoginRequired(login_url(None))
    if live.stage not in stages:
        raise LoginRequired(HOME_URL if live.stage == sessions.FULL else STAGE_URLS[live.stage])
    return live


async def awaiting_code(request: Request, session: DbSession) -> LiveSession:
    return await _session_at(request, session, (sessions.TOTP,))


async def changing_password(request: Request, session: DbSession) -> LiveSession:
    """A forced change (stage ``password``) or a logged-in officer changing theirs."""
    return await _session_at(request, session, (sessions.PASSWORD, sessions.FULL))


async def enrolling(request: Request, session: DbSession) -> LiveSession:
    return await _session_at(request, session, (sessions.ENROL, sessions.FULL))


AwaitingCode = Annotated[LiveSession, Depends(awaiting_code)]
ChangingPassword = Annotated[LiveSession, Depends(changing_password)]
Enrolling = Annotated[LiveSession, Depends(enrolling)]


async def go_to_stage(
    session: DbSession, live: LiveSession, stage: str, settings: Settings, next_path: str | None
) -> Response:
    """Move ``live`` to ``stage`` under a new id and send the browser where it continues."""
    raw = await sessions.advance(session, live.row, stage=stage, settings=settings)
    target = safe_next(next_path) if stage == sessions.FULL else STAGE_URLS[stage]
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, raw, settings)
    return response
