"""The ``routing`` consumer (on ``case.received``): suggest an OPD, and auto-forward by policy.

Suggestion: ``suggested_opd_code`` and ``suggestion_reason`` (the dry run's reason), written
once — a suggestion already there (e.g. an Admin UPP's own OPD) is kept. If the winning
rule, or the case's category, says ``auto_dispose``, the case is verified and disposed as
the SYSTEM actor (events ``case.verified`` then ``case.disposed``) — only while it is still
``received`` and has an SLA class, so a redelivered event changes nothing.
"""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.routing.cases import service as cases
from services.routing.cases.schemas import DisposeBody, VerifyBody
from services.routing.rules.service import complaint_of, route
from shared.auth import SYSTEM
from shared.cases.events import CaseEvent
from shared.events import Consumer, WorkerContext
from shared.lifecycle import Status
from shared.models import Case, Event

log = structlog.get_logger("simpul.routing")
CONSUMER_NAME = "routing"


async def suggest_and_route(session: AsyncSession, event: Event, ctx: WorkerContext) -> None:
    if event.type != CaseEvent.RECEIVED or event.case_id is None:
        return
    case = await session.get(Case, event.case_id)
    if case is None:
        raise LookupError(f"case {event.case_id} does not exist")
    decision = await route(session, complaint_of(case))
    if case.suggestion_reason is None:
        case.suggested_opd_code = decision.opd_code
        case.suggestion_reason = decision.reason
    auto = (
        decision.auto_dispose
        and decision.opd_code is not None
        and case.suggested_opd_code == decision.opd_code
        and case.status == Status.RECEIVED
        and case.sla_class is not None
    )
    if auto:
        note = f"otomatis: {decision.reason}"
        await cases.verify(session, case, SYSTEM, VerifyBody(), ctx.settings)
        await cases.dispose(
            session, case, SYSTEM, DisposeBody(opd=decision.opd_code, note=note), ctx.settings
        )
        log.info(
            "case_auto_disposed", case_id=case.id, opd=decision.opd_code, source=decision.source
        )
    await session.flush()


routing_consumer = Consumer(CONSUMER_NAME, suggest_and_route)
