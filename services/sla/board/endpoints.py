"""``/admin/board``: the ops board, a server-rendered page for staff.

Login posts the ops bearer token in a form; it is kept in an ``HttpOnly``, ``SameSite=Strict``
cookie (JavaScript cannot read it, other sites cannot send it), ``Secure`` over HTTPS. State
changing POSTs (login, logout) refuse a foreign ``Origin``, so no other site can log a
browser in or out. The board itself only reads.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select

from shared.auth import Actor, hash_secret
from shared.cases.labels import status_label
from shared.deps import AppDatabase, DbSession
from shared.errors import Forbidden
from shared.events.consumer import backlog
from shared.lifecycle import Role
from shared.models import OpsToken, utcnow

from . import repository

router = APIRouter(prefix="/admin/board", tags=["ops board"], include_in_schema=False)
templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
COOKIE = "simpul_board"
COOKIE_MAX_AGE_S = 8 * 3600  # one working day
BOARD_ROLES = frozenset({Role.ADMIN_INSTANSI, Role.VIEWER, Role.OPERATOR, Role.OPD})
DUE_SOON = dt.timedelta(days=3)


def _same_origin(request: Request) -> None:
    origin = request.headers.get("origin")
    if origin and origin != "null":
        own = f"{request.url.scheme}://{request.url.netloc}"
        if origin.rstrip("/") != own:
            raise Forbidden("cross-site request refused", code="cross_site")
    elif origin == "null":
        raise Forbidden("cross-site request refused", code="cross_site")


async def _actor_from_token(session: DbSession, token: str | None) -> Actor | None:
    if not token:
        return None
    row = await session.scalar(
        select(OpsToken).where(OpsToken.token_hash == hash_secret(token.strip()))
    )
    if row is None or not row.active or Role(row.role) not in BOARD_ROLES:
        return None
    return Actor(
        type="ops", id=f"token:{row.id}", name=row.name, role=Role(row.role), opd_code=row.opd_code
    )


def _login_page(error: str | None = None, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        templates.get_template("login.html").render(error=error), status_code=status_code
    )


@router.get("", response_class=HTMLResponse)
async def board(request: Request, session: DbSession, db: AppDatabase) -> Response:
    actor = await _actor_from_token(session, request.cookies.get(COOKIE))
    if actor is None:
        return _login_page()
    now = utcnow()
    html = templates.get_template("board.html").render(
        actor=actor,
        now=now,
        statuses=[
            (status_label(s), n) for s, n in await repository.open_cases_by_status(session, actor)
        ],
        clocks=await repository.clocks_by_kind(session, actor),
        opds=await repository.opds_at_risk(session, actor, now, now + DUE_SOON),
        backlog=sorted((await backlog(db)).items())
        if actor.role in (Role.ADMIN_INSTANSI, Role.OPERATOR)
        else None,
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request, session: DbSession, token: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    _same_origin(request)
    actor = await _actor_from_token(session, token)
    if actor is None:
        return _login_page(
            "Token tidak dikenal, dicabut, atau tidak berhak membuka papan ini.", 401
        )
    response = RedirectResponse("/admin/board", status_code=303)
    response.set_cookie(
        COOKIE,
        token.strip(),
        max_age=COOKIE_MAX_AGE_S,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/admin/board",
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    _same_origin(request)
    response = RedirectResponse("/admin/board", status_code=303)
    response.delete_cookie(COOKIE, path="/admin/board", httponly=True, samesite="strict")
    return response
