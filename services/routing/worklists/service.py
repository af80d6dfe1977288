"""The worklists of the people who handle cases, for the console and the admin API alike.

- **queue** — Admin Instansi's verification queue: new, awaiting-information, returned and
  verified-not-yet-forwarded cases, oldest deadline first;
- **inbox** — an OPD's cases and the copies (tembusan) it holds, by urgency: breached,
  then past the early warning, then by deadline (the pejabat penghubung and Admin UPP);
- **referrals** — APIP's (the Inspektorat's) referred cases, by urgency.

Each list is :func:`repository.list_cases` (the caller's readable statement, the same
filters and search as ``GET /admin/cases``) with a preset of statuses and an order; each
row is :func:`shared.cases.access.case_summary` — never a reporter field — plus what a
worklist needs: the suggested OPD with its reason, the assignee, and the deadline of the
open clock in working days (:func:`due_view`: "sisa 2 hari kerja", red when past the
early warning).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from services.routing.cases import repository
from services.routing.cases.repository import CaseFilters, Sort
from services.routing.worklists.due import due_view, primary_clock
from shared.auth import Actor
from shared.calendar import WorkingCalendar
from shared.cases.access import case_summary
from shared.errors import Forbidden
from shared.lifecycle import QUEUE_STATUSES, Role, Status
from shared.models import Case, Category, Kecamatan, Opd, utcnow
from shared.models.sla import SlaClock


@dataclass(frozen=True, slots=True)
class Worklist:
    name: str
    #: Who has this list (others get 403: it is not their work).
    roles: frozenset[Role]
    statuses: tuple[str, ...]
    sort: Sort
    #: The heading of the list in the console (Bahasa Indonesia).
    title: str


WORKLISTS: dict[str, Worklist] = {
    w.name: w
    for w in (
        Worklist(
            "queue",
            frozenset({Role.ADMIN_INSTANSI}),
            QUEUE_STATUSES,
            Sort.DEADLINE,
            "Antrian verifikasi",
        ),
        Worklist(
            "inbox",
            frozenset({Role.OPD}),
            (Status.DISPOSED, Status.IN_PROGRESS),
            Sort.URGENCY,
            "Kotak masuk OPD",
        ),
        Worklist(
            "referrals",
            frozenset({Role.APIP}),
            (Status.REFERRED_APIP,),
            Sort.URGENCY,
            "Rujukan APIP",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Names:
    """Names of the reference codes a page shows, and the form choices among them (small
    tables, read once per page in one statement: :func:`reference_names`)."""

    opds: dict[str, str]
    categories: dict[str, str]
    kecamatan: dict[str, str]
    #: ``(table, code)`` of the rows still in use (a form offers only these).
    active: frozenset[tuple[str, str]] = frozenset()

    def choices(self, table: str, *, active_only: bool = False) -> list[tuple[str, str]]:
        """``(code, name)`` of ``table`` ("opds", "categories", "kecamatan") by name."""
        names: dict[str, str] = getattr(self, table)
        pairs = [(c, n) for c, n in names.items() if not active_only or (table, c) in self.active]
        return sorted(pairs, key=lambda pair: (pair[1].casefold(), pair[1], pair[0]))


async def reference_names(session: AsyncSession) -> Names:
    """Every OPD, category and kecamatan: code, name, whether in use — one round trip."""
    stmt = union_all(
        *(
            select(literal(table), model.code, model.name, model.active)
            for table, model in (("opds", Opd), ("categories", Category), ("kecamatan", Kecamatan))
        )
    )
    tables: dict[str, dict[str, str]] = {"opds": {}, "categories": {}, "kecamatan": {}}
    active = set()
    for table, code, name, in_use in (await session.execute(stmt)).all():
        tables[table][code] = name
        if in_use:
            active.add((table, code))
    return Names(**tables, active=frozenset(active))


#: How much of a complaint's text a list row shows.
EXCERPT_CHARS = 160


def excerpt(text: str | None) -> str:
    """The start of a complaint's text on one line, cut at a word (lists show it under
    the tracking ID; SMS and chat cases have no title)."""
    flat = " ".join((text or "").split())
    if len(flat) <= EXCERPT_CHARS:
        return flat
    return flat[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"


def worklist_row(
    case: Case, clocks: list[SlaClock], names: Names, calendar: WorkingCalendar, now: dt.datetime
) -> dict[str, Any]:
    """One row of a worklist: the case summary (no reporter data) and what the list adds."""
    clock = primary_clock(clocks)
    return {
        **case_summary(case),
        "excerpt": excerpt(case.description),
        "category_name": names.categories.get(case.category_code or ""),
        "opd_name": names.opds.get(case.opd_code or ""),
        "kecamatan_name": names.kecamatan.get(case.kecamatan_code or ""),
        "suggestion": {
            "opd": case.suggested_opd_code,
            "opd_name": names.opds.get(case.suggested_opd_code or ""),
            "reason": case.suggestion_reason,
        },
        "assignee": (
            {"id": case.assignee_id, "name": case.assignee_name} if case.assignee_id else None
        ),
        "due": asdict(due_view(clock, calendar, now)) if clock is not None else None,
    }


async def rows_for(
    session: AsyncSession,
    cases: list[Case],
    calendar: WorkingCalendar,
    names: Names | None = None,
) -> list[dict[str, Any]]:
    """Worklist rows for a page of cases: one query for their clocks, one for the names
    (none when the page has read them already)."""
    clocks = await repository.open_clocks_of(session, [c.id for c in cases])
    names = names or await reference_names(session)
    now = utcnow()
    return [worklist_row(c, clocks[c.id], names, calendar, now) for c in cases]


def worklist_for(name: str, actor: Actor) -> Worklist:
    """The named worklist, if it is the caller's work (403 with the reason otherwise)."""
    worklist = WORKLISTS[name]
    if actor.role not in worklist.roles:
        raise Forbidden(
            f"the {name} is for {', '.join(sorted(str(r) for r in worklist.roles))}",
            code="role_not_allowed",
        )
    return worklist


def narrowed(worklist: Worklist, filters: CaseFilters) -> CaseFilters:
    """The worklist's statuses under the caller's filters (an explicit status narrows it)."""
    filters.statuses = worklist.statuses
    return filters


async def worklist_page(
    session: AsyncSession,
    actor: Actor,
    name: str,
    filters: CaseFilters,
    calendar: WorkingCalendar,
    *,
    page: int,
    page_size: int,
    names: Names | None = None,
) -> dict[str, Any]:
    """A page of the caller's worklist ``name`` and how many cases it holds in all."""
    worklist = worklist_for(name, actor)
    cases, total = await repository.list_cases(
        session,
        actor,
        narrowed(worklist, filters),
        page=page,
        page_size=page_size,
        sort=worklist.sort,
    )
    return {
        "worklist": worklist.name,
        "title": worklist.title,
        "items": await rows_for(session, cases, calendar, names),
        "total": total,
        "page": page,
        "page_size": page_size,
    }
