"""``simpul lapor import FILE``: reconcile with a national export where API access is
partial or missing. For each row of the export (:mod:`.reading`):

==============  ==============================================================================
action          when, and what applying it does
==============  ==============================================================================
``current``     the national id is linked to a case and nothing differs: nothing
``differs``     linked, but the export's title or answer disagrees: an audit event flags it
``link``        not linked; exactly one case waits in "perlu konfirmasi" whose tag is in the
                row, or whose title as sent is the row's: it is confirmed as created with this
                id (the national site's own export is the evidence) — no second create
``ambiguous``   several waiting cases match: flagged for an operator, nothing linked
``import``      not linked and not ours: read nationally and opened as a forwarded case
                (once per national id), when the API can read it
``ours``        not linked, but its tag names a Simpul case that is not waiting: flagged
``unreadable``  not linked and the API cannot read it (or does not list it as ours): flagged
``invalid``     the row has no readable national id
==============  ==============================================================================

It creates nothing twice: links and imports are keyed by the national id (unique), and a
dry run (``dry_run=True``) only reads — the database, and the national detail of unknown ids.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select

from services.sync.confirmation import repository as confirm_repo
from services.sync.confirmation import service as confirmation
from services.sync.lapor import LaporError, mapping
from services.sync.mirror import repository as repo
from services.sync.mirror.planning import case_for_lapor
from services.sync.mirror.support import client_of
from services.sync.national_export.reading import ExportRow
from shared.auth import Actor
from shared.errors import SimpulError
from shared.events import WorkerContext, emit
from shared.models import Case, Reporter

COMPARED_EVENT = "lapor.export_compared"


@dataclass
class RowOutcome:
    line: int
    national_id: int | None
    action: str
    tracking_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def _same(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


async def _sent_title(session: Any, case: Case) -> str:
    """The title as the mirror sends it (scrubbed, cut), which is what the export shows."""
    reporter = await session.get(Reporter, case.id)
    return mapping.build_create_payload(case_for_lapor(case, reporter, []))["title"]


async def _waiting_match(session: Any, row: ExportRow) -> list[Case]:
    """Cases in "perlu konfirmasi" this row may be: by tag in the row, else by title."""
    waiting = [case for _, case, _ in await confirm_repo.unconfirmed_mirrors(session, limit=10_000)]
    text = f"{row.title} {row.remark} {row.answer}"
    tagged = mapping.tracking_id_from_tags(text)
    if tagged:
        return [c for c in waiting if c.tracking_id.upper() == tagged]
    if not row.title:
        return []
    return [c for c in waiting if _same(await _sent_title(session, c), row.title)]


async def _linked(session: Any, row: ExportRow, mirror: Any) -> RowOutcome:
    case = await session.get(Case, mirror.case_id)
    differs: dict[str, Any] = {}
    if row.title and not _same(row.title, await _sent_title(session, case)):
        differs["title"] = {"export": row.title, "simpul": case.title}
    replied = await repo.claimed_followup_ids(session, case.id)
    if not row.answer and replied:
        differs["answer"] = "the export shows no answer; Simpul sent one"
    action = "differs" if differs else "current"
    return RowOutcome(row.line, row.national_id, action, case.tracking_id, differs)


async def plan_row(ctx: WorkerContext, session: Any, row: ExportRow) -> RowOutcome:
    """What one row means, read-only (the national detail of an unknown id is read)."""
    if row.national_id is None:
        return RowOutcome(row.line, None, "invalid", detail={"reason": "no national id"})
    mirror = await repo.mirror_by_complaint(session, row.national_id)
    if mirror is not None:
        return await _linked(session, row, mirror)
    matches = await _waiting_match(session, row)
    if len(matches) == 1:
        return RowOutcome(row.line, row.national_id, "link", matches[0].tracking_id)
    if len(matches) > 1:
        return RowOutcome(
            row.line,
            row.national_id,
            "ambiguous",
            detail={"candidates": sorted(c.tracking_id for c in matches)},
        )
    try:
        national = await client_of(ctx).get_complaint(row.national_id)
    except LaporError as exc:
        return RowOutcome(row.line, row.national_id, "unreadable", detail={"error": str(exc)[:300]})
    if national.tracking_id:
        return RowOutcome(row.line, row.national_id, "ours", national.tracking_id)
    if national.disposition_id not in (None, client_of(ctx).institution_id):
        return RowOutcome(
            row.line, row.national_id, "unreadable", detail={"reason": "not with this instansi"}
        )
    return RowOutcome(row.line, row.national_id, "import")


async def reconcile_export(
    ctx: WorkerContext, rows: list[ExportRow], *, actor: Actor, dry_run: bool = False
) -> dict[str, Any]:
    """Plan every row and (unless ``dry_run``) apply it. Returns counts and the rows."""
    from services.sync.inbound.discovery import import_complaint

    outcomes: list[RowOutcome] = []
    for row in rows:
        async with ctx.db.session() as session:
            outcome = await plan_row(ctx, session, row)
            if not dry_run:
                await _apply(ctx, session, outcome, actor)
        if not dry_run and outcome.action == "import":
            national = await client_of(ctx).get_complaint(outcome.national_id)
            case_id = await import_complaint(ctx, national)
            outcome.detail["imported"] = case_id is not None
        outcomes.append(outcome)
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.action] = counts.get(outcome.action, 0) + 1
    return {"dry_run": dry_run, "counts": counts, "rows": [asdict(o) for o in outcomes]}


async def _case(session: Any, tracking_id: str | None) -> Case:
    return await session.scalar(select(Case).where(Case.tracking_id == tracking_id))


async def _apply(ctx: WorkerContext, session: Any, outcome: RowOutcome, actor: Actor) -> None:
    if outcome.action == "link":
        case = await _case(session, outcome.tracking_id)
        try:
            # The export is the national site's own list: it is the evidence, no API read.
            await confirmation.confirm_created(session, None, case, outcome.national_id, actor)
        except SimpulError as exc:
            outcome.action, outcome.detail = "ambiguous", {"error": exc.message}
    elif outcome.action == "differs":
        case = await _case(session, outcome.tracking_id)
        await emit(
            session,
            COMPARED_EVENT,
            actor,
            case_id=case.id,
            reason="ekspor LAPOR! berbeda",
            data={"lapor_complaint_id": outcome.national_id, "differs": outcome.detail},
        )


async def import_export_file(
    settings: Any, path: str, *, actor: Actor, dry_run: bool = False
) -> dict[str, Any]:
    """What ``simpul lapor import FILE`` runs: its own database pool and LAPOR! client."""
    from services.sync.lapor import LaporClient
    from services.sync.national_export.reading import read_export
    from shared.db import Database

    rows = read_export(path)
    db = Database(settings.database_url)
    client = LaporClient.from_settings(settings)
    try:
        ctx = WorkerContext(settings=settings, db=db, resources={"lapor": client})
        return await reconcile_export(ctx, rows, actor=actor, dry_run=dry_run)
    finally:
        await client.aclose()
        await db.dispose()
