"""Citizen web pages (CONTRACT.md, "Web"): ``/lapor`` form, ``/lacak`` tracking.

Bahasa Indonesia, no JavaScript, accessible. The form is protected against cross-site
posts by a double-submit token: ``GET /lapor`` sets a random token in an HttpOnly,
SameSite=Strict cookie and in a hidden field; ``POST /lapor`` must carry both, equal.
Posts are rate-limited per client address. The tracking page shows what the public API
shows (``complaints.service.public_view``): status and timeline, never personal data; a
rahasia case shows its status alone.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.intake.complaints.service import public_view
from services.intake.web import pages, service
from shared.cases.service import get_by_tracking_id
from shared.deps import DbSession
from shared.errors import RateLimited
from shared.ratelimit import get_rate_limiter
from shared.tracking import normalize

router = APIRouter(tags=["web"], include_in_schema=False)

CSRF_COOKIE = "simpul_csrf"
CSRF_FIELD = "csrf_token"
#: Complaints one client address may post per minute (a family sharing a connection
#: still fits; a script does not).
WEB_FORM_PER_MIN = 10
WEB_FORM_SCOPE = "web_form"
_CSS = (pages.STATIC_DIR / "simpul.css").read_bytes()


@router.get(pages.CSS_URL)
async def stylesheet() -> Response:
    return Response(_CSS, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


async def _form_page(
    request: Request,
    session: DbSession,
    form: service.ComplaintForm,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    token = request.cookies.get(CSRF_COOKIE)
    if not token or len(token) > 100:
        token = secrets.token_urlsafe(32)
    response = pages.render(
        request,
        "lapor.html",
        {
            "form": form,
            "errors": errors,
            "csrf_token": token,
            "categories": await service.categories(session),
            "kecamatans": await service.kecamatans(session),
            "kinds": service.KIND_CHOICES,
        },
        status_code=status_code,
    )
    response.set_cookie(
        CSRF_COOKIE, token, path="/lapor", httponly=True, samesite="strict",
        secure=pages.is_https(request),
    )  # fmt: skip
    return response


@router.get("/lapor")
async def complaint_form(request: Request, session: DbSession) -> Response:
    return await _form_page(request, session, service.ComplaintForm(), {})


@router.post("/lapor")
async def submit_complaint(request: Request, session: DbSession) -> Response:
    data = await request.form()
    fields = {k: v for k, v in data.items() if isinstance(v, str)}
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = fields.get(CSRF_FIELD, "")
    if not cookie or not sent or not secrets.compare_digest(cookie.encode(), sent.encode()):
        return pages.friendly_error(
            request,
            403,
            "Formulir tidak dapat diproses",
            "Sesi formulir Anda tidak valid atau sudah kedaluwarsa. Laporan belum terkirim. "
            "Silakan buka formulir lagi dan kirim ulang laporan Anda.",
        )
    client = request.client.host if request.client else "unknown"
    try:
        get_rate_limiter(request.app).check(WEB_FORM_SCOPE, client, per_minute=WEB_FORM_PER_MIN)
    except RateLimited as exc:
        return pages.friendly_error(
            request,
            429,
            "Terlalu banyak laporan",
            "Terlalu banyak laporan dikirim dari sambungan ini dalam waktu singkat. "
            "Laporan belum terkirim; silakan coba lagi beberapa saat lagi.",
            headers=exc.headers,
        )
    form = service.ComplaintForm.from_form(fields)
    errors = await service.validate(session, form)
    if errors:
        return await _form_page(request, session, form, errors, status_code=422)
    case = await service.submit(session, form)
    # The session commits before this redirect is sent (DbSession).
    return RedirectResponse(f"/lacak/{case.tracking_id}?baru=1", status_code=303)


@router.get("/lacak")
async def tracking_form(request: Request, id: str | None = None) -> Response:  # noqa: A002
    if id is None:
        return pages.render(request, "lacak.html", {"typed": "", "error": None})
    tracking_id = normalize(id)
    if tracking_id is None:
        return pages.render(
            request,
            "lacak.html",
            {
                "typed": id[:20],
                "error": "Nomor laporan tidak valid: periksa kembali 8 huruf/angka nomor Anda.",
            },
            status_code=400,
        )
    return RedirectResponse(f"/lacak/{tracking_id}", status_code=303)


@router.get("/lacak/{tracking_id}")
async def tracking_page(request: Request, tracking_id: str, session: DbSession) -> Response:
    case = await get_by_tracking_id(session, tracking_id)
    if case is None:
        return pages.friendly_error(
            request,
            404,
            "Laporan tidak ditemukan",
            "Kami tidak menemukan laporan dengan nomor tersebut. Periksa kembali nomor laporan "
            "Anda (8 huruf/angka, tanpa huruf O, I, L, S, B, Z, U, V).",
            back_url="/lacak",
            back_label="Coba nomor lain",
        )
    complaint = await public_view(session, case)
    new = request.query_params.get("baru") == "1"
    return pages.render(request, "status.html", {"complaint": complaint, "new": new})
