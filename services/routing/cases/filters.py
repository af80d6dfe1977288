"""Reading the case filters of a query string — the API's ``GET /admin/cases`` and the
console's lists take the same parameters and turn them into the same
:class:`~services.routing.cases.repository.CaseFilters` here."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from fastapi import Query

from services.routing.cases.repository import CaseFilters
from services.routing.cases.search import MAX_QUERY_CHARS
from shared.codes import OptionalCode
from shared.config import Settings
from shared.deps import AppSettings
from shared.errors import Unprocessable


def period_bound(value: str | None, settings: Settings, *, end: bool, name: str) -> datetime | None:
    """``from``/``to``: a date (a whole local day, ``to`` inclusive) or an ISO datetime."""
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value) + (timedelta(days=1) if end else timedelta())
            return datetime.combine(day, time.min, tzinfo=settings.tz)
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise Unprocessable(
            f"{name} must be a date or an ISO 8601 datetime", code="invalid", field=name
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.tz)


def case_filters(
    settings: Settings,
    *,
    status: str | None = None,
    opd: str | None = None,
    category: str | None = None,
    channel: str | None = None,
    kecamatan: str | None = None,
    overdue: bool | None = None,
    q: str | None = None,
    received_from: str | None = None,
    received_to: str | None = None,
    statuses: tuple[str, ...] = (),
    assignee: str | None = None,
    owned_by: str | None = None,
    copied_to: str | None = None,
) -> CaseFilters:
    """The filters of one request; empty strings (an untouched form field) mean "any"."""
    return CaseFilters(
        status=status or None,
        opd=opd or None,
        category=category or None,
        channel=channel or None,
        kecamatan=kecamatan or None,
        overdue=overdue,
        q=q.strip() if q and q.strip() else None,
        received_from=period_bound(received_from, settings, end=False, name="from"),
        received_to=period_bound(received_to, settings, end=True, name="to"),
        statuses=statuses,
        assignee=assignee,
        owned_by=owned_by,
        copied_to=copied_to,
    )


def query_filters(
    settings: AppSettings,
    status: str | None = None,
    opd: OptionalCode = None,
    category: OptionalCode = None,
    channel: str | None = None,
    kecamatan: OptionalCode = None,
    overdue: bool | None = Query(
        None, description="cases with a breached or past-deadline SLA clock"
    ),
    q: str | None = Query(
        None,
        max_length=MAX_QUERY_CHARS,
        description=(
            "one search box: a tracking ID, a LAPOR! id, the reporter's phone (admin_instansi "
            "only), or words of the title/description (PostgreSQL: Indonesian full-text "
            "search; SQLite: every word, LIKE)"
        ),
    ),
    received_from: str | None = Query(
        None, alias="from", description="received on/after (date or datetime)"
    ),
    received_to: str | None = Query(
        None, alias="to", description="received on/before (date, inclusive) or before (datetime)"
    ),
) -> CaseFilters:
    """The API's case filters as a FastAPI dependency (``GET /admin/cases``, the worklists):
    one declaration of the query parameters and their documentation."""
    return case_filters(
        settings,
        status=status,
        opd=opd,
        category=category,
        channel=channel,
        kecamatan=kecamatan,
        overdue=overdue,
        q=q,
        received_from=received_from,
        received_to=received_to,
    )
