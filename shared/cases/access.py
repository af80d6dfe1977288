"""Who may read which case, and the one serializer that drops the reporter's identity.

Every read of a case for an ops caller starts from :func:`readable_cases`, so "who sees
what" is written once (CONTRACT.md, Ops):

- ``admin_instansi``, ``viewer``, ``operator``: every case (viewer and operator read only);
- ``opd``: the cases disposed to its OPD (``opd_code``) and those copied to it (tembusan);
- ``apip``: the cases whose ``opd_code`` is an OPD of kind ``apip`` (the Inspektorat).
  ``refer-apip`` moves a case to that OPD, so referral *is* the read grant, and a
  category whose default OPD is the Inspektorat (pungli, suap) reaches APIP the same way.

A case the caller cannot read is answered exactly like a missing one (404).

Identity (DESIGN.md, *anonim*): the reporter's name, phone, email, NIK, channel address
and postal address are shown only by :func:`identity_visible`:

- an anonymous reporter: Admin Instansi only (``Actor.sees_identity``);
- a named reporter: Admin Instansi, and the OPD (or APIP) that *owns* the case — it must be
  able to call back or visit the reporter. Copy holders, viewers and operators never do.

Lists never carry identity. A response that does emits ``case.identity_viewed`` (one per
detail view) so reading an identity is itself audited.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Actor
from shared.cases.events import CaseEvent
from shared.errors import NotFound
from shared.events import emit
from shared.lifecycle import Role
from shared.models import Case, CaseCopy, Opd, Reporter
from shared.tracking import normalize

#: Opd.kind of the internal auditor (Inspektorat): where ``refer-apip`` sends a case.
APIP_OPD_KIND = "apip"
#: Reporter fields that identify a person (never in lists, never for roles that may not see them).
IDENTITY_FIELDS = (
    "name",
    "phone",
    "phone_raw",
    "email",
    "nik",
    "channel_address",
    "postal_address",
)
#: Keys that may carry identity inside event data or thread metadata; stripped for non-admins.
IDENTITY_KEYS = frozenset(IDENTITY_FIELDS) | {
    "reporter",
    "reporter_name",
    "reporter_phone",
    "sender",
    "from",
}
#: Roles that read every case.
ALL_CASES_ROLES = frozenset({Role.ADMIN_INSTANSI, Role.VIEWER, Role.OPERATOR})
#: Roles that work on cases (see internal notes); viewer and operator only read.
STAFF_ROLES = frozenset({Role.ADMIN_INSTANSI, Role.OPD, Role.APIP})
HIDDEN_REPORTER = "pelapor"
IDENTITY_VIEWED = CaseEvent.IDENTITY_VIEWED


def apip_opd_codes() -> Select[tuple[str]]:
    return select(Opd.code).where(Opd.kind == APIP_OPD_KIND)


def readable_cases(actor: Actor) -> Select[tuple[Case]]:
    """The cases ``actor`` may read, as a statement every case query builds on."""
    stmt = select(Case)
    if actor.role in ALL_CASES_ROLES:
        return stmt
    if actor.role == Role.OPD and actor.opd_code:
        copied = exists().where(CaseCopy.case_id == Case.id, CaseCopy.opd_code == actor.opd_code)
        return stmt.where(or_(Case.opd_code == actor.opd_code, copied))
    if actor.role == Role.APIP:
        return stmt.where(Case.opd_code.in_(apip_opd_codes()))
    return stmt.where(false())


async def get_readable_case(session: AsyncSession, actor: Actor, tracking_id: str) -> Case:
    """The case if ``actor`` may read it; 404 — the same answer — when missing or not theirs."""
    canonical = normalize(tracking_id)
    case = None
    if canonical is not None:
        case = await session.scalar(readable_cases(actor).where(Case.tracking_id == canonical))
    if case is None:
        raise NotFound(f"no case {tracking_id!r}", code="case_not_found")
    return case


async def owns_case(session: AsyncSession, actor: Actor, case: Case) -> bool:
    """Whether ``actor`` answers for the case (not merely reads it, as a copy holder does)."""
    if actor.role == Role.ADMIN_INSTANSI or actor.type != "ops":
        return (
            True  # non-ops actors (system, reporter, LAPOR!) are gated by the lifecycle roles alone
        )
    if actor.role == Role.OPD:
        return bool(actor.opd_code) and case.opd_code == actor.opd_code
    if actor.role == Role.APIP:
        return case.opd_code is not None and case.opd_code in set(
            (await session.scalars(apip_opd_codes())).all()
        )
    return False


def identity_visible(case: Case, actor: Actor, *, owner: bool) -> bool:
    """Whether ``actor`` may see this case's reporter identity (see the module docstring)."""
    if actor.sees_identity:
        return True
    if case.anonymous:
        return False
    return owner and actor.role in (Role.OPD, Role.APIP)


