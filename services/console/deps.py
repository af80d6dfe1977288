"""What every console page builds on: the logged-in officer, and the CSRF check.

A page that shows something to a logged-in officer takes :data:`ConsoleUser`; a form
that changes something takes :data:`CsrfChecked` instead (the same, plus the check);
role-restricted pages add :func:`require_console_roles`::

    from services.console.deps import ConsolePage, ConsoleUser, CsrfChecked, page_render

    @router.get("/konsol/contoh")
    async def example(request: Request, page: ConsoleUser, session: DbSession) -> Response:
        # page.actor: the shared.auth.Actor (the person: role, OPD) for readable_cases &c.
        return page_render(request, page, "contoh.html", {"cases": ...})

    @router.post("/konsol/contoh", dependencies=[require_console_roles("admin_instansi")])
    async def change(request: Request, page: CsrfChecked, session: DbSession) -> Response:
        note = page.form.get("note")  # the form is read and its token checked already
        ...
        return RedirectResponse("/konsol/contoh", status_code=303)

- Not logged in (no session, expired, revoked, account deactivated): a ``GET`` is
  redirected (303) to ``/konsol/masuk?lanjut=<this page>``, anything else answers 401
  with the same link. A login still half-done goes back to its step.
- A form without the session's CSRF token answers 403 and nothing is changed (the
  check runs before the endpoint). Templates put it in every POST form as
  ``<input type="hidden" name="csrf" value="{{ csrf }}">`` (``page_render`` provides
  ``csrf``; see ``templates/base.html``).
- A role the page does not admit: 403 with the reason, as a page.
- Every page's answer is ``no-store`` and carries the CSP of ``pages.SECURITY_HEADERS``.

The session itself (cookie, stages, expiry, revocation) is ``shared/identity/sessions``;
the cookie is set and cleared only here (:func:`set_session_cookie`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from services.console import navigation, pages
from shared.auth import Actor, actor_for_user, staff_session
from shared.config import Settings
from shared.deps import DbSession
from shared.identity import sessions
from shared.identity.sessions import SESSION_COOKIE, LiveSession
from shared.lifecycle import Role
from shared.models.identity import StaffUser

CSRF_FIELD = "csrf"
LOGIN_URL = "/konsol/masuk"
HOME_URL = "/konsol/"
#: Where each half-done login stage continues.
STAGE_URLS = {
    sessions.TOTP: "/konsol/masuk/kode",
    sessions.PASSWORD: "/konsol/sandi",
    sessions.ENROL: "/konsol/dua-faktor",
}


@dataclass(frozen=True)
class ConsolePage:
    """The officer behind a console request."""

    live: LiveSession
    actor: Actor
    #: The form of a POST, read and CSRF-checked (``CsrfChecked``); None on a GET.
    form: FormData | None = None

    @property
    def user(self) -> StaffUser:
        return self.live.user

    @property
    def csrf(self) -> str:
        return self.live.row.csrf_token


# -- answers as pages (registered on the console's app in ``app.py``) ------------------------


class LoginRequired(Exception):
    """No live session: go to the login page (or back to a half-done login step)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class PageRefused(Exception):
    """A refusal shown as a page: a forged form (403), a role not admitted (403), ..."""

    def __init__(self, status_code: int, heading: str, message: str) -> None:
        super().__init__(message)
        self.status_code, self.heading, self.message = status_code, heading, message


async def login_required_page(request: Request, exc: LoginRequired) -> Response:
    if request.method in ("GET", "HEAD"):
        return RedirectResponse(exc.location, status_code=303, headers=pages.SECURITY_HEADERS)
    return error_page(
        request, 401, "Sesi berakhir", "Sesi Anda sudah berakhir. Silakan masuk lagi.", exc.location
    )


async def refused_page(request: Request, exc: PageRefused) -> Response:
    return error_page(request, exc.status_code, exc.heading, exc.message)


EXCEPTION_HANDLERS = {LoginRequired: login_required_page, PageRefused: refused_page}


def error_page(
    request: Request, status_code: int, heading: str, message: str, back_url: str = HOME_URL
) -> HTMLResponse:
    return pages.render(
        request,
        "galat.html",
        {"heading": heading, "message": message, "back_url": back_url},
        status_code=status_code,
    )


# -- the dependencies -----------------------------------------------------------------------


def safe_next(value: str | None) -> str:
    """A local path to go to after login (never another site: ``//x`` or ``\\x`` refused)."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")) and len(value) < 500:
        return value
    return HOME_URL


def login_url(next_path: str | None = None) -> str:
    target = safe_next(next_path)
    return LOGIN_URL if target == HOME_URL else f"{LOGIN_URL}?lanjut={quote(target, safe='/')}"


async def console_user(request: Request, session: DbSession) -> ConsolePage:
    """The logged-in officer (a session at stage ``full``), or :class:`LoginRequired`."""
    live = await staff_session(request, session)
    if live is None:
        raise LoginRequired(login_url(request.url.path))
    if live.stage != sessions.FULL:
        raise LoginRequired(STAGE_URLS[live.stage])
    return ConsolePage(live=live, actor=actor_for_user(live.user))


def check_csrf(form: FormData, expected: str) -> None:
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not secrets.compare_digest(sent.encode(), expected.encode()):
        raise PageRefused(
            403,
            "Formulir tidak dapat diproses",
            "Formulir ini tidak sah atau sudah kedaluwarsa, dan tidak ada yang diubah. "
            "Muat ulang halaman lalu kirim lagi.",
        )


async def csrf_checked(
    request: Request, page: Annotated[ConsolePage, Depends(console_user)]
) -> ConsolePage:
    """:func:`console_user`, and the form's CSRF token must be the session's (403 otherwise)."""
    form = await request.form()
    check_csrf(form, page.csrf)
    return ConsolePage(live=page.live, actor=page.actor, form=form)


ConsoleUser = Annotated[ConsolePage, Depends(console_user)]
CsrfChecked = Annotated[ConsolePage, Depends(csrf_checked)]


def require_console_roles(*roles: Role | str) -> Any:
    """A dependency admitting only ``roles`` (a 403 page with the reason otherwise)."""
    allowed = frozenset(Role(r) for r in roles)

    async def _check(page: ConsoleUser) -> ConsolePage:
        if page.actor.role not in allowed:
            names = ", ".join(pages.ROLE_LABELS.get(str(r), str(r)) for r in sorted(allowed))
            raise PageRefused(403, "Tidak berhak", f"Halaman ini hanya untuk: {names}.")
        return page

    return Depends(_check)


def page_render(
    request: Request,
    page: ConsolePage | None,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """:func:`pages.render` with the officer, the navigation and the CSRF token in context."""
    values = {
        "page": page,
        "user": page.user if page else None,
        "csrf": page.csrf if page else "",
        "menu": navigation.menu_for(str(page.actor.role)) if page else (),
        "account_menu": navigation.ACCOUNT,
    }
    return pages.render(request, template, {**values, **(context or {})}, status_code=status_code)


# -- the session cookie ------------------------------------------------------------------


def set_session_cookie(response: Response, raw: str, settings: Settings) -> None:
    """HttpOnly (no script reads it), SameSite=Lax (other sites' forms do not send it; a
    link from an e-mail still arrives logged in), Secure when the public URL is https.
    No max-age: it ends with the browser; the server ends it sooner (idle, absolute)."""
    response.set_cookie(
        SESSION_COOKIE, raw, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/"
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/"
    )
