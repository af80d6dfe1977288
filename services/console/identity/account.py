"""One's own account: change the password (forced after a temporary one), set up
two-factor (forced where the role requires it), see and end one's sessions."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.console import pages
from services.console.deps import (
    ConsoleUser,
    CsrfChecked,
    PageRefused,
    check_csrf,
    page_render,
    set_session_cookie,
)
from services.console.identity.steps import ChangingPassword, Enrolling, go_to_stage
from shared.deps import AppSettings, DbSession
from shared.identity import audit, login, passwords, sessions, totp, users
from shared.identity.audit import Origin, SecurityEventType
from shared.identity.sessions import LiveSession

router = APIRouter(prefix="/konsol", tags=["console"], include_in_schema=False)


def _password_page(
    request: Request, live: LiveSession, errors: list[str], *, status_code: int = 200,
    done: bool = False,
) -> Response:  # fmt: skip
    return pages.render(
        request,
        "sandi.html",
        {
            "csrf": live.row.csrf_token,
            "forced": live.stage == sessions.PASSWORD,
            "errors": errors,
            "done": done,
            "user": live.user if live.stage == sessions.FULL else None,
            "min_length": passwords.MIN_LENGTH,
        },
        status_code=status_code,
    )


@router.get("/sandi")
async def password_form(request: Request, live: ChangingPassword) -> Response:
    return _password_page(request, live, [])


@router.post("/sandi")
async def change_password(
    request: Request, live: ChangingPassword, session: DbSession, settings: AppSettings
) -> Response:
    form = await request.form()
    check_csrf(form, live.row.csrf_token)
    new = str(form.get("baru") or "")[:1000]
    if new != str(form.get("ulangi") or "")[:1000]:
        return _password_page(
            request, live, ["Kedua isian kata sandi baru tidak sama."], status_code=422
        )
    errors = await users.change_password(
        session, live.user, current=str(form.get("lama") or "")[:1000], new=new,
        keep=live.row, origin=Origin.of(request),
    )  # fmt: skip
    if errors:
        return _password_page(request, live, errors, status_code=422)
    if live.stage == sessions.PASSWORD:
        return await go_to_stage(
            session, live, login.stage_after_factors(live.user, settings), settings, None
        )
    return _password_page(request, live, [], done=True)


def _enrol_page(
    request: Request, live: LiveSession, secret: str, *, error: str | None = None,
    status_code: int = 200,
) -> Response:  # fmt: skip
    uri = totp.provisioning_uri(secret, live.user.username)
    return pages.render(
        request,
        "dua_faktor.html",
        {
            "csrf": live.row.csrf_token,
            "forced": live.stage == sessions.ENROL,
            "qr_svg": totp.qr_svg(uri),
            "secret": totp.grouped(secret),
            "error": error,
            "user": live.user if live.stage == sessions.FULL else None,
        },
        status_code=status_code,
    )


@router.get("/dua-faktor")
async def enrol_form(request: Request, live: Enrolling, session: DbSession) -> Response:
    if live.user.totp_enabled:
        return pages.render(
            request, "dua_faktor_aktif.html",
            {"user": live.user, "csrf": live.row.csrf_token,
             "recovery_left": await users.unused_recovery_codes(session, live.user)},
        )  # fmt: skip
    return _enrol_page(request, live, await users.start_enrolment(session, live.user))


@router.post("/dua-faktor")
async def confirm_enrolment(
    request: Request, live: Enrolling, session: DbSession, settings: AppSettings
) -> Response:
    form = await request.form()
    check_csrf(form, live.row.csrf_token)
    if live.user.totp_enabled:
        raise PageRefused(409, "Sudah aktif", "Verifikasi dua langkah akun ini sudah aktif.")
    enrolled = await users.confirm_enrolment(
        session, live.user, str(form.get("kode") or "")[:40], origin=Origin.of(request)
    )
    if enrolled is None:
        secret = await users.start_enrolment(session, live.user)
        return _enrol_page(
            request, live, secret, status_code=422,
            error="Kode tidak cocok. Pastikan jam ponsel tepat, lalu masukkan kode terbaru.",
        )  # fmt: skip
    response = pages.render(
        request, "kode_pemulihan.html", {"codes": enrolled.recovery_codes, "user": None}
    )
    if live.stage == sessions.ENROL:
        raw = await sessions.advance(session, live.row, stage=sessions.FULL, settings=settings)
        set_session_cookie(response, raw, settings)
    return response


@router.get("/sesi")
async def my_sessions(
    request: Request, page: ConsoleUser, session: DbSession, settings: AppSettings
) -> Response:
    rows = await sessions.active_sessions(session, page.user.id, settings)
    return page_render(
        request, page, "sesi.html", {"sessions": rows, "current_id": page.live.row.id}
    )


@router.post("/sesi/{session_id}/akhiri")
async def end_session(
    request: Request, session_id: int, page: CsrfChecked, session: DbSession
) -> Response:
    row = await sessions.session_by_id(session, page.user.id, session_id)
    if row is None:
        raise PageRefused(404, "Tidak ditemukan", "Sesi itu tidak ada atau sudah berakhir.")
    await sessions.revoke(session, row, "ended_by_user")
    audit.record(
        session, SecurityEventType.SESSION_REVOKED, user=page.user, origin=Origin.of(request),
        session_id=row.id,
    )  # fmt: skip
    target = "/konsol/masuk" if row.id == page.live.row.id else "/konsol/sesi"
    return RedirectResponse(target, status_code=303)
