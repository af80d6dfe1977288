"""Cases with known timestamps, written straight into the database (reports read tables,
so the scenario does not depend on how the routing and SLA services get there)."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from shared.models import Case, Reporter
from shared.models.sla import SlaClock

WIB = ZoneInfo("Asia/Jakarta")
_ids = itertools.count(1)


def wib(*parts: int) -> dt.datetime:
    """A WIB wall-clock moment as aware UTC."""
    return dt.datetime(*parts, tzinfo=WIB).astimezone(dt.UTC)


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)


def make_case(
    received_at: dt.datetime,
    *,
    opd: str | None = None,
    category: str | None = None,
    channel: str = "web",
    kecamatan: str | None = None,
    status: str = "received",
    first_response_at: dt.datetime | None = None,
    resolved_at: dt.datetime | None = None,
    rating: int | None = None,
    confidential: bool = False,
    title: str | None = None,
    description: str = "Laporan uji",
) -> Case:
    return Case(
        tracking_id=f"T{next(_ids):07d}",
        channel=channel,
        status=status,
        opd_code=opd,
        category_code=category,
        kecamatan_code=kecamatan,
        received_at=received_at,
        status_changed_at=received_at,
        first_response_at=first_response_at,
        resolved_at=resolved_at,
        rating=rating,
        confidential=confidential,
        title=title,
        description=description,
    )


def reporter(
    case: Case, *, name: str | None = None, phone: str | None = None, nik: str | None = None
) -> Reporter:
    return Reporter(
        case_id=case.id,
        name=name,
        phone=phone,
        nik=nik,
        channel=case.channel,
        channel_address=phone,
    )


def clock(
    case: Case,
    *,
    kind: str = "resolution",
    state: str,
    breached: bool = False,
    working_days: int = 5,
) -> SlaClock:
    started = case.received_at
    return SlaClock(
        case_id=case.id,
        kind=kind,
        opd_code=case.opd_code,
        working_days=working_days,
        started_at=started,
        deadline_at=started + dt.timedelta(days=7),
        state=state,
        breached_at=started + dt.timedelta(days=8) if breached else None,
    )


async def add_cases(db, cases: list[Case]) -> list[Case]:
    async with db.session() as session:
        session.add_all(cases)
        await session.flush()
    return cases
