"""Admin intake: complaints that came by letter, a visit, a phone call or the call center.

Staff type them in; the case opens through ``create_case`` like every other channel, with
the real channel recorded and the reporter's contact kept for replies (a phone number →
SMS, else a postal address → a letter). Scanned letters are attached as base64 PDF or
image, typed by their content (``shared.storage``).

An ``opd`` token is an Admin UPP entering a complaint received at its own service unit:
the case still goes to Admin Instansi for verification (Permen 62/2018), but its OPD is
the suggestion and it holds a copy (tembusan) so it can follow the case it entered.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.routing.cases import repository
from services.routing.cases.attachments import decode_base64, store_files
from services.routing.cases.schemas import AdminCaseIn
from shared.auth import Actor
from shared.cases.service import NewCase, ReporterInput, create_case
from shared.config import Settings
from shared.errors import Forbidden, Unprocessable
from shared.lifecycle import Role
from shared.models import Case, CaseCopy, utcnow
from shared.phones import InvalidPhoneNumber, normalize_phone


def _reporter(body: AdminCaseIn) -> ReporterInput:
    given = body.reporter
    if given is None:
        return ReporterInput(channel=body.channel)
    phone = None
    if given.phone:
        try:
            phone = normalize_phone(given.phone)
        except InvalidPhoneNumber as exc:
            raise Unprocessable(
                "reporter.phone is not a valid phone number",
                code="invalid_phone",
                field="reporter.phone",
            ) from exc
    if phone:
        channel, address = "sms", phone
    elif given.postal_address:
        channel, address = "letter", None
    else:
        channel, address = body.channel, None
    return ReporterInput(
        channel=channel,
        channel_address=address,
        name=given.name,
        phone=phone,
        phone_raw=given.phone if phone else None,
        email=given.email,
        nik=given.nik,
        postal_address=given.postal_address,
    )


async def enter_case(
    session: AsyncSession, body: AdminCaseIn, actor: Actor, settings: Settings
) -> Case:
    """Open a case for a complaint received in person, by letter or by phone."""
    if actor.role not in (Role.ADMIN_INSTANSI, Role.OPD):
        raise Forbidden(f"role {actor.role} may not enter complaints", code="role_not_allowed")
    upp_opd = (
        await repository.active_opd(session, actor.opd_code)
        if actor.role == Role.OPD and actor.opd_code
        else None
    )
    if actor.role == Role.OPD and upp_opd is None:
        raise Forbidden("the token's OPD is not active", code="opd_inactive")
    files = [
        decode_base64(a.content_base64, a.filename, field=f"attachments.{i}")
        for i, a in enumerate(body.attachments)
    ]
    location = body.location
    case = await create_case(
        session,
        NewCase(
            channel=body.channel,
            description=body.description,
            title=body.title,
            kind=body.kind,
            category_code=body.category,
            anonymous=body.anonymous,
            confidential=body.confidential,
            kecamatan_code=location.kecamatan if location else None,
            desa=location.desa if location else None,
            address=location.address if location else None,
            lat=location.lat if location else None,
            lon=location.lon if location else None,
            occurred_at=body.occurred_at,
            received_at=body.received_at,
            external_ref=body.external_ref,
            reporter=_reporter(body),
            event_data={"entered_by_opd": upp_opd.code} if upp_opd else {},
        ),
        actor,
    )
    if upp_opd is not None:
        session.add(CaseCopy(case_id=case.id, opd_code=upp_opd.code, created_at=utcnow()))
        case.suggested_opd_code = upp_opd.code
        case.suggestion_reason = f"entered by the Admin UPP of {upp_opd.code}"
    await store_files(session, case, files, settings)
    await session.flush()
    return case