def reporter_view(
    case: Case, reporter: Reporter | None, actor: Actor, *, owner: bool
) -> dict[str, Any]:
    """The reporter as ``actor`` may see them: identity fields only when allowed."""
    view: dict[str, Any] = {
        "anonymous": case.anonymous,
        "reply_channel": reporter.channel if reporter else None,
    }
    if reporter is not None and identity_visible(case, actor, owner=owner):
        view["identity_hidden"] = False
        view.update({f: getattr(reporter, f) for f in IDENTITY_FIELDS})
    else:
        view["identity_hidden"] = True
    return view


def has_identity(view: dict[str, Any]) -> bool:
    """Whether a reporter view actually carries an identity (to audit the read)."""
    return not view.get("identity_hidden", True) and any(view.get(f) for f in IDENTITY_FIELDS)


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else value


def case_summary(case: Case) -> dict[str, Any]:
    """A case without any reporter data: what lists show to every role."""
    return {
        "tracking_id": case.tracking_id,
        "status": case.status,
        "channel": case.channel,
        "kind": case.kind,
        "sla_class": case.sla_class,
        "category": case.category_code,
        "opd": case.opd_code,
        "anonymous": case.anonymous,
        "confidential": case.confidential,
        "title": case.title,
        "kecamatan": case.kecamatan_code,
        "desa": case.desa,
        "received_at": _iso(case.received_at),
        "status_changed_at": _iso(case.status_changed_at),
        "version": case.version,
    }


def case_view(
    case: Case, reporter: Reporter | None, actor: Actor, *, owner: bool, **extra: Any
) -> dict[str, Any]:
    """THE serializer of one case for a caller: the case, its reporter as the caller may see
    them, and whatever ``extra`` sections the view adds (timeline, messages, clocks...)."""
    view = case_summary(case)
    view.update(
        {
            "description": case.description,
            "address": case.address,
            "lat": case.lat,
            "lon": case.lon,
            "occurred_at": _iso(case.occurred_at),
            "verified_at": _iso(case.verified_at),
            "disposed_at": _iso(case.disposed_at),
            "first_response_at": _iso(case.first_response_at),
            "resolved_at": _iso(case.resolved_at),
            "closed_at": _iso(case.closed_at),
            "archived_at": _iso(case.archived_at),
            "archive_reason": case.archive_reason,
            "rating": case.rating,
            "external_ref": case.external_ref,
            "reporter": reporter_view(case, reporter, actor, owner=owner),
        }
    )
    view.update(extra)
    return view


def strip_identity(data: Any) -> Any:
    """``data`` without identity-bearing keys, at any depth (event data, metadata)."""
    if isinstance(data, dict):
        return {k: strip_identity(v) for k, v in data.items() if k not in IDENTITY_KEYS}
    if isinstance(data, list):
        return [strip_identity(v) for v in data]
    return data


def carries_identity(data: Any) -> bool:
    if isinstance(data, dict):
        return any(k in IDENTITY_KEYS and v for k, v in data.items()) or any(
            carries_identity(v) for v in data.values()
        )
    if isinstance(data, list):
        return any(carries_identity(v) for v in data)
    return False


async def audit_identity_read(
    session: AsyncSession, case: Case, actor: Actor, *, where: str
) -> None:
    """Record that ``actor`` read the reporter's identity of ``case`` (who, when, where)."""
    await emit(session, IDENTITY_VIEWED, actor, case_id=case.id, data={"view": where})
