"""Reporters rating the handling of their case on the tracking page (``/lacak/{id}/nilai``).

Only the holder of the tokened link from the ``resolved`` notification may rate; a case
is rated once, only after it is resolved or closed; the form is CSRF-protected.
"""

from __future__ import annotations

import os
import re
import stat

from sqlalchemy import select

from services.intake.notify.templates import MessageContext, render
from services.intake.web import endpoints as web
from services.intake.web import rating
from shared.cases.service import NewCase, ReporterInput, create_case, get_by_tracking_id
from shared.models import (
    Case,
    Event,
    Reporter,  # noqa: F401  (identity must never show)
    utcnow,
)

NAME = "Ni Luh Putu Sariasih"
DESCRIPTION = "Lampu penerangan jalan di Jl. Gajah Mada mati sejak seminggu, rawan kecelakaan."


async def _case(db, status: str = "resolved") -> str:
    async with db.session() as session:
        case = await create_case(
            session,
            NewCase(
                channel="web",
                description=DESCRIPTION,
                reporter=ReporterInput(channel="web", name=NAME, phone="+6281234567890"),
            ),
            web.service.WEB_ACTOR,
        )
        case.status = status
        if status in rating.RATEABLE:
            case.resolved_at = utcnow()
        return case.tracking_id


async def _form(client, tracking_id: str, token: str):
    r = await client.get(f"/lacak/{tracking_id}/nilai", params={"t": token})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    return r, (csrf.group(1) if csrf else None)


async def _rated(db, tracking_id: str) -> tuple[Case, list[Event]]:
    async with db.session() as session:
        case = await get_by_tracking_id(session, tracking_id)
        events = list(
            (
                await session.scalars(
                    select(Event).where(Event.case_id == case.id, Event.type == "case.rated")
                )
            ).all()
        )
        return case, events


async def test_reporter_rates_a_resolved_case(client, app, db):
    tid = await _case(db)
    token = rating.rating_token(app.state.settings, tid)
    r, csrf = await _form(client, tid, token)
    assert r.status_code == 200 and csrf
    assert '<html lang="id"' in r.text
    for score in range(1, 6):
        assert f'<label for="nilai-{score}">' in r.text
    assert NAME not in r.text and "6281234567890" not in r.text

    r = await client.post(
        f"/lacak/{tid}/nilai",
        data={"csrf_token": csrf, "t": token, "nilai": "4", "komentar": "Cepat ditangani."},
    )
    assert r.status_code == 303 and r.headers["location"] == f"/lacak/{tid}?dinilai=1"
    page = await client.get(r.headers["location"])
    assert "Terima kasih atas penilaian Anda" in page.text

    case, events = await _rated(db, tid)
    assert (case.rating, case.rating_comment) == (4, "Cepat ditangani.")
    assert len(events) == 1 and events[0].actor_type == "reporter"
    assert events[0].data["rating"] == 4 and events[0].actor_name is None

    # Rated once: the form and a second post both say so.
    again, _ = await _form(client, tid, token)
    assert again.status_code == 409 and "sudah dinilai" in again.text
    r = await client.post(
        f"/lacak/{tid}/nilai", data={"csrf_token": csrf, "t": token, "nilai": "1"}
    )
    assert r.status_code == 409 and "sudah dinilai" in r.text
    case, events = await _rated(db, tid)
    assert case.rating == 4 and len(events) == 1


async def test_bad_or_missing_token_is_refused_and_nothing_stored(client, app, db):
    tid = await _case(db)
    other = await _case(db)
    wrong = rating.rating_token(app.state.settings, other)  # another case's token
    for token in ("", "0" * 64, wrong):
        r, _ = await _form(client, tid, token)
        assert r.status_code == 403 and "tidak valid" in r.text
    good = rating.rating_token(app.state.settings, tid)
    _, csrf = await _form(client, tid, good)
    r = await client.post(
        f"/lacak/{tid}/nilai", data={"csrf_token": csrf, "t": wrong, "nilai": "5"}
    )
    assert r.status_code == 403
    case, events = await _rated(db, tid)
    assert case.rating is None and events == []


async def test_case_not_resolved_cannot_be_rated(client, app, db):
    tid = await _case(db, status="in_progress")
    token = rating.rating_token(app.state.settings, tid)
    r, _ = await _form(client, tid, token)
    assert r.status_code == 409 and "belum dapat dinilai" in r.text
    client.cookies.set(web.RATING_CSRF_COOKIE, "c" * 43, path=f"/lacak/{tid}/nilai")
    r = await client.post(
        f"/lacak/{tid}/nilai", data={"csrf_token": "c" * 43, "t": token, "nilai": "5"}
    )
    assert r.status_code == 409
    case, events = await _rated(db, tid)
    assert case.rating is None and events == []


async def test_missing_csrf_is_refused(client, app, db):
    tid = await _case(db)
    token = rating.rating_token(app.state.settings, tid)
    await _form(client, tid, token)  # the cookie is set, the field is not sent
    r = await client.post(f"/lacak/{tid}/nilai", data={"t": token, "nilai": "5"})
    assert r.status_code == 403 and "Sesi formulir" in r.text
    case, events = await _rated(db, tid)
    assert case.rating is None and events == []


async def test_invalid_score_or_long_comment_re_renders(client, app, db):
    tid = await _case(db)
    token = rating.rating_token(app.state.settings, tid)
    _, csrf = await _form(client, tid, token)
    r = await client.post(
        f"/lacak/{tid}/nilai", data={"csrf_token": csrf, "t": token, "nilai": "9"}
    )
    assert r.status_code == 422 and 'id="nilai-galat"' in r.text
    r = await client.post(
        f"/lacak/{tid}/nilai",
        data={"csrf_token": csrf, "t": token, "nilai": "3", "komentar": "x" * 501},
    )
    assert r.status_code == 422 and 'id="komentar-galat"' in r.text
    case, _ = await _rated(db, tid)
    assert case.rating is None


def test_key_is_created_once_private(settings):
    first = rating.rating_key(settings)
    path = os.path.join(settings.data_dir, rating.KEY_FILE)
    assert len(first) == rating.KEY_BYTES and rating.rating_key(settings) == first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert rating.token_valid(settings, "ABCD2345", rating.rating_token(settings, "ABCD2345"))
    assert not rating.token_valid(settings, "ABCD2346", rating.rating_token(settings, "ABCD2345"))


def test_resolved_notification_carries_the_rating_link(settings):
    url = rating.rating_url(settings, "ABCD2345")
    assert url.startswith("https://pengaduan.example.go.id/lacak/ABCD2345/nilai?t=")
    body = render(
        "resolved",
        MessageContext(
            tracking_id="ABCD2345",
            status_url="https://pengaduan.example.go.id/lacak/ABCD2345",
            text="Lampu sudah diganti.",
            rating_url=url,
        ),
    )
    assert url in body and "angka 1-5" in body
