"""``/konsol/masuk`` (username + password, then the code where two-factor is on) and
``/konsol/keluar`` (this session, or every session of the account).

One message for every refused login — unknown username, wrong password, deactivated or
locked account — so the page never tells whether an account exists.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.console import pages
from services.console.deps import (
    HOME_URL,
    STAGE_URLS,
    CsrfChecked,
    check_csrf,
    clear_session_cookie,
    safe_next,
    set_session_cookie,
)
from services.console.identity.steps import (
    AwaitingCode,
    check_prelogin_csrf,
    go_to_stage,
    prelogin_token,
    set_prelogin_cookie,
)
from shared.auth import staff_session
from shared.deps import AppSettings, DbSession
from shared.identity import audit, login, sessions
from shared.identity.audit import Origin, SecurityEventType

router = APIRouter(prefix="/konsol", tags=["console"], include_in_schema=False)

REFUSED = (
    "Nama pengguna atau kata sandi salah, atau akun sedang dikunci sementara setelah "
    "terlalu banyak percobaan. Periksa lalu coba lagi, atau hubungi Admin Instansi."
)
CODE_REFUSED = "Kode salah, sudah dipakai, atau kedaluwarsa. Masukkan kode terbaru dari aplikasi."
THROTTLED = (
    "Terlalu banyak percobaan masuk yang gagal dari sambungan ini. "
    "Tunggu {minutes} menit lalu coba lagi."
)


def _login_page(
    request: Request, settings: AppSettings, *, error: str | None = None, status_code: int = 200,
    username: str = "",
) -> Response:  # fmt: skip
    token = prelogin_token(request)
    response = pages.render(
        request,
        "masuk.html",
        {
            "error": error,
            "username": username,
            "prelogin_csrf": token,
            "lanjut": safe_next(request.query_params.get("lanjut")),
        },
        status_code=status_code,
    )
    set_prelogin_cookie(response, token, settings)
    return response


@router.get("/masuk")
async def login_form(request: Request, session: DbSession, settings: AppSettings) -> Response:
    live = await staff_session(request, session)
    if live is not None:
        target = HOME_URL if live.stage == sessions.FULL else STAGE_URLS[live.stage]
        return RedirectResponse(target, status_code=303)
    return _login_page(request, settings)


@router.post("/masuk")
async def log_in(request: Request, session: DbSession, settings: AppSettings) -> Response:
    form = await request.form()
    check_prelogin_csrf(request, form)
    username = str(form.get("username") or "")[:200]
    password = str(form.get("password") or "")[:1000]
    origin = Origin.of(request)
    outcome = await login.check_password(session, settings, username, password, origin)
    if outcome.result == login.THROTTLED:
        message = THROTTLED.format(minutes=settings.login_lockout_minutes)
        return _login_page(request, settings, error=message, status_code=429, username=username)
    if not outcome.ok or outcome.user is None:
        return _login_page(request, settings, error=REFUSED, status_code=401, username=username)
    previous = await staff_session(request, session)
    if previous is not None:
        await sessions.revoke(session, previous.row, "replaced")
    _row, raw = await sessions.open_session(
        session, outcome.user, stage=outcome.result, origin=origin, settings=settings
    )
    target = (
        safe_next(str(form.get("lanjut") or ""))
        if outcome.result == sessions.FULL
        else STAGE_URLS[outcome.result]
    )
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, raw, settings)
    return response


@router.get("/masuk/kode")
async def code_form(request: Request, live: AwaitingCode) -> Response:
    return pages.render(request, "kode.html", {"csrf": live.row.csrf_token, "error": None})


@router.post("/masuk/kode")
async def enter_code(
    request: Request, live: AwaitingCode, session: DbSession, settings: AppSettings
) -> Response:
    form = await request.form()
    check_csrf(form, live.row.csrf_token)
    code = str(form.get("kode") or "")[:40]
    outcome = await login.check_second_factor(
        session, settings, live.user, code, Origin.of(request)
    )
    if outcome.ok:
        return await go_to_stage(session, live, outcome.result, settings, None)
    if outcome.result == login.THROTTLED or login.is_locked(live.user):
        await sessions.revoke(session, live.row, "login_failed")
        response = _login_page(request, settings, error=REFUSED, status_code=401)
        clear_session_cookie(response, settings)
        return response
    return pages.render(
        request, "kode.html", {"csrf": live.row.csrf_token, "error": CODE_REFUSED}, status_code=401
    )


@router.post("/keluar")
async def log_out(
    request: Request, page: CsrfChecked, session: DbSession, settings: AppSettings
) -> Response:
    await sessions.revoke(session, page.live.row, "logout")
    audit.record(session, SecurityEventType.LOGOUT, user=page.user, origin=Origin.of(request))
    response = RedirectResponse("/konsol/masuk?keluar=1", status_code=303)
    clear_session_cookie(response, settings)
    return response


@router.post("/keluar-semua")
async def log_out_everywhere(
    request: Request, page: CsrfChecked, session: DbSession, settings: AppSettings
) -> Response:
    ended = await sessions.revoke_all(session, page.user, "logout_everywhere")
    audit.record(
        session, SecurityEventType.LOGOUT_EVERYWHERE, user=page.user, origin=Origin.of(request),
        sessions_ended=ended,
    )  # fmt: skip
    response = RedirectResponse("/konsol/masuk?keluar=semua", status_code=303)
    clear_session_cookie(response, settings)
    return response
