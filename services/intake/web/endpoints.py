"""Citizen web pages (CONTRACT.md, "Web"): ``/lapor`` form, ``/lacak`` tracking.

Bahasa Indonesia, no JavaScript, accessible. The form takes up to 5 photos or PDFs
(``multipart/form-data``, checked as REST attachments are: ``uploads``). The form is protected against cross-site
posts by a double-submit token: ``GET /lapor`` sets a random token in an HttpOnly,
SameSite=Strict cookie and in a hidden field; ``POST /lapor`` must carry both, equal.
Posts are rate-limited per client address. The tracking page shows what the public API
shows (``complaints.service.public_view``): status and timeline, never personal data; a
rahasia case shows its status alone. ``/lacak/{id}/nilai`` lets the reporter rate a
resolved case once, with the tokened link of their ``resolved`` notification (``rating``).
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.intake.complaints.service import public_view
from services.intake.web import pages, rating, service, uploads
from shared.cases.service import get_by_tracking_id
from shared.crypto import constant_time_equals
from shared.deps import AppSettings, DbSession
from shared.errors import RateLimited
from shared.models import Case
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


@router.get(pages.LOGO_URL)
async def logo(settings: AppSettings) -> Response:
    """The pemda's logo: ``SIMPUL_PEMDA_LOGO`` (typed by its bytes, or SVG), else the demo's."""
    content, media_type = service.logo(settings.pemda_logo, pages.DEMO_LOGO)
    return Response(
        content,
        media_type=media_type,
        headers={
            "Cache-Control": "public, max-age=3600",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        },
    )


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
async def submit_complaint(request: Request, session: DbSession, settings: AppSettings) -> Response:
    data = await request.form(max_files=uploads.MAX_ATTACHMENTS * 4)
    fields = {k: v for k, v in data.items() if isinstance(v, str)}
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = fields.get(CSRF_FIELD, "")
    if not cookie or not sent or not constant_time_equals(cookie, sent):
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
    try:
        files = await uploads.read_uploads(data.getlist(uploads.FIELD))
    except uploads.UploadRefused as exc:
        errors[uploads.FIELD] = str(exc)
        files = []
    if errors:
        return await _form_page(request, session, form, errors, status_code=422)
    case = await service.submit(session, form, files, settings.data_dir)
    # The session commits before this redirect is sent (DbSession).
    return RedirectResponse(f"/lacak/{case.tracking_id}?baru=1", status_code=303)


@router.get("/lacak")
async def tracking_form(request: Request, id: str | None = None) -> Response:
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
    rated = request.query_params.get("dinilai") == "1" and case.rating is not None
    # The OPD's answers (text only, no staff names); never for a rahasia case, whose page
    # anyone holding the tracking ID can open.
    answers = [] if case.confidential else await service.public_answers(session, case)
    return pages.render(
        request,
        "status.html",
        {"complaint": complaint, "new": new, "rated": rated, "answers": answers},
    )


RATING_CSRF_COOKIE = "simpul_csrf_nilai"


def _rating_refused(request: Request, tracking_id: str, status_code: int, heading: str,
                    message: str) -> Response:  # fmt: skip
    return pages.friendly_error(
        request, status_code, heading, message,
        back_url=f"/lacak/{tracking_id}", back_label="Lihat status laporan",
    )  # fmt: skip


async def _rateable(
    request: Request, session: DbSession, settings: AppSettings, tracking_id: str, token: str
) -> Case | Response:
    """The case to rate, or the friendly page refusing it (403 token, 409 state)."""
    case = await get_by_tracking_id(session, tracking_id)
    if case is None or not rating.token_valid(settings, case.tracking_id, token):
        return _rating_refused(
            request, tracking_id, 403, "Tautan penilaian tidak valid",
            "Tautan penilaian ini tidak valid. Gunakan tautan lengkap dari pesan "
            "pemberitahuan penyelesaian laporan Anda.",
        )  # fmt: skip
    if case.rated_in_simpul:
        return _rating_refused(
            request, case.tracking_id, 409, "Laporan sudah dinilai",
            "Laporan ini sudah dinilai. Terima kasih, penilaian Anda sudah kami terima.",
        )  # fmt: skip
    if case.status not in rating.RATEABLE:
        return _rating_refused(
            request, case.tracking_id, 409, "Laporan belum dapat dinilai",
            "Penanganan laporan ini belum selesai. Anda dapat memberi penilaian setelah "
            "laporan dinyatakan selesai.",
        )  # fmt: skip
    return case


@router.get("/lacak/{tracking_id}/nilai")
async def rating_form(
    request: Request, tracking_id: str, session: DbSession, settings: AppSettings
) -> Response:
    token = request.query_params.get("t", "")
    case = await _rateable(request, session, settings, tracking_id, token)
    if isinstance(case, Response):
        return case
    return _rating_page(
        request, case, token, {}, None, answers=await service.public_answers(session, case)
    )


def _rating_page(
    request: Request, case: Case, token: str, errors: dict[str, str], comment: str | None,
    status_code: int = 200, answers: list | None = None,
) -> Response:  # fmt: skip
    csrf = request.cookies.get(RATING_CSRF_COOKIE)
    if not csrf or len(csrf) > 100:
        csrf = secrets.token_urlsafe(32)
    tracking_id = case.tracking_id
    response = pages.render(
        request,
        "nilai.html",
        {
            "tracking_id": tracking_id,
            "token": token,
            "csrf_token": csrf,
            "scores": rating.SCORES,
            "max_comment": rating.MAX_COMMENT,
            "errors": errors,
            "comment": comment or "",
            # The link holder is the reporter: the answers show even for a rahasia case.
            "answers": answers or [],
        },
        status_code=status_code,
    )
    response.set_cookie(
        RATING_CSRF_COOKIE, csrf, path=f"/lacak/{tracking_id}/nilai", httponly=True,
        samesite="strict", secure=pages.is_https(request),
    )  # fmt: skip
    return response


@router.post("/lacak/{tracking_id}/nilai")
async def submit_rating(
    request: Request, tracking_id: str, session: DbSession, settings: AppSettings
) -> Response:
    data = await request.form()
    fields = {k: v for k, v in data.items() if isinstance(v, str)}
    cookie = request.cookies.get(RATING_CSRF_COOKIE, "")
    sent = fields.get(CSRF_FIELD, "")
    if not cookie or not sent or not constant_time_equals(cookie, sent):
        return _rating_refused(
            request, tracking_id, 403, "Formulir tidak dapat diproses",
            "Sesi formulir Anda tidak valid atau sudah kedaluwarsa. Penilaian belum "
            "tersimpan. Silakan buka kembali tautan penilaian dari pesan Anda.",
        )  # fmt: skip
    client = request.client.host if request.client else "unknown"
    try:
        get_rate_limiter(request.app).check(WEB_FORM_SCOPE, client, per_minute=WEB_FORM_PER_MIN)
    except RateLimited as exc:
        return pages.friendly_error(
            request, 429, "Terlalu banyak permintaan",
            "Terlalu banyak formulir dikirim dari sambungan ini. Silakan coba lagi nanti.",
            headers=exc.headers,
        )  # fmt: skip
    token = fields.get("t", "")
    case = await _rateable(request, session, settings, tracking_id, token)
    if isinstance(case, Response):
        return case
    score = fields.get("nilai", "")
    comment = (fields.get("komentar") or "").strip()
    errors: dict[str, str] = {}
    if score not in {"1", "2", "3", "4", "5"}:
        errors["nilai"] = "Pilih salah satu nilai dari 1 sampai 5."
    if len(comment) > rating.MAX_COMMENT:
        errors["komentar"] = f"Komentar terlalu panjang: maksimal {rating.MAX_COMMENT} karakter."
    if errors:
        return _rating_page(request, case, token, errors, comment, status_code=422)
    await rating.record_rating(session, case, int(score), comment, rating.WEB_RATER)
    return RedirectResponse(f"/lacak/{case.tracking_id}?dinilai=1", status_code=303)
