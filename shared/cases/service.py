"""Opening a case — the one place every channel (REST, Open311, webhooks, web form, admin
intake, LAPOR! forwarded-in) goes through, so every case starts the same way: a fresh
tracking ID, defaults from its category, the reporter's identity stored apart, and one
``case.received`` event in the same transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Actor
from shared.cases.events import CaseEvent
from shared.errors import Unprocessable
from shared.events import NewEvent, emit, emit_many, event_inserts
from shared.lifecycle import Status
from shared.models import Case, Category, Kecamatan, Reporter, utcnow
from shared.tracking import new_tracking_id

KINDS = ("pengaduan", "aspirasi", "permintaan_informasi")
#: Channels a case may come from (the web form is ``web``; admin intake records the real one).
CHANNELS = (
    "api",
    "open311",
    "web",
    "sms",
    "whatsapp",
    "telegram",
    "facebook",
    "email",
    "letter",
    "visit",
    "phone",
    "call_center",
    "lapor",
)
TRACKING_ID_ATTEMPTS = 5


@dataclass
class ReporterInput:
    """Who complained and where replies go. All optional: a reporter may give nothing."""

    channel: str
    channel_address: str | None = None
    name: str | None = None
    phone: str | None = None  # E.164, already normalised
    phone_raw: str | None = None
    email: str | None = None
    nik: str | None = None
    postal_address: str | None = None


@dataclass
class NewCase:
    channel: str
    description: str
    title: str | None = None
    kind: str | None = None
    category_code: str | None = None
    anonymous: bool = False
    confidential: bool = False
    kecamatan_code: str | None = None
    desa: str | None = None
    address: str | None = None
    lat: float | None = None
    lon: float | None = None
    occurred_at: datetime | None = None
    received_at: datetime | None = None
    external_ref: str | None = None
    client_app_id: int | None = None
    reporter: ReporterInput | None = None
    event_data: dict[str, Any] = field(default_factory=dict)


def _check_channel(new: NewCase) -> None:
    if new.channel not in CHANNELS:
        raise Unprocessable(
            f"unknown channel {new.channel!r}", code="unknown_channel", field="channel"
        )


@dataclass(frozen=True, slots=True)
class CategoryTerms:
    """What opening a case reads of its category (a row's worth, without an ORM object)."""

    active: bool
    default_kind: str
    default_sla_class: str


_Terms = Category | CategoryTerms


def _check_category(new: NewCase, category: _Terms | None) -> None:
    if new.category_code and (category is None or not category.active):
        raise Unprocessable(
            f"unknown category {new.category_code!r}", code="unknown_category", field="category"
        )


def _check_kecamatan(new: NewCase, known: bool) -> None:
    if new.kecamatan_code and not known:
        raise Unprocessable(
            f"unknown kecamatan {new.kecamatan_code!r}",
            code="unknown_kecamatan",
            field="location.kecamatan",
        )


def _kind_of(new: NewCase, category: _Terms | None) -> str:
    kind = new.kind or (category.default_kind if category else "pengaduan")
    if kind not in KINDS:
        raise Unprocessable(f"unknown kind {kind!r}", code="unknown_kind", field="kind")
    return kind


def _case_row(new: NewCase, category: _Terms | None, kind: str, now: datetime) -> dict[str, Any]:
    """The new case's columns (a fresh tracking id drawn here)."""
    received_at = new.received_at or now
    return {
        "tracking_id": new_tracking_id(),
        "channel": new.channel,
        "kind": kind,
        "status": Status.RECEIVED.value,
        "sla_class": category.default_sla_class if category else None,
        "category_code": new.category_code,
        "anonymous": new.anonymous,
        "confidential": new.confidential,
        "title": new.title,
        "description": new.description,
        "kecamatan_code": new.kecamatan_code,
        "desa": new.desa,
        "address": new.address,
        "lat": new.lat,
        "lon": new.lon,
        "occurred_at": new.occurred_at,
        "received_at": received_at,
        "status_changed_at": received_at,
        "external_ref": new.external_ref,
        "client_app_id": new.client_app_id,
        "created_at": now,
        "updated_at": now,
    }


def _reporter_row(new: NewCase, case_id: int) -> dict[str, Any]:
    reporter = new.reporter or ReporterInput(channel=new.channel)
    return {
        "case_id": case_id,
        "name": reporter.name,
        "phone": reporter.phone,
        "phone_raw": reporter.phone_raw,
        "email": reporter.email,
        "nik": reporter.nik,
        "channel": reporter.channel,
        "channel_address": reporter.channel_address,
        "postal_address": reporter.postal_address,
    }


def _received_event(new: NewCase, row: dict[str, Any], case_id: int, actor: Actor) -> NewEvent:
    return NewEvent(
        CaseEvent.RECEIVED,
        actor,
        case_id=case_id,
        data={
            "channel": row["channel"],
            "kind": row["kind"],
            "category": row["category_code"],
            **new.event_data,
        },
        occurred_at=row["received_at"],
    )


async def create_case(session: AsyncSession, new: NewCase, actor: Actor) -> Case:
    """Open a case and write ``case.received``. Only flushes; the caller's unit of work commits.

    Raises :class:`Unprocessable` for an unknown category, kecamatan, kind or channel.
    """
    _check_channel(new)
    category = await session.get(Category, new.category_code) if new.category_code else None
    _check_category(new, category)
    if new.kecamatan_code:
        _check_kecamatan(new, await session.get(Kecamatan, new.kecamatan_code) is not None)
    kind = _kind_of(new, category)

    now = utcnow()
    case = row = None
    for _attempt in range(TRACKING_ID_ATTEMPTS):
        row = _case_row(new, category, kind, now)
        candidate = Case(**row)
        try:
            async with session.begin_nested():
                session.add(candidate)
                await session.flush()
        except IntegrityError:
            # A tracking-id collision (about 1 in 10^10): draw again.
            continue
        case = candidate
        break
    if case is None or row is None:
        raise RuntimeError("could not draw a free tracking id")

    session.add(Reporter(**_reporter_row(new, case.id)))
    received = _received_event(new, row, case.id, actor)
    await emit(
        session,
        received.type,
        actor,
        case_id=case.id,
        data=received.data,
        occurred_at=received.occurred_at,
    )
    return case


@dataclass(frozen=True, slots=True)
class OpenedCase:
    """What :func:`create_cases` opened: the columns its callers answer with."""

    id: int
    tracking_id: str
    status: str
    kind: str
    category_code: str | None
    anonymous: bool
    confidential: bool
    external_ref: str | None
    received_at: datetime


async def create_cases(
    session: AsyncSession, items: Sequence[tuple[NewCase, Actor]]
) -> list[OpenedCase | Unprocessable]:
    """Open many cases in a few statements (grouped intake): one lookup of their categories
    and kecamatan, then one multi-row insert each for cases, reporters and ``case.received``
    events (with deliveries). Same rows and events as :func:`create_case`, item by item.

    An item that :func:`create_case` would refuse gets its :class:`Unprocessable` in its
    slot; the others are opened. Only flushes; the caller commits. A tracking-id collision
    (about 1 in 10^10 per pair) raises ``IntegrityError`` for the whole statement: the
    caller rolls back and opens those cases one by one with :func:`create_case`.
    """
    codes = {new.category_code for new, _ in items if new.category_code}
    categories = (
        {c.code: c for c in await session.scalars(_categories_named(), {"codes": list(codes)})}
        if codes
        else {}
    )
    places = {new.kecamatan_code for new, _ in items if new.kecamatan_code}
    known_places = (
        set(await session.scalars(_kecamatan_named(), {"codes": list(places)})) if places else set()
    )
    plan = _plan_cases(items, categories, known_places)
    if not plan.rows:
        return plan.results
    # Statements built once, Core (table) inserts: in a grouped write the ORM's statement
    # building and bulk path cost more CPU than the database's work (docs/performance.md).
    ids = list((await session.execute(_insert_cases_returning_ids(), plan.rows)).scalars())
    await session.execute(insert(Reporter.__table__), plan.reporter_rows(ids))
    await emit_many(session, plan.received_events(ids))
    return plan.opened(ids)


@dataclass(frozen=True)
class CaseFacts:
    """What :func:`open_cases_with_ids` needs from the database (read by
    ``shared.pgwrite.lookup`` in the group's one look-up)."""

    categories: dict[str, CategoryTerms]
    known_places: set[str]
    case_ids: list[int]
    event_ids: list[int]


def open_cases_with_ids(
    items: Sequence[tuple[NewCase, Actor]], facts: CaseFacts
) -> tuple[list[OpenedCase | Unprocessable], list[tuple[Table, list[dict[str, Any]]]]]:
    """:func:`create_cases` without the database: each item checked against ``facts`` and
    given the next allocated ids. Returns the results and the rows to insert, per table
    (for :func:`shared.pgwrite.insert_all`). A tracking-id collision fails that insert."""
    plan = _plan_cases(items, facts.categories, facts.known_places)
    if not plan.rows:
        return plan.results, []
    ids = facts.case_ids[: len(plan.rows)]
    if len(ids) < len(plan.rows):
        raise ValueError("fewer case ids allocated than cases to open")
    events = plan.received_events(ids)
    cases = [{**row, "id": case_id} for row, case_id in zip(plan.rows, ids, strict=True)]
    inserts = [(Case.__table__, cases), (Reporter.__table__, plan.reporter_rows(ids))]
    inserts += event_inserts(events, facts.event_ids[: len(events)])
    return plan.opened(ids), inserts


@dataclass
class _CasePlan:
    """The validated items of a :func:`create_cases` call and their case rows."""

    results: list[OpenedCase | Unprocessable | None]
    rows: list[dict[str, Any]]
    #: (slot in ``results``, item) of each row, in row order.
    accepted: list[tuple[int, NewCase, Actor]]

    def reporter_rows(self, ids: list[int]) -> list[dict[str, Any]]:
        return [
            _reporter_row(new, case_id)
            for (_, new, _), case_id in zip(self.accepted, ids, strict=True)
        ]

    def received_events(self, ids: list[int]) -> list[NewEvent]:
        return [
            _received_event(new, row, case_id, actor)
            for (_, new, actor), row, case_id in zip(self.accepted, self.rows, ids, strict=True)
        ]

    def opened(self, ids: list[int]) -> list[OpenedCase | Unprocessable]:
        for (slot, _, _), row, case_id in zip(self.accepted, self.rows, ids, strict=True):
            self.results[slot] = OpenedCase(
                id=case_id,
                tracking_id=row["tracking_id"],
                status=row["status"],
                kind=row["kind"],
                category_code=row["category_code"],
                anonymous=row["anonymous"],
                confidential=row["confidential"],
                external_ref=row["external_ref"],
                received_at=row["received_at"],
            )
        return self.results


def _plan_cases(
    items: Sequence[tuple[NewCase, Actor]],
    categories: Mapping[str, _Terms],
    known_places: set[str],
) -> _CasePlan:
    """Each item checked as :func:`create_case` checks it; a row for each accepted one."""
    now = utcnow()
    plan = _CasePlan(results=[], rows=[], accepted=[])
    for new, actor in items:
        try:
            _check_channel(new)
            category = categories.get(new.category_code) if new.category_code else None
            _check_category(new, category)
            _check_kecamatan(new, new.kecamatan_code in known_places)
            kind = _kind_of(new, category)
        except Unprocessable as exc:
            plan.results.append(exc)
            continue
        plan.accepted.append((len(plan.results), new, actor))
        plan.results.append(None)  # filled once the rows exist
        plan.rows.append(_case_row(new, category, kind, now))
    return plan


@functools.cache
def _categories_named() -> Any:
    return select(Category).where(Category.code.in_(bindparam("codes", expanding=True)))


@functools.cache
def _kecamatan_named() -> Any:
    return select(Kecamatan.code).where(Kecamatan.code.in_(bindparam("codes", expanding=True)))


@functools.cache
def _insert_cases_returning_ids() -> Any:
    table = Case.__table__
    return insert(table).returning(table.c.id, sort_by_parameter_order=True)


async def get_by_tracking_id(session: AsyncSession, tracking_id: str) -> Case | None:
    from shared.tracking import normalize

    canonical = normalize(tracking_id)
    if canonical is None:
        return None
    return await session.scalar(select(Case).where(Case.tracking_id == canonical))
