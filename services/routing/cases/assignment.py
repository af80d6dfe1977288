"""Distribution inside an OPD: the pejabat penghubung puts a case on a colleague's desk (an
Admin UPP of the unit), or takes it off. Who may *act* stays the OPD as a whole
(``shared/cases/access.py``); the assignee says whose work it is, for the inbox's "mine"
and for the audit trail (``case.assigned``: who, to whom, from whom).

Only the owning OPD's own officers, or Admin Instansi, distribute; only to an active
account of that OPD's ``opd`` role. A copy holder (tembusan) does not.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Actor
from shared.cases.access import owns_case
from shared.cases.events import AssignedPayload, CaseEvent
from shared.errors import Forbidden, Unprocessable
from shared.events import emit
from shared.lifecycle import OPEN_STATES, Role
from shared.models import Case, utcnow
from shared.models.identity import StaffUser


def may_assign(actor: Actor, case: Case, *, owner: bool) -> bool:
    """Whether ``actor`` distributes this case (the owning OPD or Admin Instansi, open cases)."""
    if case.opd_code is None or case.status not in OPEN_STATES:
        return False
    return actor.role == Role.ADMIN_INSTANSI or (actor.role == Role.OPD and owner)


async def colleagues(session: AsyncSession, opd_code: str | None) -> list[StaffUser]:
    """The active officers of an OPD who can take its cases, by name."""
    if not opd_code:
        return []
    rows = await session.scalars(
        select(StaffUser)
        .where(
            StaffUser.opd_code == opd_code,
            StaffUser.role == str(Role.OPD),
            StaffUser.active.is_(True),
        )
        .order_by(StaffUser.full_name)
    )
    return list(rows.all())


def _user_id(assignee: str) -> int | None:
    prefix, _, number = assignee.partition(":")
    return int(number) if prefix == "user" and number.isdigit() else None


async def assign(session: AsyncSession, case: Case, actor: Actor, assignee: str | None) -> None:
    """Put ``case`` on the desk of ``assignee`` (``user:<id>``), or on nobody's (None)."""
    if not may_assign(actor, case, owner=await owns_case(session, actor, case)):
        raise Forbidden(
            "only the OPD the case is disposed to (or Admin Instansi) distributes it",
            code="not_case_owner",
        )
    user = None
    if assignee:
        number = _user_id(assignee)
        user = await session.get(StaffUser, number) if number is not None else None
        if (
            user is None
            or not user.active
            or user.role != str(Role.OPD)
            or user.opd_code != case.opd_code
        ):
            raise Unprocessable(
                f"{assignee!r} is not an active officer of {case.opd_code}",
                code="unknown_assignee",
                field="assignee",
            )
    previous = (case.assignee_id, case.assignee_name)
    new_id = f"user:{user.id}" if user else None
    if new_id == previous[0]:
        return
    now = utcnow()
    case.assignee_id, case.assignee_name = new_id, user.full_name if user else None
    case.assigned_at = now if user else None
    case.updated_at = now
    await session.flush()
    await emit(
        session,
        CaseEvent.ASSIGNED,
        actor,
        case_id=case.id,
        data=AssignedPayload(
            opd=case.opd_code,
            assignee_id=new_id,
            assignee_name=case.assignee_name,
            previous_id=previous[0],
            previous_name=previous[1],
        ).model_dump(mode="json", exclude_none=True),
    )
