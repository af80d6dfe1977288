"""``/admin/board``: the ops board, a server-rendered page for staff.

It reads the officer from the staff console's server-side session (``shared/identity``):
no session, or one not fully logged in, is sent to ``/konsol/masuk`` and comes back here
after logging in. No credential is kept in any cookie of the board's own. The board only
reads; logging out is the console's form (with its CSRF token). Times in the pemda's
timezone, every value in words (``shared.cases.labels``), the headers of every page.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.sla.pages import CSS_URL, html_page
from shared.auth import actor_for_user, staff_session
from shared.cases.labels import (
    CLOCK_LABELS,
    CLOCK_STATE_LABELS,
    ROLE_LABELS,
    WORKER_LABELS,
    status_label,
)
from shared.deps import AppDatabase, DbSession
from shared.events.consumer import backlog
from shared.identity import sessions
from shared.lifecycle import Role
from shared.models import utcnow
from shared.pages import local_time

from . import repository

router = APIRouter(prefix="/admin/board", tags=["ops board"], include_in_schema=False)
templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
LOGIN_URL = "/konsol/masuk?lanjut=/admin/board"
BOARD_ROLES = frozenset({Role.ADMIN_INSTANSI, Role.VIEWER, Role.OPERATOR, Role.OPD})
DUE_SOON = dt.timedelta(days=3)


@router.get("", response_class=HTMLResponse)
async def board(request: Request, session: DbSession, db: AppDatabase) -> Response:
    live = await staff_session(request, session)
    if live is None or live.stage != sessions.FULL:
        return RedirectResponse(LOGIN_URL, status_code=303)
    actor = actor_for_user(live.user)
    if actor.role not in BOARD_ROLES:
        return html_page(
            "<!doctype html><html lang=id><meta charset=utf-8><title>Tidak berhak</title>"
            "<p>Papan operasional tidak tersedia untuk peran Anda. "
            '<a href="/konsol/">Kembali ke konsol</a></p></html>',
            status_code=403,
        )
    now = utcnow()
    sync_staff = actor.role in (Role.ADMIN_INSTANSI, Role.OPERATOR)
    tz = request.app.state.settings.tz
    html = templates.get_template("board.html").render(
        css_url=CSS_URL,
        actor=actor,
        role=ROLE_LABELS.get(actor.role, actor.role),
        waktu=lambda value: local_time(value, tz),
        csrf=live.row.csrf_token,
        now=now,
        statuses=[
            (status_label(s), n) for s, n in await repository.open_cases_by_status(session, actor)
        ],
        clocks=[
            (CLOCK_LABELS.get(kind, kind), CLOCK_STATE_LABELS.get(state, state), state, n)
            for kind, state, n in await repository.clocks_by_kind(session, actor)
        ],
        opds=await repository.opds_at_risk(session, actor, now, now + DUE_SOON),
        backlog=[
            (WORKER_LABELS.get(name, name), b) for name, b in sorted((await backlog(db)).items())
        ]
        if sync_staff
        else None,
        unconfirmed=await repository.lapor_unconfirmed(session) if sync_staff else None,
    )
    return html_page(html)
