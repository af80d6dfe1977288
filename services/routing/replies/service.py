"""Reply templates: canned responses Admin Instansi keeps so officers answer alike and fast.

A template has a title, a body with ``{placeholders}`` and the actions it is offered for
(``respond``, ``request-info``, ``return``...). Placeholders are filled from the case as
the officer sees it — never from the reporter's identity, so a template cannot carry an
anonymous reporter's name into a reply (there is no such placeholder). An unknown
placeholder is refused when the template is saved, not discovered in a sent message.
Every change is versioned and audited (``reply_template.created`` / ``.updated``);
templates are deactivated, never deleted.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.routing import audited
from services.routing.cases.service import HTTP_ACTIONS
from shared.auth import Actor
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.lifecycle import Role
from shared.models import Case, utcnow
from shared.models.routing import ReplyTemplate

SUBJECT = "reply_template"
#: The placeholders a template may use, and what each is (for the console's help text).
PLACEHOLDERS: dict[str, str] = {
    "nomor": "nomor pelacakan laporan",
    "kategori": "nama kategori laporan",
    "opd": "nama perangkat daerah yang menangani",
    "petugas": "nama petugas yang menulis",
    "tanggal": "tanggal laporan diterima",
}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
#: Actions whose text a template may start: every action the API takes text for.
TEMPLATE_ACTIONS = HTTP_ACTIONS


def _check_body(body: str) -> None:
    unknown = sorted({m for m in _PLACEHOLDER.findall(body) if m not in PLACEHOLDERS})
    if unknown:
        raise Unprocessable(
            f"unknown placeholder(s) {', '.join('{' + u + '}' for u in unknown)}; "
            f"use {', '.join('{' + p + '}' for p in PLACEHOLDERS)}",
            code="unknown_placeholder",
            field="body",
        )


def _check_actions(actions: list[str]) -> str:
    unknown = [a for a in actions if a not in TEMPLATE_ACTIONS]
    if unknown:
        raise Unprocessable(
            f"unknown action(s) {', '.join(unknown)}; choose from {', '.join(TEMPLATE_ACTIONS)}",
            code="unknown_action",
            field="actions",
        )
    return " ".join(dict.fromkeys(actions))


def _require_admin(actor: Actor) -> None:
    if actor.role != Role.ADMIN_INSTANSI:
        raise Forbidden("only admin_instansi manages reply templates", code="role_not_allowed")


def as_dict(row: ReplyTemplate) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "body": row.body,
        "actions": row.actions.split() if row.actions else [],
        "active": row.active,
        "version": row.version,
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
    }


def offered_for(row: ReplyTemplate, action: str) -> bool:
    return not row.actions or action in row.actions.split()


async def list_templates(
    session: AsyncSession, *, action: str | None = None, include_inactive: bool = False
) -> list[ReplyTemplate]:
    """The templates (active ones unless asked), by title; only those offered for ``action``."""
    stmt = select(ReplyTemplate).order_by(ReplyTemplate.title)
    if not include_inactive:
        stmt = stmt.where(ReplyTemplate.active.is_(True))
    rows = list((await session.scalars(stmt)).all())
    return [r for r in rows if action is None or offered_for(r, action)]


async def get_template(session: AsyncSession, template_id: int) -> ReplyTemplate:
    row = await session.get(ReplyTemplate, template_id)
    if row is None:
        raise NotFound(f"no reply template {template_id}", code="template_not_found")
    return row


async def _title_taken(session: AsyncSession, title: str, but: int | None = None) -> bool:
    stmt = select(ReplyTemplate.id).where(ReplyTemplate.title == title)
    if but is not None:
        stmt = stmt.where(ReplyTemplate.id != but)
    return (await session.scalar(stmt)) is not None


async def create_template(
    session: AsyncSession, actor: Actor, *, title: str, body: str, actions: list[str]
) -> ReplyTemplate:
    _require_admin(actor)
    _check_body(body)
    if await _title_taken(session, title):
        raise Conflict(f"a template titled {title!r} exists", code="template_exists")
    now = utcnow()
    row = ReplyTemplate(
        title=title,
        body=body,
        actions=_check_actions(actions),
        active=True,
        version=1,
        created_by=actor.name,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    await audited.record(
        session, actor, SUBJECT, row.id, "created", before=None, after=as_dict(row)
    )
    return row


async def update_template(
    session: AsyncSession,
    actor: Actor,
    template_id: int,
    *,
    changes: dict[str, Any],
    expected_version: int | None = None,
) -> ReplyTemplate:
    """Change title, body, actions or ``active``; 409 when ``expected_version`` is stale."""
    _require_admin(actor)
    row = await get_template(session, template_id)
    audited.check_version(expected_version, row.version, "the template", current=as_dict(row))
    before = as_dict(row)
    if changes.get("title") is not None:
        if await _title_taken(session, changes["title"], but=row.id):
            raise Conflict(f"a template titled {changes['title']!r} exists", code="template_exists")
        row.title = changes["title"]
    if changes.get("body") is not None:
        _check_body(changes["body"])
        row.body = changes["body"]
    if changes.get("actions") is not None:
        row.actions = _check_actions(changes["actions"])
    if changes.get("active") is not None:
        row.active = bool(changes["active"])
    after = as_dict(row)
    if {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }:
        return row
    audited.bump(row)
    await session.flush()
    await audited.record(
        session, actor, SUBJECT, row.id, "updated", before=before, after=as_dict(row)
    )
    return row


def context_for(
    case: Case,
    actor: Actor,
    *,
    category_name: str | None,
    opd_name: str | None,
    tz: dt.tzinfo,
) -> dict[str, str]:
    """The placeholders' values for ``case`` written by ``actor`` (no reporter data)."""
    return {
        "nomor": case.tracking_id,
        "kategori": category_name or "",
        "opd": opd_name or "",
        "petugas": actor.name or "",
        "tanggal": case.received_at.astimezone(tz).strftime("%d-%m-%Y"),
    }


def render(body: str, context: dict[str, str]) -> str:
    """``body`` with each known ``{placeholder}`` filled; anything else left as written."""
    return _PLACEHOLDER.sub(lambda m: context.get(m.group(1), m.group(0)), body)
