"""Queries of the ops board: open cases by status, clocks by kind and state, OPDs at risk."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.sla.reports.repository import readable_cases
from shared.auth import Actor
from shared.lifecycle import OPEN_STATES
from shared.models import Case
from shared.models.sla import SlaClock
from shared.models.sync import LaporMirror


def _clock_scope(actor: Actor) -> list:
    return [SlaClock.opd_code == actor.opd_code] if actor.opd_code and actor.role == "opd" else []


async def open_cases_by_status(session: AsyncSession, actor: Actor) -> list[tuple[str, int]]:
    stmt = (
        select(Case.status, func.count())
        .where(Case.status.in_([s.value for s in OPEN_STATES]), *readable_cases(actor))
        .group_by(Case.status)
        .order_by(func.count().desc(), Case.status)
    )
    return [(status, int(n)) for status, n in (await session.execute(stmt)).all()]


async def clocks_by_kind(session: AsyncSession, actor: Actor) -> list[tuple[str, str, int]]:
    stmt = (
        select(SlaClock.kind, SlaClock.state, func.count())
        .where(SlaClock.state.in_(("running", "paused", "breached")), *_clock_scope(actor))
        .group_by(SlaClock.kind, SlaClock.state)
        .order_by(SlaClock.kind, SlaClock.state)
    )
    return [(kind, state, int(n)) for kind, state, n in (await session.execute(stmt)).all()]


async def opds_at_risk(
    session: AsyncSession, actor: Actor, now: dt.datetime, soon: dt.datetime
) -> list[tuple]:
    """Per OPD: running clocks, those past their warning, those due before ``soon``, and
    breached clocks of cases still open; most breaches first."""
    one, zero = literal(1), literal(0)
    running = SlaClock.state == "running"
    stmt = (
        select(
            SlaClock.opd_code,
            func.sum(case((running, one), else_=zero)),
            func.sum(
                case(
                    (
                        and_(running, SlaClock.warning_at.is_not(None), SlaClock.warning_at <= now),
                        one,
                    ),
                    else_=zero,
                )
            ),
            func.sum(case((and_(running, SlaClock.deadline_at <= soon), one), else_=zero)),
            func.sum(case((SlaClock.state == "breached", one), else_=zero)),
        )
        .where(SlaClock.state.in_(("running", "breached")), *_clock_scope(actor))
        .group_by(SlaClock.opd_code)
    )
    rows = [
        (opd, int(r or 0), int(w or 0), int(d or 0), int(b or 0))
        for opd, r, w, d, b in (await session.execute(stmt)).all()
    ]
    return sorted(rows, key=lambda r: (-r[4], -r[3], -r[2], r[0] or ""))


async def lapor_unconfirmed(
    session: AsyncSession, limit: int = 20
) -> list[tuple[str, str, dt.datetime]]:
    """Cases whose national create awaits an operator ("perlu konfirmasi"), oldest first:
    tracking ID, title, since when. The sync service's ``/admin/sync/unconfirmed`` says what
    to look up; the board only shows that someone must."""
    stmt = (
        select(Case.tracking_id, Case.title, LaporMirror.updated_at)
        .join(LaporMirror, LaporMirror.case_id == Case.id)
        .where(LaporMirror.state == "to_confirm")
        .order_by(LaporMirror.updated_at)
        .limit(limit)
    )
    return [(t, title or "", since) for t, title, since in (await session.execute(stmt)).all()]
